"""Damaged files either load as a working model or raise WeightsError: no other exception, no hang.

Starting from valid files, hypothesis truncates them, flips bytes, edits headers and configs and
changes tensor shapes. A file that still loads must run a sentence with finite states, and
`rnnviz inspect` must report on it without any other exception either.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import make_vocab, random_weights
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rich.console import Console
from safetensors.numpy import save_file

import rnnviz
from rnnviz import WeightsError
from rnnviz.cli.inspect import inspect_file, render

FIXTURES = Path(__file__).parent / "fixtures" / "weights"
FUZZ = settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
VOCAB = make_vocab(12)
DTYPE_CODES = ["F64", "F32", "F16", "BF16", "I64", "I32", "I8", "U8", "BOOL", "F8_E5M2", "X", 7, None]


def safetensors_bytes(cell: str = "lstm") -> bytes:
    buffer = io.BytesIO()
    path = Path(f"/tmp/rnnviz-fuzz-base-{cell}.safetensors")
    weights = random_weights(cell, layers=2, vocab=len(VOCAB), embedding=4, hidden=3, seed=1)
    save_file(weights, str(path), metadata={"cell": cell, "vocab": json.dumps(VOCAB)})
    buffer.write(path.read_bytes())
    path.unlink()
    return buffer.getvalue()


BASE_SAFETENSORS = safetensors_bytes()


def split_safetensors(data: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def join_safetensors(header: dict, body: bytes) -> bytes:
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + body


def check(path: Path) -> None:
    """The property: a working model or WeightsError, from load and from inspect alike."""
    try:
        model = rnnviz.load(path)
    except WeightsError as err:
        assert str(err) and "\n" not in str(err)
        event("refused")
    else:
        event("loaded")
        trace = model.run_ids(np.arange(min(4, len(model.vocab))))
        assert np.isfinite(trace.hidden).all() and np.isfinite(trace.probs).all()
        if trace.cell_state is not None:
            assert np.isfinite(trace.cell_state).all()
    try:
        report = inspect_file(path)
    except WeightsError:
        return
    Console(file=io.StringIO(), width=100).print(render(report))


def flipped(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, mask in flips:
        out[position % len(out)] ^= mask
    return bytes(out)


FLIPS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=6)


# -- safetensors ------------------------------------------------------------------------------
@FUZZ
@given(cut=st.integers(0, len(BASE_SAFETENSORS) - 1))
def test_truncated_safetensors(tmp_path, cut):
    path = tmp_path / "t.safetensors"
    path.write_bytes(BASE_SAFETENSORS[:cut])
    check(path)


@FUZZ
@given(flips=FLIPS)
def test_byte_flipped_safetensors(tmp_path, flips):
    path = tmp_path / "f.safetensors"
    path.write_bytes(flipped(BASE_SAFETENSORS, flips))
    check(path)


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 7), st.integers(1, 255)), min_size=1, max_size=3))
def test_header_length_edits(tmp_path, flips):
    path = tmp_path / "h.safetensors"
    path.write_bytes(flipped(BASE_SAFETENSORS[:8], flips) + BASE_SAFETENSORS[8:])
    check(path)


HEADER_EDITS = st.one_of(
    st.tuples(st.just("shape"), st.lists(st.integers(0, 80), max_size=3)),
    st.tuples(st.just("dtype"), st.sampled_from(DTYPE_CODES)),
    st.tuples(st.just("offsets"), st.lists(st.integers(-5, 5000), max_size=3)),
    st.tuples(st.just("delete"), st.none()),
    st.tuples(
        st.just("rename"), st.sampled_from(["rnn.weight_ih_l5", "decoder.weight", "x", "rnn.weight_hr_l0"])
    ),
    st.tuples(st.just("entry"), st.sampled_from([None, [], "F32", {"dtype": "F32"}, {"shape": [1]}])),
    st.tuples(st.just("metadata"), st.sampled_from(["cell", "vocab"])),
)


@FUZZ
@given(
    edits=st.lists(st.tuples(st.integers(0, 20), HEADER_EDITS), min_size=1, max_size=3),
    text=st.text(max_size=20),
)
def test_header_edits(tmp_path, edits, text):
    header, body = split_safetensors(BASE_SAFETENSORS)
    for index, (kind, value) in edits:
        names = [n for n in header if n != "__metadata__"]
        if not names:
            break
        name = names[index % len(names)]
        if kind in ("shape", "dtype", "offsets") and not isinstance(header[name], dict):
            continue
        if kind == "shape":
            header[name]["shape"] = value
        elif kind == "dtype":
            header[name]["dtype"] = value
        elif kind == "offsets":
            header[name]["data_offsets"] = value
        elif kind == "delete":
            del header[name]
        elif kind == "rename":
            header[value] = header.pop(name)
        elif kind == "entry":
            header[name] = value
        else:
            header["__metadata__"][value] = text  # a cell or vocabulary that is probably wrong
    path = tmp_path / "e.safetensors"
    path.write_bytes(join_safetensors(header, body))
    check(path)


ARRAY_CHANGES = st.sampled_from(
    ["transpose", "drop_row", "add_column", "flatten", "scalar", "int", "half", "huge"]
)


def changed(value: np.ndarray, how: str) -> np.ndarray:
    """One tensor reshaped, cut, grown, retyped or blown up; any input shape gives an array."""
    value = np.asarray(value)
    flat = value.reshape(-1)
    with np.errstate(all="ignore"):
        out = {
            "transpose": lambda: value.T,
            "drop_row": lambda: value[:-1] if value.ndim else flat[:0],
            "add_column": lambda: np.concatenate(
                [np.atleast_1d(value), np.atleast_1d(value)[..., :1]], axis=-1
            ),
            "flatten": lambda: flat,
            "scalar": lambda: (flat[:1] if flat.size else np.zeros(1, value.dtype)).reshape(()),
            "int": lambda: np.nan_to_num(value.astype(np.float64)).clip(-1e6, 1e6).astype(np.int32),
            "half": lambda: value.astype(np.float16),
            "huge": lambda: value.astype(np.float64) * 1e20,
        }[how]()
    return np.ascontiguousarray(out)


@FUZZ
@given(
    cell=st.sampled_from(["lstm", "gru", "rnn_tanh"]),
    changes=st.lists(st.tuples(st.integers(0, 20), ARRAY_CHANGES), max_size=3),
)
def test_shape_changes(tmp_path, cell, changes):
    weights = random_weights(cell, layers=2, vocab=len(VOCAB), embedding=4, hidden=3, seed=2)
    weights = {k: v.astype(np.float32) for k, v in weights.items()}
    for index, how in changes:
        name = sorted(weights)[index % len(weights)]
        weights[name] = changed(weights[name], how)
    path = tmp_path / "s.safetensors"
    save_file(weights, str(path), metadata={"cell": cell, "vocab": json.dumps(VOCAB)})
    check(path)


# -- npz ---------------------------------------------------------------------------------------
def npz_bytes(weights: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **weights)
    return buffer.getvalue()


BASE_NPZ = npz_bytes(random_weights("gru", vocab=len(VOCAB), embedding=4, hidden=3, seed=3))


@FUZZ
@given(
    cut=st.integers(0, len(BASE_NPZ) - 1),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=4),
)
def test_damaged_npz(tmp_path, cut, flips):
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB))
    path = tmp_path / "d.npz"
    path.write_bytes(flipped(BASE_NPZ, flips)[: max(cut, 1)] if flips else BASE_NPZ[:cut])
    check(path)


@FUZZ
@given(member=st.integers(0, 10), flips=FLIPS)
def test_npz_members_damaged_with_valid_checksums(tmp_path, member, flips):
    # Rewriting the archive recomputes the CRCs, so the .npy headers and data themselves are tested.
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB))
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(io.BytesIO(BASE_NPZ)) as src, zipfile.ZipFile(path, "w") as dst:
        names = src.namelist()
        for k, name in enumerate(names):
            data = src.read(name)
            dst.writestr(
                name, flipped(data, [(p % 128, m) for p, m in flips]) if k == member % len(names) else data
            )
    check(path)


# -- Keras -------------------------------------------------------------------------------------
KERAS_BASE = (FIXTURES / "keras_gru.keras").read_bytes()
CONFIG_EDITS = st.tuples(
    st.integers(0, 10),
    st.sampled_from(
        ["units", "activation", "recurrent_activation", "reset_after", "class_name", "go_backwards", "name"]
    ),
    st.sampled_from([None, 0, 3, -1, True, False, "relu", "tanh", "sigmoid", "GRU", "LSTM", "Dense", [], {}]),
)


def keras_with(config_edits: list, var_changes: list) -> bytes:
    import h5py

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(KERAS_BASE)) as src, zipfile.ZipFile(out, "w") as dst:
        config = json.loads(src.read("config.json"))
        layers = config["config"]["layers"]
        for index, key, value in config_edits:
            layer = layers[index % len(layers)]
            (layer if key == "class_name" else layer["config"])[key] = value
        dst.writestr("config.json", json.dumps(config))
        h5_in, h5_out = io.BytesIO(src.read("model.weights.h5")), io.BytesIO()
        with h5py.File(h5_in, "r") as old, h5py.File(h5_out, "w") as new:
            datasets: list[str] = []
            old.visititems(lambda name, obj: datasets.append(name) if isinstance(obj, h5py.Dataset) else None)
            for name in datasets:
                new.create_dataset(name, data=old[name][()])
            for index, how in var_changes:
                name = datasets[index % len(datasets)]
                value = changed(new[name][()], how)
                del new[name]
                new.create_dataset(name, data=value)
        dst.writestr("model.weights.h5", h5_out.getvalue())
    return out.getvalue()


@settings(FUZZ, max_examples=150)
@given(
    config_edits=st.lists(CONFIG_EDITS, max_size=2),
    var_changes=st.lists(st.tuples(st.integers(0, 20), ARRAY_CHANGES), max_size=2),
)
def test_keras_config_and_shape_edits(tmp_path, config_edits, var_changes):
    pytest.importorskip("h5py")
    (tmp_path / "vocab.txt").write_text("\n".join(make_vocab(72)))
    path = tmp_path / "k.keras"
    path.write_bytes(keras_with(config_edits, var_changes))
    check(path)


@settings(FUZZ, max_examples=150)
@given(
    cut=st.integers(0, len(KERAS_BASE)),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=3),
)
def test_damaged_keras(tmp_path, cut, flips):
    pytest.importorskip("h5py")
    (tmp_path / "vocab.txt").write_text("\n".join(make_vocab(72)))
    path = tmp_path / "d.keras"
    path.write_bytes(flipped(KERAS_BASE, flips) if flips else KERAS_BASE[:cut])
    check(path)
