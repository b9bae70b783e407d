"""Trace shapes and contents for every cell type and 1–3 layers, checked by recomputing each step
from the weights with plain per-step equations: each cell module's reference_step, independent of
its in-place loop."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CELL_TYPES, random_model

from rnnviz.core.cells import LayerWeights, reference_run
from rnnviz.core.model import layer_names, parse_cell

SENTENCE = "the cat sat on the mat , the dog barked ."
GATES = {
    "rnn_tanh": ("preactivation",),
    "rnn_relu": ("preactivation",),
    "lstm": ("input", "forget", "cell", "output"),
    "gru": ("reset", "update", "new"),
}
SIGMOIDS = {"input", "forget", "output", "reset", "update"}
TANHS = {"cell", "new"}


def recompute_layer(
    cell: str, weights: dict[str, np.ndarray], k: int, x: np.ndarray
) -> dict[str, np.ndarray]:
    """Reference for layer k over x (T, In), float64, one plain step at a time: gates, h, and c for LSTM."""
    w = LayerWeights(*(weights[name] for name in layer_names(k)))
    family, nonlinearity = parse_cell(cell)
    return reference_run(family, x, w, nonlinearity)


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_trace_shapes(cell, layers):
    model = random_model(cell, layers=layers, vocab=20, embedding=7, hidden=9, seed=layers)
    trace = model.run(SENTENCE)
    steps = len(SENTENCE.split())
    assert trace.tokens == SENTENCE.split()
    assert trace.ids.shape == (steps,)
    assert [model.vocab[i] for i in trace.ids] == trace.tokens
    assert trace.hidden.shape == (layers, steps, 9)
    if cell == "lstm":
        assert trace.cell_state.shape == (layers, steps, 9)
    else:
        assert trace.cell_state is None
    assert tuple(trace.gates) == GATES[cell]
    for values in trace.gates.values():
        assert values.shape == (layers, steps, 9)
    assert trace.probs.shape == (steps, 20)
    assert len(trace) == steps and trace.layers == layers and trace.hidden_size == 9


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_trace_matches_step_by_step_equations(cell, layers, dtype):
    # Large weights push the gates into saturation, where mistakes in their ranges would show; a relu
    # RNN has no saturation and would grow without bound, so it keeps small weights.
    scale = 0.5 if cell == "rnn_relu" else 1.5
    model = random_model(cell, layers=layers, seed=7 * layers, dtype=dtype, scale=scale)
    trace = model.run(SENTENCE)
    weights = {name: value.astype(np.float64) for name, value in model.weights.items()}
    tolerance = 1e-12 if dtype == "float64" else 2e-5
    x = weights["encoder.weight"][trace.ids]
    for k in range(layers):
        ref = recompute_layer(cell, weights, k, x)
        for name in GATES[cell]:
            np.testing.assert_allclose(
                trace.gates[name][k], ref[name], rtol=0, atol=tolerance * 10, err_msg=name
            )
        np.testing.assert_allclose(trace.hidden[k], ref["h"], rtol=0, atol=tolerance)
        if cell == "lstm":
            np.testing.assert_allclose(trace.cell_state[k], ref["c"], rtol=0, atol=tolerance)
        x = ref["h"]
    logits = x @ weights["decoder.weight"].T + weights["decoder.bias"]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(trace.probs, expected, rtol=0, atol=tolerance)


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_gate_ranges_and_probabilities(cell, layers):
    model = random_model(cell, layers=layers, seed=3, scale=3.0)
    trace = model.run(SENTENCE + " " + SENTENCE)
    for name, values in trace.gates.items():
        if name in SIGMOIDS:
            assert values.min() >= 0.0 and values.max() <= 1.0, name
        if name in TANHS:
            assert values.min() >= -1.0 and values.max() <= 1.0, name
    if cell in ("lstm", "gru", "rnn_tanh"):
        assert np.abs(trace.hidden).max() <= 1.0
    if cell == "rnn_relu":
        assert trace.hidden.min() >= 0.0
    assert trace.probs.min() >= 0.0
    np.testing.assert_allclose(trace.probs.sum(axis=1), 1.0, rtol=0, atol=1e-5)


@pytest.mark.parametrize("cell", CELL_TYPES)
def test_hidden_follows_from_recorded_gates(cell):
    """h recomputed from the trace's own gates and previous state, as the cell equations define it."""
    model = random_model(cell, layers=2, seed=11, dtype="float64", scale=1.0)
    trace = model.run(SENTENCE)
    g = trace.gates
    h_prev = np.concatenate([np.zeros_like(trace.hidden[:, :1]), trace.hidden[:, :-1]], axis=1)
    if cell == "lstm":
        c_prev = np.concatenate([np.zeros_like(trace.cell_state[:, :1]), trace.cell_state[:, :-1]], axis=1)
        c = g["forget"] * c_prev + g["input"] * g["cell"]
        np.testing.assert_allclose(trace.cell_state, c, rtol=0, atol=1e-12)
        expected = g["output"] * np.tanh(trace.cell_state)
    elif cell == "gru":
        expected = (1 - g["update"]) * g["new"] + g["update"] * h_prev
    elif cell == "rnn_tanh":
        expected = np.tanh(g["preactivation"])
    else:
        expected = np.maximum(g["preactivation"], 0)
    np.testing.assert_allclose(trace.hidden, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell", CELL_TYPES)
def test_float32_by_default_and_float64_on_request(cell):
    for dtype in ("float32", "float64"):
        kwargs = {} if dtype == "float32" else {"dtype": dtype}
        trace = random_model(cell, layers=2, **kwargs).run(SENTENCE)
        assert trace.hidden.dtype == np.dtype(dtype)
        assert trace.probs.dtype == np.dtype(dtype)
        assert all(v.dtype == np.dtype(dtype) for v in trace.gates.values())
        if cell == "lstm":
            assert trace.cell_state.dtype == np.dtype(dtype)
    assert trace.ids.dtype.kind == "i"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_batched_forward_equals_per_sentence(cell, dtype):
    model = random_model(cell, layers=2, vocab=25, seed=5, dtype=dtype)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 25, (13, 4))  # (T, B): four sentences of 13 tokens
    runs = model.forward(ids)
    from_embeddings = model.forward(model.embedding[ids])
    tolerance = 1e-12 if dtype == "float64" else 1e-6
    for b in range(ids.shape[1]):
        single = model.run_ids(ids[:, b])
        for k, run in enumerate(runs):
            np.testing.assert_allclose(run.h[:, b], single.hidden[k], rtol=0, atol=tolerance)
            np.testing.assert_allclose(from_embeddings[k].h[:, b], single.hidden[k], rtol=0, atol=tolerance)
            for name in model.gate_names:
                np.testing.assert_allclose(
                    run.gates[name][:, b], single.gates[name][k], rtol=0, atol=tolerance
                )
            if cell == "lstm":
                np.testing.assert_allclose(run.c[:, b], single.cell_state[k], rtol=0, atol=tolerance)


def test_top_next_is_sorted_and_named():
    trace = random_model("lstm", seed=2).run(SENTENCE)
    best = trace.top_next(3, k=5)
    assert len(best) == 5
    probs = [p for _, p in best]
    assert probs == sorted(probs, reverse=True)
    assert best[0][1] == pytest.approx(float(trace.probs[3].max()))
    assert best[0][0] == trace.vocab[int(trace.probs[3].argmax())]
