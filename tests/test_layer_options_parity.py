"""LSTM projections and bidirectional layers against PyTorch, from a committed fixture (no torch needed).

The fixture comes from demos/make_torch_layer_fixtures.py: two-layer float64 nn.LSTM(proj_size=4),
nn.GRU(bidirectional=True), nn.LSTM(bidirectional=True, proj_size=4), nn.RNN(bidirectional, relu).
PyTorch's final states h_n (L·D, H_out) are every layer's: the forward direction's after the last
word, the backward direction's after the first (it reads the sentence backwards).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

import rnnviz
from rnnviz import Model

FIXTURE = Path(__file__).parent / "fixtures" / "torch_layer_options.safetensors"
TOLERANCE = {"float64": 1e-5, "float32": 1e-4}
CASES = ("lstm_proj", "gru_bidir", "lstm_bidir_proj", "rnn_relu_bidir")


def load_fixture() -> tuple[dict[str, np.ndarray], dict[str, str]]:
    with safe_open(str(FIXTURE), framework="np") as f:
        return {name: f.get_tensor(name) for name in f.keys()}, dict(f.metadata())  # noqa: SIM118


def fixture_model(case: str, dtype: str = "float64") -> Model:
    tensors, metadata = load_fixture()
    cell = json.loads(metadata["cases"])[case][0]
    prefix = f"{case}/"
    weights = {
        name[len(prefix) :]: value
        for name, value in tensors.items()
        if name.startswith(prefix) and name[len(prefix) :].split(".")[0] in ("encoder", "rnn", "decoder")
    }
    vocab = [f"token{k}" for k in range(weights["encoder.weight"].shape[0])]
    return Model(weights, cell, vocab, dtype=dtype)


def final_states(states: np.ndarray, directions: int) -> np.ndarray:
    """PyTorch's h_n layout (L·D, ·) from a trace's (L, T, D·units): forward at T−1, backward at 0."""
    units = states.shape[2] // directions
    rows = []
    for layer in states:
        rows.append(layer[-1, :units])
        if directions == 2:
            rows.append(layer[0, units:])
    return np.stack(rows)


def parity_errors(case: str, dtype: str) -> dict[str, float]:
    """Largest absolute difference from PyTorch over the fixture's sequences, per quantity."""
    tensors, metadata = load_fixture()
    model = fixture_model(case, dtype)
    errors: dict[str, float] = {}
    for k in range(len(json.loads(metadata["lengths"]))):
        trace = model.run_ids(tensors[f"{case}/ids_{k}"])
        found = {
            "output": trace.hidden[-1],
            "h_n": final_states(trace.hidden, model.directions),
            "probs": trace.probs,
        }
        if trace.cell_state is not None:
            found["c_n"] = final_states(trace.cell_state, model.directions)
        for name, value in found.items():
            expected = tensors[f"{case}/{name}_{k}"]
            assert value.shape == expected.shape, (case, name)
            assert value.dtype == np.dtype(dtype), name
            errors[name] = max(errors.get(name, 0.0), float(np.abs(value - expected).max()))
    return errors


def test_fixture_holds_the_layer_options():
    _, metadata = load_fixture()
    cases = json.loads(metadata["cases"])
    assert tuple(cases) == CASES
    assert fixture_model("lstm_proj").proj_size == 4
    assert not fixture_model("lstm_proj").bidirectional
    model = fixture_model("lstm_bidir_proj")
    assert (model.bidirectional, model.proj_size, model.hidden_size, model.state_size) == (True, 4, 6, 8)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES)
def test_matches_pytorch_fixture(case, dtype):
    errors = parity_errors(case, dtype)
    print(f"parity {case:16s} {dtype}: " + ", ".join(f"{k} {v:.2e}" for k, v in errors.items()))
    for name, error in errors.items():
        assert error <= TOLERANCE[dtype], f"{case} {dtype} {name}: max abs diff {error:.3e}"


def test_trace_shapes_of_a_bidirectional_projected_lstm():
    """hidden (L, T, 2P), cell state and every gate (L, T, 2H): forward units first."""
    model = fixture_model("lstm_bidir_proj")
    trace = model.run_ids(np.arange(5))
    assert trace.hidden.shape == (2, 5, 8)
    assert trace.cell_state.shape == (2, 5, 12)
    assert {name: value.shape for name, value in trace.gates.items()} == dict.fromkeys(
        ("input", "forget", "cell", "output"), (2, 5, 12)
    )


def test_backward_direction_reads_the_sentence_backwards():
    """The backward half at position t depends on words t…T−1 only, the forward half on 0…t."""
    model = fixture_model("gru_bidir")
    ids = np.array([1, 2, 3, 4, 5, 6])
    changed = ids.copy()
    changed[4] = 7
    a, b = model.run_ids(ids).hidden, model.run_ids(changed).hidden
    half = model.output_size
    assert np.array_equal(a[0, :4, :half], b[0, :4, :half])  # forward, before the change
    assert np.array_equal(a[0, 5:, half:], b[0, 5:, half:])  # backward, after the change
    assert not np.allclose(a[0, 4, half:], b[0, 4, half:])


def test_live_pytorch_agrees_with_the_fixture_script():
    """With torch installed, the script's module gives the fixture's outputs from the fixture's weights."""
    torch = pytest.importorskip("torch")
    tensors, metadata = load_fixture()
    for case, (cell, options) in json.loads(metadata["cases"]).items():
        kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_relu": torch.nn.RNN}[cell]
        model = fixture_model(case)
        rnn = kind(model.embedding_size, model.hidden_size, num_layers=model.num_layers, **options).double()
        prefix = f"{case}/rnn."
        rnn.load_state_dict(
            {n[len(prefix) :]: torch.from_numpy(v) for n, v in tensors.items() if n.startswith(prefix)}
        )
        ids = tensors[f"{case}/ids_2"]
        with torch.no_grad():
            top, _ = rnn(torch.from_numpy(model.embedding[ids])[:, None, :])
        assert np.abs(top[:, 0].numpy() - model.run_ids(ids).hidden[-1]).max() <= 1e-10


REAL = Path(__file__).parent / "fixtures" / "real"


@pytest.mark.parametrize("name", ["sd_lstm_proj", "sd_gru_bidir", "sd_lstm_bidir"])
def test_real_state_dicts_with_layer_options(name):
    """State dicts saved by torch.save (see fixtures/real/README), through rnnviz.load: every layer's
    output matches the recorded one."""
    expected = np.load(REAL / f"{name}.expected.npz")
    config = json.loads(str(expected["config"]))
    model = rnnviz.load(REAL / f"{name}.pt", vocab=REAL / f"{name}.vocab.json", dtype="float64")
    assert model.bidirectional == bool(config.get("bidirectional"))
    assert model.proj_size == config.get("proj_size", 0)
    trace = model.run_ids(expected["ids"].reshape(-1))
    errors = {
        "hidden": float(np.abs(trace.hidden - expected["hidden"]).max()),
        "probs": float(np.abs(trace.probs - expected["probs"].reshape(trace.probs.shape)).max()),
    }
    if "cell" in expected.files:
        errors["cell"] = float(np.abs(trace.cell_state - expected["cell"]).max())
    print(f"real {name}: " + ", ".join(f"{k} {v:.2e}" for k, v in errors.items()))
    assert max(errors.values()) <= TOLERANCE["float64"], errors
