"""The story on the bundled models: a plain RNN's gradient flow fades with distance faster than an
LSTM's cell path (and a GRU's hidden path). Measured on demo sentences, never against fixed numbers."""

from __future__ import annotations

import numpy as np
import pytest

import rnnviz
from rnnviz.analysis.flow import FlowCurve, flow_curve
from rnnviz.training.corpus import generate_at_distance

DISTANCE = 40  # words between the subject and the last "it": far beyond the short sentences' reach
BAND = range(25, 36)  # distances compared: a band, so one word's quirk cannot decide


def band_decades(curve: FlowCurve) -> float:
    """Mean log10 of the flow in BAND relative to distance 0 (how many powers of ten were lost)."""
    logs = curve.log10_norms
    return float(np.mean([logs[d] for d in BAND]) - logs[0])


@pytest.fixture(scope="module")
def curves() -> dict[str, list[FlowCurve]]:
    models = {name: rnnviz.load(name) for name in ("rnn", "lstm", "gru")}
    out: dict[str, list[FlowCurve]] = {"rnn h": [], "lstm c": [], "gru h": []}
    for sentence in generate_at_distance(DISTANCE, 3, seed=7):
        position = sentence.it_index  # the state at "it" must still depend on the subject
        for name, model in models.items():
            trace = model.run(sentence.tokens, decode=False)
            of = "cell" if name == "lstm" else "hidden"
            out[f"{name} {'c' if of == 'cell' else 'h'}"].append(flow_curve(model, trace, position, of=of))
    return out


def test_rnn_flow_fades_faster_than_the_lstm_cell_path(curves):
    for rnn, lstm in zip(curves["rnn h"], curves["lstm c"], strict=True):
        assert band_decades(rnn) < band_decades(lstm)


def test_rnn_flow_fades_faster_than_the_gru(curves):
    for rnn, gru in zip(curves["rnn h"], curves["gru h"], strict=True):
        assert band_decades(rnn) < band_decades(gru)
