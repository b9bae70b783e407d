"""PyTorch and Keras tensor names map onto the native layout; the cell type comes from shapes or metadata."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_vocab, random_weights
from safetensors.numpy import save_file

import rnnviz
from rnnviz.io.formats.keras_paths import layers_from_paths, looks_like_keras_paths
from rnnviz.io.formats.torch_names import from_torch_names, infer_cell


def rename(weights: dict[str, np.ndarray], mapping: dict[str, str]) -> dict[str, np.ndarray]:
    """Native names → other spellings, by replacing name prefixes."""
    out = {}
    for name, value in weights.items():
        for old, new in mapping.items():
            if name.startswith(old):
                name = new + name[len(old) :]
                break
        out[name] = value
    return out


@pytest.mark.parametrize(
    "mapping",
    [
        {"encoder.": "module.encoder.", "rnn.": "module.rnn.", "decoder.": "module.decoder."},
        {
            "encoder.": "_orig_mod.model.embedding.",
            "rnn.": "_orig_mod.model.lstm.",
            "decoder.": "_orig_mod.model.fc.",
        },
        {"encoder.": "embed.", "rnn.": "lstm.", "decoder.": "lm_head."},
        {"encoder.": "word_embeddings.", "rnn.": "encoder_rnn.", "decoder.": "output."},
    ],
)
def test_common_spellings_map_to_native(mapping):
    weights = random_weights("lstm", layers=2)
    renamed = from_torch_names(rename(weights, mapping))
    assert sorted(renamed.tensors) == sorted(weights)
    for name, value in weights.items():
        assert renamed.tensors[name] is value


def test_tied_decoder_stored_once_under_encoder():
    weights = random_weights("gru", embedding=12, hidden=12)
    del weights["decoder.weight"]
    renamed = from_torch_names(weights)
    assert renamed.tensors["decoder.weight"] is weights["encoder.weight"]
    assert any("tied" in note for note in renamed.notes)


def test_tied_encoder_stored_once_under_decoder(tmp_path):
    weights = random_weights("lstm", embedding=12, hidden=12)
    del weights["encoder.weight"]
    path = tmp_path / "tied.safetensors"
    save_file(weights, str(path), metadata={"vocab": json.dumps(make_vocab(20))})
    model = rnnviz.load(path)
    np.testing.assert_array_equal(model.embedding, model.decoder_weight)


def test_decoder_without_bias_gets_zeros():
    weights = random_weights("lstm")
    del weights["decoder.bias"]
    renamed = from_torch_names(weights)
    np.testing.assert_array_equal(renamed.tensors["decoder.bias"], np.zeros(20))


def test_ambiguous_names_are_left_for_validation():
    weights = random_weights("lstm") | {"embedding.weight": np.zeros((20, 8))}
    renamed = from_torch_names(weights)
    assert "embedding.weight" in renamed.tensors  # two embeddings: neither is guessed


@pytest.mark.parametrize(("cell", "expected"), [("lstm", "lstm"), ("gru", "gru"), ("rnn_relu", "rnn_tanh")])
def test_cell_inferred_from_gate_count(cell, expected):
    assert infer_cell(random_weights(cell, hidden=7))[0] == expected


@pytest.mark.parametrize("stated", ["LSTM", "lstm", "GRU", "RNN_TANH", "rnn_relu"])
def test_cell_from_word_language_model_metadata(tmp_path, stated):
    cell = stated.lower()
    path = tmp_path / "m.safetensors"
    save_file(
        random_weights(cell), str(path), metadata={"rnn_type": stated, "vocab": json.dumps(make_vocab(20))}
    )
    assert rnnviz.load(path).cell_name == cell


def test_keras_paths_are_recognised_and_ordered_by_numbering():
    paths = {
        "sequential/dense/kernel": np.zeros((4, 5)),
        "sequential/gru_2/gru_cell/kernel": np.zeros((4, 12)),
        "sequential/embedding/embeddings": np.zeros((5, 4)),
        "sequential/gru/gru_cell/kernel": np.zeros((4, 12)),
        "sequential/gru_1/gru_cell/kernel": np.zeros((4, 12)),
    }
    assert looks_like_keras_paths(list(paths))
    assert not looks_like_keras_paths(list(random_weights("lstm")))
    layers = layers_from_paths(paths)
    assert [la.name for la in layers] == ["embedding", "gru", "gru_1", "gru_2", "dense"]


def test_tf_keras_2_paths_with_suffix():
    layers = layers_from_paths(
        {"lstm/lstm_cell/kernel:0": np.zeros((2, 8)), "embedding/embeddings:0": np.zeros(2)}
    )
    assert [(la.kind, sorted(la.weights)) for la in layers] == [
        ("embedding", ["embeddings"]),
        ("lstm", ["kernel"]),
    ]


def test_keras_gru_gate_order_becomes_pytorch(tmp_path):
    # A Keras GRU whose z, r, h blocks hold 1, 2, 3 must give PyTorch blocks r, z, n = 2, 1, 3.
    hidden, inputs = 2, 3
    blocks = np.repeat([1.0, 2.0, 3.0], hidden)
    weights = {
        "m/embedding/embeddings": np.zeros((4, inputs)),
        "m/gru/gru_cell/kernel": np.tile(blocks, (inputs, 1)),
        "m/gru/gru_cell/recurrent_kernel": np.tile(blocks, (hidden, 1)),
        "m/gru/gru_cell/bias": np.stack([blocks, blocks * 10]),
        "m/dense/kernel": np.zeros((hidden, 4)),
        "m/dense/bias": np.zeros(4),
    }
    np.savez(tmp_path / "k.npz", **weights)
    model = rnnviz.load(tmp_path / "k.npz", vocab=["a", "b", "c", "<unk>"], dtype="float64")
    expected = np.repeat([2.0, 1.0, 3.0], hidden)
    np.testing.assert_array_equal(model.layers[0].w_ih[:, 0], expected)
    np.testing.assert_array_equal(model.layers[0].w_hh[:, 1], expected)
    np.testing.assert_array_equal(model.layers[0].b_ih, expected)
    np.testing.assert_array_equal(model.layers[0].b_hh, expected * 10)
