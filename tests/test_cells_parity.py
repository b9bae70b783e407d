"""The NumPy cells against PyTorch: a committed fixture (no torch needed) and, with torch, a live check.

The fixture comes from demos/make_torch_fixtures.py (torch.nn.RNN/LSTM/GRU, two layers, float64).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

from rnnviz import Model
from rnnviz.core.model import softmax

FIXTURE = Path(__file__).parent / "fixtures" / "torch_cells.safetensors"
TOLERANCE = {"float64": 1e-5, "float32": 1e-4}


def load_fixture() -> tuple[dict[str, np.ndarray], dict[str, str]]:
    with safe_open(str(FIXTURE), framework="np") as f:
        return {name: f.get_tensor(name) for name in f.keys()}, dict(f.metadata())  # noqa: SIM118


def fixture_model(tensors: dict[str, np.ndarray], cell: str, dtype: str) -> Model:
    prefix = f"{cell}/"
    weights = {
        name[len(prefix) :]: value
        for name, value in tensors.items()
        if name.startswith(prefix) and name[len(prefix) :].split(".")[0] in ("encoder", "rnn", "decoder")
    }
    vocab = [f"token{k}" for k in range(weights["encoder.weight"].shape[0])]
    return Model(weights, cell, vocab, dtype=dtype)


def parity_errors(cell: str, dtype: str) -> dict[str, float]:
    """Largest absolute difference from PyTorch over all fixture sequences, per quantity."""
    tensors, metadata = load_fixture()
    model = fixture_model(tensors, cell, dtype)
    errors = {"output": 0.0, "h_n": 0.0, "c_n": 0.0, "probs": 0.0}
    for k in range(len(json.loads(metadata["lengths"]))):
        ids = tensors[f"{cell}/ids_{k}"]
        trace = model.run_ids(ids)
        found = {
            "output": trace.hidden[-1],  # (T, H): top layer at every step
            "h_n": trace.hidden[:, -1],  # (L, H): every layer after the last step
            "probs": trace.probs,
        }
        if cell == "lstm":
            found["c_n"] = trace.cell_state[:, -1]
        for name, value in found.items():
            expected = tensors[f"{cell}/{name}_{k}"]
            assert value.shape == expected.shape, name
            assert value.dtype == np.dtype(dtype), name
            errors[name] = max(errors[name], float(np.abs(value - expected).max()))
    if cell != "lstm":
        del errors["c_n"]
    return errors


def test_fixture_is_what_the_tests_expect():
    tensors, metadata = load_fixture()
    assert json.loads(metadata["cells"]) == ["rnn_tanh", "rnn_relu", "lstm", "gru"]
    sizes = json.loads(metadata["sizes"])
    assert sizes["layers"] == 2
    assert tensors["lstm/h_n_2"].shape == (2, sizes["hidden"])
    assert tensors["gru/output_2"].shape == (json.loads(metadata["lengths"])[2], sizes["hidden"])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cell", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_matches_pytorch_fixture(cell, dtype):
    errors = parity_errors(cell, dtype)
    print(f"parity {cell:8s} {dtype}: " + ", ".join(f"{k} {v:.2e}" for k, v in errors.items()))
    for name, error in errors.items():
        assert error <= TOLERANCE[dtype], f"{cell} {dtype} {name}: max abs diff {error:.3e}"


def test_relu_and_tanh_fixtures_differ():
    """Guards against the fixture (or the model) silently ignoring the nonlinearity."""
    tensors, _ = load_fixture()
    relu_model = fixture_model(tensors, "rnn_relu", "float64")
    tanh_model = Model(relu_model.weights, "rnn_tanh", relu_model.vocab, dtype="float64")
    relu, tanh = (m.run_ids(tensors["rnn_relu/ids_2"]) for m in (relu_model, tanh_model))
    assert np.abs(relu.hidden - tanh.hidden).max() > 1e-2
    assert relu.hidden.min() >= 0


# -- live comparison with torch, when it is installed ----------------------------------------------


def torch_reference(torch, cell: str, weights: dict[str, np.ndarray], ids: np.ndarray, layers: int):
    """Top output (T, B, H), h_n (L, B, H), c_n or None, probs (T, B, V) from torch modules in float64."""
    vocab, embedding = weights["encoder.weight"].shape
    hidden = weights["rnn.weight_hh_l0"].shape[1]
    if cell == "lstm":
        rnn = torch.nn.LSTM(embedding, hidden, num_layers=layers)
    elif cell == "gru":
        rnn = torch.nn.GRU(embedding, hidden, num_layers=layers)
    else:
        rnn = torch.nn.RNN(embedding, hidden, num_layers=layers, nonlinearity=cell.split("_")[1])
    rnn = rnn.double()
    state = {
        name[len("rnn.") :]: torch.from_numpy(v) for name, v in weights.items() if name.startswith("rnn.")
    }
    rnn.load_state_dict(state)
    with torch.no_grad():
        x = torch.from_numpy(weights["encoder.weight"])[torch.from_numpy(ids)]
        top, final = rnn(x)
        h_n, c_n = final if cell == "lstm" else (final, None)
        logits = top @ torch.from_numpy(weights["decoder.weight"]).T + torch.from_numpy(
            weights["decoder.bias"]
        )
        probs = torch.softmax(logits, dim=-1)
    return top.numpy(), h_n.numpy(), None if c_n is None else c_n.numpy(), probs.numpy()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("cell", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_matches_live_pytorch(cell, seed):
    torch = pytest.importorskip("torch")
    from conftest import make_vocab, random_weights

    rng = np.random.default_rng(1000 + seed)
    layers = int(rng.integers(1, 4))
    vocab, embedding, hidden = int(rng.integers(2, 30)), int(rng.integers(1, 10)), int(rng.integers(1, 16))
    steps, batch = int(rng.integers(1, 30)), int(rng.integers(1, 4))
    weights = random_weights(cell, layers, vocab, embedding, hidden, seed=seed, scale=0.6)
    ids = rng.integers(0, vocab, (steps, batch))
    top, h_n, c_n, probs = torch_reference(torch, cell, weights, ids, layers)
    for dtype, tolerance in TOLERANCE.items():
        model = Model(weights, cell, make_vocab(vocab), dtype=dtype)
        runs = model.forward(ids)
        assert np.abs(runs[-1].h - top).max() <= tolerance
        assert np.abs(np.stack([r.h[-1] for r in runs]) - h_n).max() <= tolerance
        if c_n is not None:
            assert np.abs(np.stack([r.c[-1] for r in runs]) - c_n).max() <= tolerance
        assert np.abs(softmax(model.logits(runs[-1].h)) - probs).max() <= tolerance
