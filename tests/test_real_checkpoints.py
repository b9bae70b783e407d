"""Models saved by real third-party code load as they are and compute what their frameworks computed.

The files in tests/fixtures/real/ were made by pytorch/examples `word_language_model` (whole pickled
models, `torch.save(model)`), spro/char-rnn.pytorch (whole models), PyTorch state dicts with every
layer option, and a min-char-rnn `.npz`; those in tests/fixtures/keras_real/ by Keras 3 in the shapes of
the keras-io examples (see the READMEs there and the demos/ scripts that made them). Each comes with
the framework's own outputs. No torch or Keras is needed here: the point is that rnnviz reads them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import rnnviz

FIXTURES = Path(__file__).parent / "fixtures"
REAL, KERAS = FIXTURES / "real", FIXTURES / "keras_real"
# (file, cell rnnviz must find, head)
TORCH_CASES = [
    ("wlm_lstm.pt", "lstm", "next-token"),
    ("wlm_gru.pt", "gru", "next-token"),
    ("wlm_rnn_tanh.pt", "rnn_tanh", "next-token"),
    ("wlm_rnn_relu.pt", "rnn_relu", "next-token"),  # the pickle's `mode` says RNN_RELU: never tanh
    ("wlm_lstm_tied.pt", "lstm", "next-token"),
    ("wlm_lstm_1layer.pt", "lstm", "next-token"),
    ("charrnn_gru.pt", "gru", "next-token"),
    ("charrnn_lstm.pt", "lstm", "next-token"),
    ("sd_lstm_bias_false.pt", "lstm", "next-token"),
    ("sd_lstm_batch_first_3layers.pt", "lstm", "next-token"),
    ("sd_lstm_decoder_nobias.pt", "lstm", "next-token"),
    ("sd_lstm_classifier.pt", "lstm", "classifier"),
    ("minchar.npz", "rnn_tanh", "next-token"),
]
KERAS_CASES = [
    ("char_lstm_onehot.keras", "lstm", "next-token"),
    ("emb_lstm_dense10.keras", "lstm", "classifier"),
    ("imdb_lstm_sigmoid.keras", "lstm", "classifier"),
    ("nextword_lstm.keras", "lstm", "next-token"),
    ("nextword_gru.keras", "gru", "next-token"),
    ("nextword_simplernn.keras", "rnn_tanh", "next-token"),
    ("nextword_simplernn_relu.keras", "rnn_relu", "next-token"),
]


def vocab_of(path: Path) -> list[str]:
    return json.loads(path.with_name(f"{path.stem}.vocab.json").read_text(encoding="utf-8"))


def expected_of(path: Path) -> dict[str, np.ndarray]:
    with np.load(path.with_name(f"{path.stem}.expected.npz")) as data:
        return {name: data[name] for name in data.files}


def check(path: Path, cell: str, head: str, dtype: str, tolerance: float) -> None:
    model = rnnviz.load(path, vocab=vocab_of(path), dtype=dtype)
    expected = expected_of(path)
    assert (model.cell_name, model.head) == (cell, head)
    tokens = [str(t) for t in expected["tokens"]]
    # The text as a user types it, one string: the model's own tokenizer must give the same tokens.
    text = "".join(tokens) if model.tokenizer == "chars" else " ".join(tokens)
    trace = model.run(text)
    assert trace.tokens == tokens
    np.testing.assert_allclose(trace.probs, expected["probs"], rtol=0, atol=tolerance)
    np.testing.assert_allclose(trace.hidden[-1], expected["hidden_top"], rtol=0, atol=tolerance)
    if "hidden" in expected and expected["hidden"].shape == trace.hidden.shape:
        np.testing.assert_allclose(trace.hidden, expected["hidden"], rtol=0, atol=tolerance)


@pytest.mark.parametrize(("name", "cell", "head"), TORCH_CASES)
@pytest.mark.parametrize(("dtype", "tolerance"), [("float64", 1e-9), ("float32", 1e-4)])
def test_pytorch_files_open_without_torch_and_match(monkeypatch, name, cell, head, dtype, tolerance):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails: rnnviz must not need it
    check(REAL / name, cell, head, dtype, tolerance)


@pytest.mark.parametrize(("name", "cell", "head"), KERAS_CASES)
def test_keras_files_match_keras(name, cell, head):
    pytest.importorskip("h5py")
    check(KERAS / name, cell, head, "float64", 1e-5)  # Keras computed in float32


def test_a_sigmoid_classifier_reads_as_two_classes():
    pytest.importorskip("h5py")
    path = KERAS / "imdb_lstm_sigmoid.keras"
    model = rnnviz.load(path, vocab=vocab_of(path), dtype="float64")
    expected = expected_of(path)
    trace = model.run([str(t) for t in expected["tokens"]])
    assert model.labels == ["class 0", "class 1"]
    assert trace.probs[-1, 1] == pytest.approx(float(expected["p_last"]), abs=1e-6)


def test_a_relu_rnn_the_file_does_not_name_is_never_silently_tanh():
    path = REAL / "sd_rnn_relu_nohint.pt"
    assumed = rnnviz.load(path, vocab=vocab_of(path))
    assert assumed.cell_name == "rnn_tanh"
    assert assumed.assumptions == ["tanh assumed (the file does not say): --cell rnn_relu if it was relu"]
    told = rnnviz.load(path, vocab=vocab_of(path), cell="rnn_relu", dtype="float64")
    assert told.assumptions == []
    expected = expected_of(path)
    trace = told.run([str(t) for t in expected["tokens"]])
    np.testing.assert_allclose(trace.probs, expected["probs"], rtol=0, atol=1e-9)


def test_the_assumption_is_on_the_rendered_picture(tmp_path, capsys):
    from rnnviz.cli import main

    path = REAL / "sd_rnn_relu_nohint.pt"
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(vocab_of(path)) + "\n", encoding="utf-8")
    assert main(["render", str(path), "--vocab", str(vocab), "--text", "w1 w2", "--width", "120"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "tanh assumed (the file does not say): --cell rnn_relu if it was relu" in out


def test_a_classifier_round_trips_with_its_labels(tmp_path):
    path = REAL / "sd_lstm_classifier.pt"
    model = rnnviz.load(path, vocab=vocab_of(path), labels=["red", "green", "blue", "gold"])
    rnnviz.save(model, tmp_path / "c.safetensors")
    again = rnnviz.load(tmp_path / "c.safetensors")
    assert (again.head, again.labels) == ("classifier", ["red", "green", "blue", "gold"])
    trace = again.run(["w1", "w2", "w3"])
    assert trace.probs.shape == (3, 4)
    assert {name for name, _ in trace.top_next(2, 4)} == {"red", "green", "blue", "gold"}


def test_wrong_number_of_labels_says_so():
    path = REAL / "sd_lstm_classifier.pt"
    with pytest.raises(rnnviz.WeightsError, match="3 labels for 4 classes"):
        rnnviz.load(path, vocab=vocab_of(path), labels=["a", "b", "c"])


def test_span_says_in_one_line_that_it_needs_a_language_model(tmp_path, capsys):
    from rnnviz.cli import main

    path = REAL / "sd_lstm_classifier.pt"
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(vocab_of(path)) + "\n", encoding="utf-8")
    assert main(["span", str(path), "--vocab", str(vocab), "--n", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "this model is a classifier: give a language model" in err


def test_a_keras_bidirectional_classifier_matches_keras():
    """Both directions of every layer, forward units first, and the prediction Keras makes from the
    forward state after the last word and the backward state after reading back to the first."""
    pytest.importorskip("h5py")
    path = KERAS / "imdb_bidir.keras"
    model = rnnviz.load(path, vocab=vocab_of(path), dtype="float64")
    expected = expected_of(path)
    trace = model.run([str(t) for t in expected["tokens"]])
    assert model.bidirectional and model.head == "classifier"
    np.testing.assert_allclose(trace.hidden[0], expected["hidden_layer0"], rtol=0, atol=1e-6)
    assert model.sequence_probs(trace)[1] == pytest.approx(float(expected["p_last"]), abs=1e-6)
