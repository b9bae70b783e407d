"""Damaged files either load as a working model or raise WeightsError: no other exception, no hang.

Starting from valid files, hypothesis truncates them, flips bytes, edits headers and configs and
changes tensor shapes. A file that still loads must run a sentence with finite states, and
`rnnviz inspect` must report on it without any other exception either. On a sample of the cases
(and on every crafted one) the commands themselves run too, in-process: no traceback, no raw
control byte in what they print, exit status 2 for a file that does not load, and memory within
20× the file's size plus 200 MB.

The default run keeps the whole file near 30 s; RNNVIZ_FULL_FUZZ=1 (set by .ci/run) runs 4× the
examples.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import make_vocab, random_weights
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from rich.console import Console
from safetensors.numpy import save_file

import rnnviz
from rnnviz import WeightsError
from rnnviz.cli import main
from rnnviz.cli.inspect import inspect_file, render
from rnnviz.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "weights"
FULL = os.environ.get("RNNVIZ_FULL_FUZZ") == "1"
EXAMPLES = 400 if FULL else 100
KERAS_EXAMPLES = 150 if FULL else 35
CLI_SAMPLE = 4  # the commands run on one case in CLI_SAMPLE (every case with RNNVIZ_FULL_FUZZ=1)
FUZZ = settings(
    deadline=None, max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
MB = 1_000_000
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


def note(what: str) -> None:
    """hypothesis' event(), which the crafted (non-hypothesis) cases cannot record."""
    with contextlib.suppress(InvalidArgument):
        event(what)


def run_cli(argv: list[str]) -> tuple[int, str]:
    """`rnnviz ARGV` in-process: its exit status and everything it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue() + err.getvalue()


def check_cli(path: Path, loads: bool, vocab: str | None = None) -> None:
    """The commands on the file: plain one-line errors, nothing raw, status 2 when it cannot load,
    and a traced memory peak within the reading budget."""
    extra = ["--vocab", vocab] if vocab else []
    tracemalloc.start()
    try:
        for argv in (["inspect", str(path), *extra], ["render", str(path), "--text", "the cat", *extra]):
            code, printed = run_cli(argv)
            assert "Traceback" not in printed and not RAW_CONTROL.search(printed), printed[-500:]
            assert code in (0, 2)
            if not loads:
                assert code == 2
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 20 * path.stat().st_size + 200 * MB


def check(path: Path, cli: bool | None = None) -> None:
    """The property: a working model or WeightsError, from load and from inspect alike."""
    if cli is None:
        cli = FULL or zlib.crc32(path.read_bytes()) % CLI_SAMPLE == 0
    try:
        model = rnnviz.load(path)
    except WeightsError as err:
        assert str(err) and "\n" not in str(err)
        note("refused")
        if cli:
            check_cli(path, loads=False)
    else:
        note("loaded")
        try:
            trace = model.run_ids(np.arange(min(4, len(model.vocab))))
        except InputError as err:  # valid weights too large for the text: said in words
            assert "overflowed" in str(err)
            note("overflowed")
        else:
            assert np.isfinite(trace.hidden).all() and np.isfinite(trace.probs).all()
            if trace.cell_state is not None:
                assert np.isfinite(trace.cell_state).all()
        if cli:
            check_cli(path, loads=True)
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


@settings(FUZZ, max_examples=KERAS_EXAMPLES)
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


@settings(FUZZ, max_examples=KERAS_EXAMPLES)
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


# -- crafted cases: bombs, storage outside the file, names that are markup or terminal commands ----
NAMES = ["\x1b]0;TITLE\x07\x1b[2J", "[bold red]x[/]", "no[/]such", "\x9b31m", "\u202eevil", "a\nb"]


@pytest.mark.parametrize("name", NAMES)
def test_names_with_markup_and_control_characters(tmp_path, name):
    weights = random_weights("gru", vocab=len(VOCAB), embedding=4, hidden=3, seed=5)
    weights = {k: v.astype(np.float32) for k, v in weights.items()}
    weights[name] = np.zeros(2, np.float32)  # an unknown tensor: the file does not load
    path = tmp_path / "n.safetensors"
    save_file(weights, str(path), metadata={"cell": "gru", "vocab": json.dumps([*VOCAB[:-1], name])})
    check(path, cli=True)


def test_an_npz_bomb(tmp_path):
    path = tmp_path / "bomb.npz"
    count = 300 * MB
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z,
        z.open("encoder.weight.npy", "w", force_zip64=True) as f,
    ):
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (count,)})
        for _ in range(count // MB):
            f.write(bytes(MB))
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB))
    check(path, cli=True)


@pytest.mark.parametrize("storage", ["external", "unallocated"])
def test_hdf5_storage_outside_the_file_or_never_written(tmp_path, storage):
    h5py = pytest.importorskip("h5py")
    secret = tmp_path / "secret.bin"
    secret.write_bytes(bytes(4096))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(KERAS_BASE)) as src, zipfile.ZipFile(out, "w") as dst:
        dst.writestr("config.json", src.read("config.json"))
        h5_in, h5_out = io.BytesIO(src.read("model.weights.h5")), io.BytesIO()
        with h5py.File(h5_in, "r") as old, h5py.File(h5_out, "w") as new:
            names: list[str] = []
            old.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
            for k, name in enumerate(names):
                value = old[name][()]
                if k:
                    new.create_dataset(name, data=value)
                elif storage == "external":
                    new.create_dataset(name, value.shape, value.dtype, external=[(str(secret), 0, 1 << 20)])
                else:
                    new.create_dataset(name, value.shape, value.dtype)
        dst.writestr("model.weights.h5", h5_out.getvalue())
    path = tmp_path / "k.keras"
    path.write_bytes(out.getvalue())
    (tmp_path / "vocab.txt").write_text("\n".join(make_vocab(72)))
    with pytest.raises(WeightsError):
        rnnviz.load(path)
    check(path, cli=True)
