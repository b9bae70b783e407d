"""Gate saturation on hand-made traces whose gate values are known, and its scatter rendering."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import random_model
from rich.console import Console

from rnnviz import Trace
from rnnviz.analysis.saturation import (
    GateSaturation,
    Saturation,
    corpus_saturation,
    gate_saturation,
)
from rnnviz.render.saturation import SaturationPlot
from rnnviz.training import corpus as corpus_module

HIDDEN = 4


def hand_trace(cell: str, gates: dict[str, np.ndarray], layers_below: int = 0) -> Trace:
    """A Trace with the given top-layer gate values (T, H); lower layers (if any) hold 0.5 everywhere."""
    steps = next(iter(gates.values())).shape[0]
    stacked = {
        name: np.stack([np.full_like(values, 0.5)] * layers_below + [values])
        for name, values in gates.items()
    }
    hidden = np.zeros((layers_below + 1, steps, HIDDEN))
    return Trace(
        tokens=[f"w{t}" for t in range(steps)],
        ids=np.zeros(steps, dtype=int),
        hidden=hidden,
        cell_state=hidden.copy() if cell == "lstm" else None,
        gates=stacked,
        probs=None,
        cell=cell,
    )


def columns(*units: list[float]) -> np.ndarray:
    """(T, H) from one list of T values per unit."""
    return np.array(units, dtype=float).T


# Ten words, four units: always shut; open 3 of 10; exactly on both thresholds (strict: neither);
# shut 2, open 5, in between 3.
INPUT = columns(
    [0.05] * 10,
    [0.95, 0.99, 0.91] + [0.5] * 7,
    [0.1, 0.9] * 5,
    [0.0, 0.02] + [1.0] * 5 + [0.3, 0.6, 0.89],
)
OTHER = np.full((10, HIDDEN), 0.5)


def lstm_trace(candidate: np.ndarray | None = None, **overrides) -> Trace:
    gates = {"input": INPUT, "forget": OTHER, "cell": OTHER * 0 if candidate is None else candidate}
    gates["output"] = OTHER
    gates.update(overrides)
    return hand_trace("lstm", gates)


def test_fractions_per_unit_on_a_hand_made_lstm_trace():
    result = gate_saturation(lstm_trace())
    inp = result.gates["input"]
    np.testing.assert_allclose(inp.left, [1.0, 0.0, 0.0, 0.2])
    np.testing.assert_allclose(inp.right, [0.0, 0.3, 0.0, 0.5])
    np.testing.assert_allclose(inp.between, [0.0, 0.7, 1.0, 0.3])
    assert inp.count == 10 and inp.units == HIDDEN
    assert inp.mostly_left() == 1 and inp.mostly_right() == 0
    forget = result.gates["forget"]
    np.testing.assert_allclose(forget.between, np.ones(HIDDEN))
    assert result.words == 10 and result.sentences == 1 and result.cell == "lstm"


def test_lstm_candidate_is_left_out_unless_asked_and_then_rescaled():
    # g in (−1, 1): −0.9 writes nearly −1 (left after (g+1)/2 = 0.05), 0.85 nearly +1 (0.925: right),
    # 0 writes nothing (0.5: between).
    candidate = columns([-0.9] * 10, [0.85] * 10, [0.0] * 10, [-0.9] * 5 + [0.85] * 5)
    assert list(gate_saturation(lstm_trace(candidate)).gates) == ["input", "forget", "output"]
    result = gate_saturation(lstm_trace(candidate), candidates=True)
    g = result.gates["cell"]
    assert g.rescaled and not result.gates["input"].rescaled
    np.testing.assert_allclose(g.left, [1.0, 0.0, 0.0, 0.5])
    np.testing.assert_allclose(g.right, [0.0, 1.0, 0.0, 0.5])


def test_gru_gates_and_the_new_candidate():
    reset = columns([0.01] * 4, [0.99] * 4, [0.5] * 4, [0.01, 0.99, 0.5, 0.5])
    update = 1 - reset
    new = columns([-1.0] * 4, [1.0] * 4, [0.0] * 4, [0.0] * 4)
    trace = hand_trace("gru", {"reset": reset, "update": update, "new": new})
    result = gate_saturation(trace)
    assert list(result.gates) == ["reset", "update"]
    np.testing.assert_allclose(result.gates["reset"].left, [1, 0, 0, 0.25])
    np.testing.assert_allclose(result.gates["update"].left, [0, 1, 0, 0.25])
    np.testing.assert_allclose(result.gates["update"].right, [1, 0, 0, 0.25])
    with_new = gate_saturation(trace, candidates=True)
    np.testing.assert_allclose(with_new.gates["new"].left, [1, 0, 0, 0])


def uniform_lstm(steps: int, input_value: float) -> Trace:
    names = ("input", "forget", "cell", "output")
    return hand_trace(
        "lstm", {n: np.full((steps, HIDDEN), input_value if n == "input" else 0.5) for n in names}
    )


def test_many_traces_pool_words_not_sentences():
    """Two words all shut and eight all open give 20% shut, not the 50% a mean of sentences would."""
    result = gate_saturation([uniform_lstm(2, 0.0), uniform_lstm(8, 1.0)])
    np.testing.assert_allclose(result.gates["input"].left, np.full(HIDDEN, 0.2))
    np.testing.assert_allclose(result.gates["input"].right, np.full(HIDDEN, 0.8))
    assert result.sentences == 2 and result.words == 10


def test_layer_selects_which_layer_is_measured():
    trace = hand_trace("lstm", {"input": INPUT, "forget": OTHER, "cell": OTHER * 0, "output": OTHER}, 1)
    top = gate_saturation(trace)
    bottom = gate_saturation(trace, layer=0)
    np.testing.assert_allclose(top.gates["input"].left, [1.0, 0.0, 0.0, 0.2])
    np.testing.assert_allclose(bottom.gates["input"].between, np.ones(HIDDEN))  # all 0.5 below
    with pytest.raises(ValueError, match="out of range"):
        gate_saturation(trace, layer=2)


def test_thresholds_are_parameters():
    result = gate_saturation(lstm_trace(), low=0.25, high=0.75)
    np.testing.assert_allclose(result.gates["input"].left, [1.0, 0.0, 0.5, 0.2])
    np.testing.assert_allclose(result.gates["input"].right, [0.0, 0.3, 0.5, 0.6])


def test_bad_inputs_give_clear_errors():
    rnn = hand_trace("rnn", {"preactivation": OTHER})
    with pytest.raises(ValueError, match="no gates"):
        gate_saturation(rnn)
    with pytest.raises(ValueError, match="at least one trace"):
        gate_saturation([])
    gru = hand_trace("gru", {"reset": OTHER, "update": OTHER, "new": OTHER})
    with pytest.raises(ValueError, match="cannot mix"):
        gate_saturation([lstm_trace(), gru])
    with pytest.raises(ValueError, match="low < high"):
        gate_saturation(lstm_trace(), low=0.9, high=0.1)


def test_corpus_saturation_matches_the_traces_it_runs():
    model = random_model("gru", seed=3, hidden=6, scale=2.0)
    sentences = ["the cat sat on the mat .", "the dog barked", "it was the cat on the mat ."]
    pooled = corpus_saturation(model, sentences)
    direct = gate_saturation([model.run(s) for s in sentences])
    for name in ("reset", "update"):
        np.testing.assert_array_equal(pooled.gates[name].left, direct.gates[name].left)
        np.testing.assert_array_equal(pooled.gates[name].right, direct.gates[name].right)
    assert pooled.sentences == 3 and "corpus" in pooled.source


def test_corpus_saturation_draws_from_the_demo_generator(monkeypatch):
    class Sentence:
        def __init__(self, text: str):
            self.tokens = text.split()

    asked = []

    def fake_generate(n: int, seed: int):
        asked.append((n, seed))
        return [Sentence("the cat sat on the mat .")] * n

    monkeypatch.setattr(corpus_module, "generate", fake_generate, raising=False)
    model = random_model("lstm", seed=1)
    result = corpus_saturation(model, n=3, seed=11)
    assert asked == [(3, 11)]
    assert result.sentences == 3 and result.words == 21


def render(renderable, width: int = 100) -> str:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def one_gate(left: list[float], right: list[float]) -> Saturation:
    gate = GateSaturation("forget", np.array(left), np.array(right), count=10)
    return Saturation(cell="lstm", gates={"forget": gate}, sentences=1, words=10)


def test_scatter_puts_units_where_their_shares_say():
    plot = SaturationPlot(one_gate([1.0, 0.0, 0.0, 0.0, 0.5], [0.0, 1.0, 0.0, 0.0, 0.5]), columns=11, rows=5)
    counts = plot.grid_counts(plot.saturation.gates["forget"])
    assert counts.sum() == 5
    assert counts[-1, -1] == 1  # always shut: bottom right
    assert counts[0, 0] == 1  # always open: top left
    assert counts[-1, 0] == 2  # never saturated: the origin
    assert counts[2, 5] == 1  # half and half: the middle of the diagonal


def test_scatter_text_shows_counts_and_summary():
    text = render(SaturationPlot(one_gate([0.0] * 12 + [1.0], [0.9] * 12 + [0.0]), columns=11, rows=6))
    assert "forget" in text
    assert "#" in text  # twelve units in one cell
    assert "•" in text  # the single unit
    assert "open 12/13" in text and "shut 1/13" in text
    assert "R 83%" in text  # 12 × 0.9 / 13


def test_scatter_of_a_real_model_fits_the_width():
    model = random_model("lstm", seed=2, hidden=16, scale=3.0)
    result = gate_saturation(model.run("the cat sat on the mat because it was the dog ."))
    for width in (60, 100):
        lines = render(SaturationPlot(result), width).splitlines()
        assert all(len(line) <= width for line in lines)
        text = "\n".join(lines)
        for gate in ("input", "forget", "output"):
            assert gate in text
