"""Tell a weights file's format from its first bytes (and a zip's member names), never from trust."""

from __future__ import annotations

import zipfile
from pathlib import Path

from rnnviz.errors import WeightsError
from rnnviz.io.formats.torch_pickle import looks_like_torch_pickle
from rnnviz.io.formats.zipped import ZIP_ERRORS

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
FORMATS_READ = "rnnviz reads .safetensors, .npz, .keras and PyTorch .pt/.pth files"


def sniff(path: Path) -> str:
    """One of "safetensors", "npz", "keras", "torch"; WeightsError for anything else."""
    with path.open("rb") as f:
        head = f.read(32)
    if head.startswith(b"PK"):
        return _zip_kind(path)
    if head.startswith(HDF5_MAGIC):
        raise WeightsError(
            "an HDF5 file (a Keras 2 .h5?): rnnviz reads Keras 3 .keras files; "
            "load the model in Keras and save it with model.save('model.keras')"
        )
    if len(head) >= 9 and head[8:9] == b"{":
        return "safetensors"  # before the pickle test: a header length may start 0x80 0x03
    if looks_like_torch_pickle(head):
        return "torch"  # PyTorch's legacy (pre-1.6) format: pickles after a magic number
    if path.suffix.lower() == ".safetensors":
        return "safetensors"  # a damaged one: its reader says exactly what is wrong
    if _looks_like_text(head):
        raise WeightsError(
            "not a weights file: it looks like text (a vocabulary? pass it with --vocab / vocab=); "
            + FORMATS_READ
        )
    raise WeightsError(f"not a weights file; {FORMATS_READ}")


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except ZIP_ERRORS:
        raise WeightsError(f"a damaged zip archive, not a readable weights file; {FORMATS_READ}") from None
    if "config.json" in names and "model.weights.h5" in names:
        return "keras"
    if any(n.endswith("data.pkl") for n in names):
        return "torch"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    if not names:
        raise WeightsError("an empty zip archive: it holds no weights")
    raise WeightsError(f"a zip archive that is neither .npz, .keras nor .pt; {FORMATS_READ}")


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return text.isprintable() or all(c.isprintable() or c in "\n\r\t" for c in text)
