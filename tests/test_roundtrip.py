"""save → load is bit-exact, and the bundled demo models load and run."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CELL_TYPES, random_weights

import rnnviz
from rnnviz import Model

# Tokens that JSON metadata must carry intact: case, quotes, backslashes, non-ASCII, inner spaces.
ODD_VOCAB = ["<unk>", "<eos>", "the", "The", '"', "\\", "naïve", "日本", "a b", "'", "{", "]", "\u00a0"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_save_load_is_bit_exact(tmp_path, cell, dtype):
    weights = random_weights(cell, layers=2, vocab=len(ODD_VOCAB), embedding=5, hidden=7, seed=4)
    model = Model(weights, cell, ODD_VOCAB, dtype=dtype, metadata={"note": "round trip", "trained": "no"})
    path = tmp_path / f"{cell}.safetensors"
    rnnviz.save(model, path, metadata={"source": "test"})
    loaded = rnnviz.load(path, dtype=dtype)

    assert loaded.cell == model.cell and loaded.cell_name == model.cell_name == cell
    assert loaded.nonlinearity == model.nonlinearity
    assert loaded.vocab == ODD_VOCAB
    assert loaded.metadata == {"note": "round trip", "trained": "no", "source": "test"}
    original, restored = model.weights, loaded.weights
    assert sorted(restored) == sorted(original)
    for name, value in original.items():
        assert restored[name].dtype == value.dtype == np.dtype(dtype), name
        assert restored[name].shape == value.shape, name
        assert restored[name].tobytes() == value.tobytes(), name

    text = "The the naïve 日本 unknown ."
    before, after = model.run(text), loaded.run(text)
    assert after.tokens == before.tokens
    assert after.hidden.tobytes() == before.hidden.tobytes()
    assert after.probs.tobytes() == before.probs.tobytes()


def test_saving_twice_gives_the_same_tensors(tmp_path):
    model = Model(
        random_weights("gru", layers=3, seed=9), "gru", [f"t{k}" for k in range(20)], dtype="float64"
    )
    rnnviz.save(model, tmp_path / "a.safetensors")
    rnnviz.save(rnnviz.load(tmp_path / "a.safetensors", dtype="float64"), tmp_path / "b.safetensors")
    first = rnnviz.load(tmp_path / "a.safetensors", dtype="float64")
    second = rnnviz.load(tmp_path / "b.safetensors", dtype="float64")
    for name, value in first.weights.items():
        assert second.weights[name].tobytes() == value.tobytes(), name


@pytest.mark.parametrize(("name", "cell"), [("rnn", "rnn"), ("lstm", "lstm"), ("gru", "gru")])
def test_bundled_models_load_and_run(name, cell):
    model = rnnviz.load(name)
    assert model.cell == cell
    assert "<unk>" in model.vocab
    assert model.dtype == np.float32
    trace = model.run(rnnviz.DEMO_SENTENCE)
    assert len(trace) == len(rnnviz.DEMO_SENTENCE.split())
    assert trace.hidden.shape == (model.num_layers, len(trace), model.hidden_size)
    np.testing.assert_allclose(trace.probs.sum(axis=1), 1.0, rtol=0, atol=1e-5)
    assert rnnviz.load(name, dtype="float64").dtype == np.float64
