"""Issue 19: no memory bomb, no read outside the file, no hang, and no silent nonsense.

Sizes are checked from what a file declares before anything is materialised; paths that are not
regular files are refused at once; a model whose state overflows says so in words."""

from __future__ import annotations

import io
import json
import os
import socket
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import make_vocab, random_model, random_weights
from safetensors.numpy import save_file

import rnnviz
from rnnviz.errors import InputError, RnnvizError, WeightsError

VOCAB = make_vocab(12)


def safetensors(path: Path, cell: str = "gru", vocab=VOCAB, **sizes) -> Path:
    weights = random_weights(cell, vocab=len(vocab), **({"embedding": 4, "hidden": 3} | sizes))
    save_file({k: v.astype(np.float32) for k, v in weights.items()}, str(path), metadata={"cell": cell})
    return path


def header_file(path: Path, header: bytes, body: bytes = b"") -> Path:
    path.write_bytes(struct.pack("<Q", len(header)) + header + body)
    return path


def test_an_npz_zip_bomb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bomb.npz"
    count = 300_000_000  # 300 MB of zeros deflate to ~300 KB; written a megabyte at a time
    header = {"descr": "|u1", "fortran_order": False, "shape": (count,)}
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z,
        z.open("encoder.weight.npy", "w", force_zip64=True) as f,
    ):
        np.lib.format.write_array_header_1_0(f, header)
        for _ in range(count // 1_000_000):
            f.write(bytes(1_000_000))
    assert path.stat().st_size < 2_000_000
    with pytest.raises(WeightsError, match="zip bomb"):
        rnnviz.load(path, vocab=VOCAB, cell="gru")


def test_a_member_that_lies_about_its_size_is_refused(tmp_path):
    path = tmp_path / "liar.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((12, 4), np.float32))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("encoder.weight.npy", buffer.getvalue())
    data = bytearray(path.read_bytes())
    # shrink the declared uncompressed size in both headers: the reader must not trust it
    size = len(buffer.getvalue())
    data = data.replace(struct.pack("<I", size), struct.pack("<I", size - 40))
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError):
        rnnviz.load(path, vocab=VOCAB, cell="gru")


def keras_with_dataset(tmp_path: Path, make) -> Path:
    h5py = pytest.importorskip("h5py")
    fixture = Path(__file__).parent / "fixtures" / "weights" / "keras_gru.keras"
    out = tmp_path / "k.keras"
    with zipfile.ZipFile(fixture) as src, zipfile.ZipFile(out, "w") as dst:
        dst.writestr("config.json", src.read("config.json"))
        h5_in, h5_out = io.BytesIO(src.read("model.weights.h5")), io.BytesIO()
        with h5py.File(h5_in, "r") as old, h5py.File(h5_out, "w") as new:
            names: list[str] = []
            old.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
            for name in names:
                if name == names[0]:
                    make(new, name, old[name])
                else:
                    new.create_dataset(name, data=old[name][()])
        dst.writestr("model.weights.h5", h5_out.getvalue())
    (tmp_path / "vocab.txt").write_text("\n".join(make_vocab(72)))
    return out


def test_keras_external_storage_is_never_read(tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"\x00" * 100_000)

    def external(h5, name, old):
        h5.create_dataset(name, shape=old.shape, dtype=old.dtype, external=[(str(secret), 0, 1 << 30)])

    with pytest.raises(WeightsError, match="external storage"):
        rnnviz.load(keras_with_dataset(tmp_path, external))


def test_keras_unallocated_or_oversized_datasets_are_refused(tmp_path):
    def unallocated(h5, name, old):
        h5.create_dataset(name, shape=old.shape, dtype=old.dtype)  # never written

    with pytest.raises(WeightsError, match="no stored values"):
        rnnviz.load(keras_with_dataset(tmp_path, unallocated))

    def huge(h5, name, old):
        h5.create_dataset(name, shape=(1 << 20, 1 << 20), dtype="f4", chunks=(64, 64), fillvalue=0)
        h5[name][0, 0] = 1  # one chunk allocated: 16 KB stored, 4 TB declared

    with pytest.raises(WeightsError, match="declares"):
        rnnviz.load(keras_with_dataset(tmp_path, huge))


