"""Every way a weights file can be wrong gives one WeightsError line that names the problem."""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import make_vocab, random_weights
from safetensors.numpy import save_file

import rnnviz
from rnnviz import WeightsError

FIXTURES = Path(__file__).parent / "fixtures" / "weights"


def write_model(
    path: Path, weights: dict[str, np.ndarray], cell: str | None = "lstm", vocab_size: int = 20
) -> Path:
    meta = {"vocab": json.dumps(make_vocab(vocab_size))}
    if cell:
        meta["cell"] = cell
    save_file({k: np.ascontiguousarray(v) for k, v in weights.items()}, str(path), metadata=meta)
    return path


def raw_safetensors(path: Path, header: dict, data: bytes = b"") -> Path:
    """A safetensors file with any header, valid or not."""
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data)
    return path


def load_error(path: Path, **kwargs) -> str:
    with pytest.raises(WeightsError) as info:
        rnnviz.load(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message  # one line each
    return message


# -- the file itself --------------------------------------------------------------------------
def test_missing_file(tmp_path):
    assert "no such file" in load_error(tmp_path / "nope.safetensors")


def test_directory_lists_weights_inside(tmp_path):
    write_model(tmp_path / "m.safetensors", random_weights("lstm"))
    message = load_error(tmp_path)
    assert "is a directory" in message and "m.safetensors" in message


def test_empty_file(tmp_path):
    (tmp_path / "e.safetensors").write_bytes(b"")
    assert "the file is empty" in load_error(tmp_path / "e.safetensors")


def test_not_a_weights_file(tmp_path):
    (tmp_path / "x.bin").write_bytes(bytes(range(256)) * 4)
    assert "not a weights file" in load_error(tmp_path / "x.bin")


def test_text_file_suggests_vocab(tmp_path):
    (tmp_path / "words.txt").write_text("the\ncat\nsat\n")
    message = load_error(tmp_path / "words.txt")
    assert "looks like text" in message and "--vocab" in message


def test_hdf5_file_suggests_keras_format(tmp_path):
    (tmp_path / "old.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    assert "model.save('model.keras')" in load_error(tmp_path / "old.h5")


def test_damaged_zip(tmp_path):
    (tmp_path / "z.npz").write_bytes(b"PK\x03\x04" + bytes(60))
    assert "damaged zip" in load_error(tmp_path / "z.npz")


# -- safetensors header ------------------------------------------------------------------------
def test_too_short_for_a_header(tmp_path):
    (tmp_path / "s.safetensors").write_bytes(b"\x10\x00\x00")
    assert "truncated" in load_error(tmp_path / "s.safetensors")


def test_truncated_header(tmp_path):
    full = write_model(tmp_path / "full.safetensors", random_weights("lstm")).read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(full[:100])
    message = load_error(tmp_path / "cut.safetensors")
    assert "truncated: the header claims" in message and "92 follow" in message


def test_truncated_data_names_the_tensor(tmp_path):
    full = write_model(tmp_path / "full.safetensors", random_weights("lstm")).read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(full[:-10])
    message = load_error(tmp_path / "cut.safetensors")
    assert "truncated: tensor" in message and "download the file again" in message


def test_oversized_header_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.safetensors"
    path.write_bytes(struct.pack("<Q", 2**62) + b"{}")
    assert "oversized header" in load_error(path)


def test_header_not_json(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", 5) + b"{nope")
    assert "not valid JSON" in load_error(path)


def test_header_sizes_disagree(tmp_path):
    path = raw_safetensors(
        tmp_path / "s.safetensors", {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, bytes(8)
    )
    assert "needs 16 bytes but the header gives it 8" in load_error(path)


def test_unknown_dtype_code(tmp_path):
    path = raw_safetensors(
        tmp_path / "s.safetensors",
        {"a": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}},
        bytes(2),
    )
    assert "dtype F8_E4M3, which rnnviz cannot use" in load_error(path)


def test_metadata_not_strings(tmp_path):
    path = raw_safetensors(tmp_path / "s.safetensors", {"__metadata__": {"cell": 3}})
    assert "metadata is not a map of strings" in load_error(path)


# -- structure ----------------------------------------------------------------------------------
def test_missing_tensor(tmp_path):
    weights = random_weights("lstm")
    del weights["decoder.bias"], weights["decoder.weight"], weights["encoder.weight"]
    assert "missing tensor 'encoder.weight'" in load_error(write_model(tmp_path / "m.safetensors", weights))


def test_unexpected_tensor(tmp_path):
    weights = random_weights("lstm") | {"extra.scale": np.ones(3)}
    assert "unexpected tensor 'extra.scale'" in load_error(write_model(tmp_path / "m.safetensors", weights))


def test_wrong_shape_says_expected_and_got(tmp_path):
    weights = random_weights("lstm", hidden=12)
    weights["rnn.bias_hh_l0"] = np.zeros(47)
    message = load_error(write_model(tmp_path / "m.safetensors", weights))
    assert "'rnn.bias_hh_l0' has shape (47,), expected (48,)" in message


def test_inconsistent_hidden_size(tmp_path):
    weights = random_weights("gru", layers=2, hidden=12)
    weights["rnn.weight_hh_l1"] = np.zeros((30, 10))
    message = load_error(write_model(tmp_path / "m.safetensors", weights, cell="gru"))
    assert "inconsistent hidden size: layer 0 has 12 units" in message and "'rnn.weight_hh_l1'" in message


def test_layer_gap_is_an_inconsistent_layer_count(tmp_path):
    weights = random_weights("lstm", layers=3)
    for name in [n for n in weights if n.endswith("_l1")]:
        del weights[name]
    message = load_error(write_model(tmp_path / "m.safetensors", weights))
    assert "missing tensor 'rnn.weight_ih_l1' (layer 1 of 3)" in message


def test_vocab_size_differs_from_embedding_rows(tmp_path):
    path = write_model(tmp_path / "m.safetensors", random_weights("lstm", vocab=20))
    message = load_error(path, vocab=["<unk>", "a", "b"])
    assert "the vocabulary has 3 tokens but 'encoder.weight' has 20 rows" in message
    assert "vocabulary from vocab=" in message


def test_vocab_size_error_names_the_vocab_file(tmp_path):
    path = write_model(tmp_path / "m.safetensors", random_weights("lstm"), vocab_size=20)
    (tmp_path / "short.txt").write_text("a\nb\n")
    assert f"vocabulary from {tmp_path / 'short.txt'}" in load_error(path, vocab=tmp_path / "short.txt")


def test_wrong_cell_override_hints_at_the_right_one(tmp_path):
    path = write_model(tmp_path / "m.safetensors", random_weights("lstm"))
    message = load_error(path, cell="gru")
    assert "the shapes fit a lstm: pass cell=" in message


def test_integer_dtype_is_refused(tmp_path):
    weights = random_weights("lstm")
    weights["decoder.bias"] = np.arange(20, dtype=np.int32)
    message = load_error(write_model(tmp_path / "m.safetensors", weights))
    assert "'decoder.bias' has dtype int32: weights must be floating point" in message


def test_nan_and_inf_are_counted(tmp_path):
    weights = random_weights("lstm")
    weights["rnn.weight_hh_l0"][0, :2] = [np.nan, np.inf]
    message = load_error(write_model(tmp_path / "m.safetensors", weights))
    assert "'rnn.weight_hh_l0' has 2 NaN or infinite values" in message


def test_absurd_magnitudes_are_refused(tmp_path):
    weights = random_weights("lstm")
    weights["encoder.weight"][3, 3] = 1e30
    assert "values as large as 1e+30" in load_error(write_model(tmp_path / "m.safetensors", weights))


def test_float16_is_widened(tmp_path):
    weights = {k: v.astype(np.float16) for k, v in random_weights("gru").items()}
    model = rnnviz.load(write_model(tmp_path / "m.safetensors", weights, cell="gru"))
    assert model.dtype == np.float32
    np.testing.assert_array_equal(
        model.weights["rnn.weight_ih_l0"], weights["rnn.weight_ih_l0"].astype(np.float32)
    )


def test_bfloat16_is_widened_exactly():
    # torch_lstm_bf16 holds torch_lstm's weights rounded to bfloat16 by PyTorch itself.
    torch = pytest.importorskip("torch")
    bf16 = rnnviz.load(FIXTURES / "torch_lstm_bf16.safetensors").weights
    full = rnnviz.load(FIXTURES / "torch_lstm.safetensors").weights
    for name, value in full.items():
        rounded = torch.from_numpy(value).to(torch.bfloat16).float().numpy()
        np.testing.assert_array_equal(bf16[name], rounded, err_msg=name)


# -- vocabulary and cell ------------------------------------------------------------------------
def test_no_vocabulary_anywhere(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file(random_weights("lstm"), str(path), metadata={"cell": "lstm"})
    message = load_error(path)
    assert "has no vocabulary" in message and "m.vocab.txt or vocab.txt" in message


def test_empty_vocab_file(tmp_path):
    path = write_model(tmp_path / "m.safetensors", random_weights("lstm"))
    (tmp_path / "empty.txt").write_text("")
    assert "is empty" in load_error(path, vocab=tmp_path / "empty.txt")


def test_unreadable_vocab_file(tmp_path):
    path = write_model(tmp_path / "m.safetensors", random_weights("lstm"))
    assert "cannot read the vocabulary file" in load_error(path, vocab=tmp_path / "missing.txt")


def test_vocab_metadata_not_a_list(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file(random_weights("lstm"), str(path), metadata={"cell": "lstm", "vocab": "{oops"})
    assert "'vocab' metadata is not a JSON list" in load_error(path)


def test_unknown_cell_in_metadata(tmp_path):
    path = write_model(tmp_path / "m.safetensors", random_weights("lstm"), cell="transformer")
    assert "metadata names cell type 'transformer'" in load_error(path)


def test_cell_that_shapes_cannot_tell(tmp_path):
    weights = random_weights("lstm", hidden=4)
    weights["rnn.weight_hh_l0"] = np.zeros((10, 4))  # 2.5 gates
    assert "does not say its cell type" in load_error(
        write_model(tmp_path / "m.safetensors", weights, cell=None)
    )


def test_unknown_cell_argument(tmp_path):
    path = write_model(tmp_path / "m.safetensors", random_weights("lstm"))
    assert "unknown cell type 'lstmm'" in load_error(path, cell="lstmm")


# -- PyTorch layouts ---------------------------------------------------------------------------
def test_transformer_layers_are_refused(tmp_path):
    weights = random_weights("lstm") | {"transformer_encoder.layers.0.linear1.weight": np.zeros((4, 4))}
    assert "belongs to a Transformer" in load_error(write_model(tmp_path / "m.safetensors", weights))


def test_half_a_backward_direction_names_what_is_missing(tmp_path):
    weights = random_weights("lstm") | {"rnn.weight_ih_l0_reverse": np.zeros((4, 4))}
    message = load_error(write_model(tmp_path / "m.safetensors", weights))
    assert "missing tensor 'rnn.weight_hh_l0_reverse' (layer 0 of 1, backward direction)" in message


def test_projection_of_the_wrong_shape_says_proj_size(tmp_path):
    weights = random_weights("lstm")
    hidden = weights["rnn.weight_hh_l0"].shape[1]
    weights["rnn.weight_hr_l0"] = np.zeros((3, hidden))  # h would have 3 units: the decoder does not fit
    message = load_error(write_model(tmp_path / "m.safetensors", weights))
    assert f"for a lstm with hidden size {hidden} and proj_size 3" in message


def test_projection_on_a_gru_is_refused(tmp_path):
    weights = random_weights("gru")
    weights["rnn.weight_hr_l0"] = np.zeros((3, weights["rnn.weight_hh_l0"].shape[1]))
    message = load_error(write_model(tmp_path / "m.safetensors", weights), cell="gru")
    assert "is an LSTM projection (proj_size), but the cell is gru" in message


def test_several_recurrent_modules(tmp_path):
    weights = random_weights("lstm")
    weights["lstm2.weight_hh_l0"] = weights["rnn.weight_hh_l0"]
    assert "several recurrent modules (lstm2, rnn)" in load_error(
        write_model(tmp_path / "m.safetensors", weights)
    )


def test_pt_loads_without_torch(monkeypatch):
    """rnnviz's own restricted reader: no torch import, nothing from the file executed."""
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    model = rnnviz.load(FIXTURES / "torch_rnn_relu.pt", vocab=FIXTURES / "vocab.txt", cell="rnn_relu")
    assert model.cell_name == "rnn_relu"


def test_a_pickled_model_without_a_recurrent_layer_says_so(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2), tmp_path / "model.pt")
    message = load_error(tmp_path / "model.pt")
    assert "(Linear) has no nn.RNN, nn.LSTM or nn.GRU" in message


def test_pt_without_a_state_dict(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save([1, 2, 3], tmp_path / "list.pt")
    assert "holds a list, not a model, state dict or checkpoint" in load_error(tmp_path / "list.pt")


# -- npz ---------------------------------------------------------------------------------------
def npz_with_member(path: Path, name: str, member: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.npy", member)
    return path


def test_npz_object_arrays_are_never_unpickled(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    path = npz_with_member(tmp_path / "o.npz", "encoder.weight", buffer.getvalue())
    assert "holds Python objects, which rnnviz never unpickles" in load_error(path)


def test_npz_array_shorter_than_its_header(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((1000, 1000)))
    path = npz_with_member(tmp_path / "t.npz", "encoder.weight", buffer.getvalue()[:500])
    assert "needs 8,000,000 bytes but" in load_error(path)


def test_npz_with_native_names_loads(tmp_path):
    weights = random_weights("gru", layers=2)
    np.savez(tmp_path / "m.npz", **weights)
    (tmp_path / "vocab.txt").write_text("\n".join(make_vocab(20)))
    model = rnnviz.load(tmp_path / "m.npz", dtype="float64")
    assert model.cell == "gru" and model.num_layers == 2
    np.testing.assert_array_equal(model.weights["rnn.weight_hh_l1"], weights["rnn.weight_hh_l1"])


# -- Keras -------------------------------------------------------------------------------------
def edited_keras(tmp_path: Path, source: str, edit) -> Path:
    """A copy of a fixture .keras file whose config.json went through `edit`."""
    out = tmp_path / source
    with zipfile.ZipFile(FIXTURES / source) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            dst.writestr(info.filename, data)
    return out


def layer_config(config: dict, class_name: str) -> dict:
    return next(la for la in config["config"]["layers"] if la["class_name"] == class_name)["config"]


def test_keras_without_h5py_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    assert 'pip install "rnnviz[keras]"' in load_error(FIXTURES / "keras_lstm.keras")


def test_keras_gru_reset_after_false_is_refused():
    pytest.importorskip("h5py")
    assert "reset_after=False" in load_error(FIXTURES / "keras_gru_reset_before.keras")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("activation", "relu", "has activation='relu', which is not supported: use tanh"),
        ("recurrent_activation", "hard_sigmoid", "recurrent_activation='hard_sigmoid'"),
        ("go_backwards", True, "runs backwards (go_backwards=True)"),
    ],
)
def test_keras_unsupported_lstm_settings(tmp_path, key, value, expected):
    pytest.importorskip("h5py")
    path = edited_keras(tmp_path, "keras_lstm.keras", lambda c: layer_config(c, "LSTM").update({key: value}))
    assert expected in load_error(path)


def test_keras_unsupported_decoder_activation(tmp_path):
    pytest.importorskip("h5py")
    path = edited_keras(
        tmp_path, "keras_gru.keras", lambda c: layer_config(c, "Dense").update(activation="relu")
    )
    assert "activation='relu', which is not supported" in load_error(path)


def test_keras_simple_rnn_activation(tmp_path):
    pytest.importorskip("h5py")
    path = edited_keras(
        tmp_path, "keras_simple_rnn.keras", lambda c: layer_config(c, "SimpleRNN").update(activation="elu")
    )
    assert "SimpleRNN activations ['elu'] are not supported" in load_error(path)


def test_keras_mixed_cell_types(tmp_path):
    pytest.importorskip("h5py")

    def make_second_layer_a_gru(config):
        second = [la for la in config["config"]["layers"] if la["class_name"] == "LSTM"][1]
        second["class_name"] = "GRU"

    message = load_error(edited_keras(tmp_path, "keras_lstm.keras", make_second_layer_a_gru))
    assert "mixed recurrent layer types (lstm → gru) are not supported" in message


def test_keras_bidirectional(tmp_path):
    pytest.importorskip("h5py")
    path = edited_keras(
        tmp_path,
        "keras_gru.keras",
        lambda c: next(la for la in c["config"]["layers"] if la["class_name"] == "GRU").update(
            class_name="Bidirectional"
        ),
    )
    assert "(Bidirectional) wraps no layer: the file is damaged" in load_error(path)


def test_keras_unknown_layer(tmp_path):
    pytest.importorskip("h5py")
    path = edited_keras(
        tmp_path,
        "keras_gru.keras",
        lambda c: c["config"]["layers"].insert(
            2, {"class_name": "LayerNormalization", "config": {"name": "ln"}}
        ),
    )
    assert "'ln' (LayerNormalization) is not supported: rnnviz reads [Embedding →]" in load_error(path)


def test_keras_custom_model_class(tmp_path):
    path = edited_keras(tmp_path, "keras_gru.keras", lambda c: c.update(class_name="MyLanguageModel"))
    assert "holds a 'MyLanguageModel' model" in load_error(path)


def test_keras_with_damaged_weights(tmp_path):
    pytest.importorskip("h5py")
    path = tmp_path / "damaged.keras"
    with zipfile.ZipFile(FIXTURES / "keras_gru.keras") as src, zipfile.ZipFile(path, "w") as dst:
        dst.writestr("config.json", src.read("config.json"))
        dst.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(200))
    assert "weights inside the .keras file are not readable" in load_error(path)


def test_zip_of_something_else(tmp_path):
    path = tmp_path / "only_config.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")
    assert "a zip archive that is neither .npz, .keras nor .pt" in load_error(path)


def test_keras_npz_bidirectional_paths(tmp_path):
    np.savez(tmp_path / "w.npz", **{"model/bidirectional/forward_lstm/lstm_cell/kernel": np.zeros((2, 8))})
    assert "bidirectional layer, which is not supported yet" in load_error(tmp_path / "w.npz")
