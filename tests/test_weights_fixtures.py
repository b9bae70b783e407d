"""Files written by PyTorch and Keras themselves load and predict what those frameworks computed.

Each fixture has `<name>.expected.npz`: the framework's own float64 run of the demo sentence
(demos/make_weight_fixtures.py). rnnviz must match it within 1e-5 in float64 and 1e-4 in float32.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import rnnviz
from rnnviz.training.corpus import demo_vocab

FIXTURES = Path(__file__).parent / "fixtures" / "weights"
TOLERANCE = {"float64": 1e-5, "float32": 1e-4}
CASES = {
    # file: (extra load arguments, needs, expected cell)
    "torch_lstm.safetensors": ({}, None, "lstm"),
    "torch_lstm_bf16.safetensors": ({}, None, "lstm"),
    "torch_gru_tied.safetensors": ({}, None, "gru"),
    "torch_rnn_relu.pt": ({"cell": "rnn_relu"}, "torch", "rnn_relu"),
    "keras_lstm.keras": ({}, "h5py", "lstm"),
    "keras_gru.keras": ({}, "h5py", "gru"),
    "keras_simple_rnn.keras": ({}, "h5py", "rnn_relu"),
    "keras_lstm.weights.npz": ({}, None, "lstm"),
}


def check_against_expected(model: rnnviz.Model, expected_path: Path, dtype: str) -> None:
    expected = np.load(expected_path)
    trace = model.run_ids(expected["ids"])
    hidden = expected["hidden"]  # (L, T, H); PyTorch gives the top layer only
    scale = max(1.0, float(np.abs(hidden).max()))  # relu states grow past 1: compare relative to them
    np.testing.assert_allclose(trace.probs, expected["probs"], atol=TOLERANCE[dtype], rtol=0)
    np.testing.assert_allclose(trace.hidden[-len(hidden) :], hidden, atol=TOLERANCE[dtype] * scale, rtol=0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(CASES))
def test_fixture_predictions_match_the_framework(name, dtype):
    kwargs, needs, cell = CASES[name]
    if needs:
        pytest.importorskip(needs)
    model = rnnviz.load(FIXTURES / name, dtype=dtype, **kwargs)
    assert model.cell_name == cell and model.vocab == demo_vocab()
    check_against_expected(model, FIXTURES / f"{name.split('.')[0]}.expected.npz", dtype)


def test_plain_rnn_defaults_to_tanh_and_cell_overrides_it():
    pytest.importorskip("torch")
    assert rnnviz.load(FIXTURES / "torch_rnn_relu.pt").cell_name == "rnn_tanh"
    assert rnnviz.load(FIXTURES / "torch_rnn_relu.pt", cell="rnn_relu").nonlinearity == "relu"


def test_sibling_vocab_file_is_found(tmp_path):
    # torch_lstm.safetensors carries no vocabulary: torch_lstm.vocab.txt beside it supplies one.
    reversed_vocab = demo_vocab()[::-1]
    (tmp_path / "mine.safetensors").write_bytes((FIXTURES / "torch_lstm.safetensors").read_bytes())
    (tmp_path / "vocab.txt").write_text("\n".join(demo_vocab()))
    assert rnnviz.load(tmp_path / "mine.safetensors").vocab == demo_vocab()
    (tmp_path / "mine.vocab.txt").write_text("\n".join(reversed_vocab))  # the name-specific file wins
    assert rnnviz.load(tmp_path / "mine.safetensors").vocab == reversed_vocab
    assert rnnviz.load(tmp_path / "mine.safetensors", vocab=demo_vocab()).vocab == demo_vocab()


def test_metadata_vocab_wins_over_sibling_file(tmp_path):
    (tmp_path / "m.safetensors").write_bytes((FIXTURES / "torch_lstm_bf16.safetensors").read_bytes())
    (tmp_path / "m.vocab.txt").write_text("\n".join(demo_vocab()[::-1]))
    assert rnnviz.load(tmp_path / "m.safetensors").vocab == demo_vocab()


def test_loaded_fixture_saves_as_native_and_reloads_exactly(tmp_path):
    pytest.importorskip("h5py")
    model = rnnviz.load(FIXTURES / "keras_gru.keras")
    rnnviz.save(model, tmp_path / "native.safetensors")
    again = rnnviz.load(tmp_path / "native.safetensors")
    for name, value in model.weights.items():
        np.testing.assert_array_equal(again.weights[name], value)


# -- live round trips: only where the framework is installed ----------------------------------
def test_live_pytorch_round_trip(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    torch.manual_seed(3)
    vocab = demo_vocab()
    encoder, rnn, decoder = (
        torch.nn.Embedding(len(vocab), 6),
        torch.nn.GRU(6, 5, 2),
        torch.nn.Linear(5, len(vocab)),
    )
    state = {f"encoder.{k}": v for k, v in encoder.state_dict().items()}
    state |= {f"model.gru.{k}": v for k, v in rnn.state_dict().items()}  # an unusual prefix and module name
    state |= {f"fc.{k}": v for k, v in decoder.state_dict().items()}
    save_file(state, tmp_path / "live.safetensors")
    torch.save(state, tmp_path / "live.pt")
    ids = np.array([5, 9, 2, 14, 30])
    with torch.no_grad():
        out, _ = rnn.double()(encoder.double()(torch.as_tensor(ids))[:, None])
        probs = torch.softmax(decoder.double()(out[:, 0]), dim=-1).numpy()
    for name in ("live.safetensors", "live.pt"):
        model = rnnviz.load(tmp_path / name, vocab=vocab, dtype="float64")
        assert model.cell == "gru" and model.num_layers == 2
        trace = model.run_ids(ids)
        np.testing.assert_allclose(trace.probs, probs, atol=1e-12)
        np.testing.assert_allclose(trace.hidden[-1], out[:, 0].numpy(), atol=1e-12)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras' own, under NumPy 2
def test_live_keras_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "torch")
    )  # read when keras is imported
    keras = pytest.importorskip("keras")
    pytest.importorskip("h5py")
    vocab = demo_vocab()
    keras.utils.set_random_seed(5)
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(len(vocab), 6),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.Dense(len(vocab), activation="softmax"),
        ]
    )
    rng = np.random.default_rng(1)
    model.set_weights([w + rng.normal(0, 0.3, w.shape).astype(w.dtype) for w in model.get_weights()])
    model.save(tmp_path / "live.keras")
    ids = np.array([[5, 9, 2, 14, 30]], dtype=np.int32)
    probs = np.asarray(keras.ops.convert_to_numpy(model(ids)))[0]
    loaded = rnnviz.load(tmp_path / "live.keras", vocab=vocab)
    np.testing.assert_allclose(loaded.run_ids(ids[0]).probs, probs, atol=1e-4)