@pytest.mark.parametrize("kind", ["fifo", "socket", "device", "loop", "dangling"])
def test_paths_that_are_not_regular_files_are_refused_at_once(tmp_path, kind):
    path = tmp_path / f"{kind}.safetensors"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    elif kind == "device":
        path = Path("/dev/zero")
    elif kind == "loop":
        os.symlink(path, path)
    else:
        os.symlink(tmp_path / "gone", path)
    expected = {"loop": "loops back", "dangling": "does not exist"}.get(kind, "not a regular file")
    for load in (lambda: rnnviz.load(path), lambda: rnnviz.load("gru", vocab=path)):
        with pytest.raises(WeightsError, match=expected):
            load()
    from rnnviz.cli.train import read_corpus

    with pytest.raises(InputError, match=expected):
        read_corpus(path)


def test_a_duplicate_header_key_is_refused(tmp_path):
    entry = '{"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}'
    header = f'{{"decoder.bias": {entry}, "decoder.bias": {entry}}}'.encode()
    with pytest.raises(WeightsError, match="'decoder.bias' twice"):
        rnnviz.load(header_file(tmp_path / "d.safetensors", header, b"\0" * 4), vocab=VOCAB)


def test_a_vocabulary_with_a_repeated_token_says_which_and_where(tmp_path):
    path = safetensors(tmp_path / "m.safetensors")
    vocab = tmp_path / "v.txt"
    vocab.write_text("\n".join(VOCAB[:5] + ["cat"] + VOCAB[6:-1] + ["cat"]) + "\n")
    with pytest.raises(WeightsError, match=r"'cat' twice \(lines 6 and 12\)"):
        rnnviz.load(path, vocab=vocab)


def test_an_embedding_of_size_zero_is_refused(tmp_path):
    with pytest.raises(WeightsError, match="embedding of size 0"):
        rnnviz.load(safetensors(tmp_path / "z.safetensors", embedding=0), vocab=VOCAB)


@pytest.mark.parametrize("shape", [[1] * 71, [2**64, 0], [2**63, 0, 0]])
def test_absurd_shapes_are_weights_errors(tmp_path, shape):
    header = json.dumps({"decoder.bias": {"dtype": "F32", "shape": shape, "data_offsets": [0, 0]}})
    with pytest.raises(WeightsError):
        rnnviz.load(header_file(tmp_path / "s.safetensors", header.encode()), vocab=VOCAB)


def test_memory_error_while_reading_is_a_weights_error(tmp_path, monkeypatch):
    path = safetensors(tmp_path / "m.safetensors")

    def no_memory(*args):
        raise MemoryError

    monkeypatch.setattr("rnnviz.io.formats.safetensors_file.bytearray", no_memory, raising=False)
    with pytest.raises(WeightsError, match="not enough memory"):
        rnnviz.load(path, vocab=VOCAB)


def test_an_overflowing_relu_rnn_says_where_without_warnings():
    model = random_model("rnn_relu", vocab=12, embedding=4, hidden=6, scale=1e8, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match=r"overflowed at word \d+ \('\w+'\), layer 0: .*relu"):
            model.run("the cat sat on the mat , the dog sat on the mat .")


def test_render_of_an_overflowing_model_is_one_error_line(tmp_path, capsys):
    from rnnviz.cli import main

    model = random_model("rnn_relu", vocab=12, embedding=4, hidden=6, scale=1e8, seed=3)
    rnnviz.save(model, tmp_path / "big.safetensors")
    assert main(["render", str(tmp_path / "big.safetensors"), "--text", "the cat sat on the mat " * 3]) == 2
    captured = capsys.readouterr()
    assert "overflowed" in captured.err and "Warning" not in captured.err + captured.out


def test_errors_stay_rnnviz_errors():
    assert issubclass(WeightsError, RnnvizError) and issubclass(InputError, ValueError)
