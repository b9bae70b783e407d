"""Gradient flow ‖∂h_t/∂h_s‖ against finite differences on tiny float64 models, and its plot."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import random_model
from rich.console import Console

import rnnviz
from rnnviz.analysis.flow import FlowCurve, compare_flow, flow_curve, gradient_flow, layer_flow
from rnnviz.core.cells import run_layer
from rnnviz.render.flowplot import FlowPlot

SENTENCE = "the cat sat on the mat it was the dog"


def finite_difference_flow(model, trace, position, of="hidden", layer=-1, eps=1e-6):
    """‖∂state_position/∂state_s‖_F by central differences: perturb the state at s, re-run the rest."""
    ids = trace.ids[: position + 1, None]
    runs = model.forward(ids)
    k = layer % model.num_layers
    x = model.embedding[ids] if k == 0 else runs[k - 1].h
    run, w = runs[k], model.layers[k]
    hidden = model.hidden_size
    out = np.empty(position + 1)
    for s in range(position + 1):
        jacobian = np.eye(hidden)
        if s < position:
            for j in range(hidden):
                ends = []
                for sign in (1.0, -1.0):
                    h0 = run.h[s].copy()
                    c0 = None if run.c is None else run.c[s].copy()
                    if of == "cell":  # h_s follows c_s through the same output gate
                        c0[:, j] += sign * eps
                        h0 = run.gates["output"][s] * np.tanh(c0)
                    else:  # for an LSTM, c_s stays fixed
                        h0[:, j] += sign * eps
                    rest = run_layer(model.cell, x[s + 1 :], w, h0=h0, c0=c0, nonlinearity=model.nonlinearity)
                    ends.append((rest.c if of == "cell" else rest.h)[-1, 0])
                jacobian[:, j] = (ends[0] - ends[1]) / (2 * eps)
        out[s] = np.linalg.norm(jacobian)
    return out


CASES = [
    ("rnn_tanh", "hidden"),
    ("rnn_relu", "hidden"),
    ("lstm", "hidden"),
    ("lstm", "cell"),
    ("gru", "hidden"),
]


@pytest.mark.parametrize(("cell", "of"), CASES)
@pytest.mark.parametrize("layer", [0, -1])
def test_flow_equals_finite_differences(cell, of, layer):
    model = random_model(cell, layers=2, hidden=5, seed=7, dtype="float64", scale=1.0)
    trace = model.run(SENTENCE)
    position = 7  # mid-sentence: later words must not matter
    exact = gradient_flow(model, trace, position, of=of, layer=layer)
    numeric = finite_difference_flow(model, trace, position, of=of, layer=layer)
    assert exact.shape == (position + 1,)
    np.testing.assert_allclose(exact, numeric, rtol=1e-6)
    assert len(np.unique(np.round(exact, 6))) > 3  # a real curve, not a constant


@pytest.mark.parametrize(("cell", "of"), CASES)
def test_entry_at_position_is_norm_of_identity(cell, of):
    model = random_model(cell, hidden=9, seed=1)
    trace = model.run(SENTENCE)
    for position in (0, 4, len(trace) - 1):
        flow = gradient_flow(model, trace, position, of=of)
        assert flow[position] == pytest.approx(3.0)  # √9


def test_negative_position_counts_from_the_end():
    model = random_model("gru", seed=2, dtype="float64")
    trace = model.run(SENTENCE)
    np.testing.assert_array_equal(
        gradient_flow(model, trace, -1), gradient_flow(model, trace, len(trace) - 1)
    )
    np.testing.assert_array_equal(
        gradient_flow(model, trace, -3), gradient_flow(model, trace, len(trace) - 3)
    )


def test_window_computes_only_the_last_words_and_exactly():
    model = random_model("lstm", seed=3, dtype="float64")
    trace = model.run(SENTENCE)
    full = gradient_flow(model, trace, 8, of="cell")
    near = gradient_flow(model, trace, 8, of="cell", window=3)
    assert np.isnan(near[:5]).all()
    np.testing.assert_allclose(near[5:], full[5:], rtol=1e-12)


def test_layer_flow_reuses_a_recorded_run():
    model = random_model("rnn_tanh", seed=4, dtype="float64")
    trace = model.run(SENTENCE)
    run = model.forward(trace.ids[:, None])[-1]
    np.testing.assert_allclose(
        layer_flow("rnn", run, model.layers[-1], 6), gradient_flow(model, trace, 6), rtol=1e-12
    )


def test_float32_model_does_not_underflow_to_zero():
    """Tiny recurrent weights make the flow shrink by orders of magnitude per word; the backward
    pass runs in float64, so 40 words back it is still a positive number, not 0."""
    model = random_model("rnn_tanh", seed=5, hidden=8, scale=0.02)  # float32
    words = (SENTENCE + " ") * 5
    trace = model.run(words)
    flow = gradient_flow(model, trace, -1)
    assert flow[0] > 0
    assert flow[0] < 1e-45  # below float32's smallest positive number
    assert np.all(np.diff(np.log10(flow)) > 0)  # nearer words always count more here


def test_bad_requests_give_clear_errors():
    gru = random_model("gru", seed=6)
    lstm = random_model("lstm", seed=6)
    trace = gru.run(SENTENCE)
    with pytest.raises(ValueError, match="needs an LSTM"):
        gradient_flow(gru, trace, 3, of="cell")
    with pytest.raises(ValueError, match="out of range"):
        gradient_flow(gru, trace, len(trace))
    with pytest.raises(ValueError, match="out of range"):
        gradient_flow(gru, trace, 2, layer=1)
    with pytest.raises(ValueError, match="different model"):
        gradient_flow(lstm, trace, 2)
    with pytest.raises(ValueError, match="unknown flow"):
        gradient_flow(gru, trace, 2, of="gates")


def test_curve_is_indexed_by_distance():
    model = random_model("lstm", seed=8, dtype="float64")
    trace = model.run(SENTENCE)
    curve = flow_curve(model, trace, 6, of="cell")
    flow = gradient_flow(model, trace, 6, of="cell")
    np.testing.assert_array_equal(curve.distances, np.arange(7))
    np.testing.assert_allclose(curve.log10_norms, np.log10(flow[::-1]))
    assert curve.at(2) == flow[4]
    assert np.isnan(curve.at(7))
    assert curve.tokens == trace.tokens[:7]
    assert curve.label.endswith(" c")


def test_decades_per_word_recovers_a_known_decay():
    norms = 10.0 ** (-0.25 * np.arange(20))[::-1]  # indexed by s: falls 0.25 decades per word back
    assert FlowCurve("x", norms).decades_per_word() == pytest.approx(-0.25)
    norms[:5] = 0.0  # no gradient at all far back: left out of the fit, not −inf
    assert FlowCurve("x", norms).decades_per_word() == pytest.approx(-0.25)


def test_compare_flow_adds_the_lstm_cell_path():
    models = {"r": random_model("rnn_tanh", seed=1), "l": random_model("lstm", seed=1)}
    curves = compare_flow(models, SENTENCE, position=5)
    assert [c.label for c in curves] == ["r h", "l h", "l c"]
    assert all(c.position == 5 for c in curves)
    unlabelled = compare_flow([models["r"]], SENTENCE)
    assert unlabelled[0].label == "rnn_tanh h"


def render(renderable, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text().splitlines()


def bar_heights(lines: list[str], label: str, height: int) -> np.ndarray:
    """Eighths of bar per column for the curve whose first row starts with `label`."""
    levels = {ch: k for k, ch in enumerate(" ▁▂▃▄▅▆▇█")}
    first = next(i for i, line in enumerate(lines) if line.startswith(label))
    rows = [line.split("┤", 1)[1] for line in lines[first : first + height]]
    width = min(len(r) for r in rows)
    total = np.zeros(width, dtype=int)
    for r in rows:
        total += [levels.get(ch, 0) for ch in r[:width]]
    return total


@pytest.mark.parametrize("width", [40, 80, 160])
def test_plot_draws_decay_as_falling_bars_within_the_width(width):
    fast = FlowCurve("fast", 10.0 ** (-0.5 * np.arange(30))[::-1], cell="rnn")
    slow = FlowCurve("slow", 10.0 ** (-0.1 * np.arange(30))[::-1], cell="lstm")
    lines = render(FlowPlot([fast, slow], height=3), width)
    assert all(len(line) <= width for line in lines)
    fast_bars = bar_heights(lines, "fast", 3)
    slow_bars = bar_heights(lines, "slow", 3)
    assert np.all(np.diff(fast_bars[fast_bars > 0]) <= 0)
    assert fast_bars.sum() < slow_bars.sum()  # the shared scale shows which curve fades faster
    assert fast_bars[0] == slow_bars[0]  # both start at the same norm


def test_plot_marks_distances_not_computed():
    curve = FlowCurve("w", np.array([np.nan, np.nan, 0.5, 1.0, 3.0]), cell="gru")
    lines = render(FlowPlot([curve], height=2, title=False), 60)
    bottom_row = lines[1].split("┤", 1)[1]
    assert bottom_row.startswith("█") and bottom_row.rstrip().endswith(
        "·"
    )  # the two words outside the window


def test_bundled_plot_renders_for_every_model():
    models = {name: rnnviz.load(name) for name in ("rnn", "lstm", "gru")}
    curves = compare_flow(models, rnnviz.DEMO_SENTENCE)
    lines = render(FlowPlot(curves), 100)
    text = "\n".join(lines)
    for label in ("rnn h", "lstm h", "lstm c", "gru h"):
        assert label in text
    assert "distance" in text


def test_probes_estimate_the_norms_without_bias():
    model = random_model("lstm", hidden=8, seed=9, dtype="float64", scale=1.0)
    trace = model.run(SENTENCE)
    exact = gradient_flow(model, trace, 8)
    np.testing.assert_allclose(gradient_flow(model, trace, 8, probes=8), exact, rtol=1e-12)  # k = H: exact
    estimates = np.array([layer_flow_probed(model, trace, seed) for seed in range(300)])
    np.testing.assert_allclose(estimates[:, 8], np.sqrt(8))  # the position stays exactly √H
    assert np.std(estimates[:, :8], axis=0).min() > 0  # really random directions
    mean_square = np.mean(estimates**2, axis=0)
    np.testing.assert_allclose(mean_square[:8], exact[:8] ** 2, rtol=0.15)


def layer_flow_probed(model, trace, seed: int) -> np.ndarray:
    run = model.forward(trace.ids[:9, None])[-1]
    return layer_flow("lstm", run, model.layers[-1], 8, probes=2, seed=seed)
