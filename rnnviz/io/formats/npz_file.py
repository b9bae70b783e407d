"""Read .npz archives with `allow_pickle=False` always, each array's header checked before its data."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from rnnviz.errors import WeightsError
from rnnviz.io.formats.found import Found, widen
from rnnviz.io.formats.zipped import open_zip, read_member


def read_npz(path: Path) -> Found:
    found = Found("npz", {})
    with open_zip(path, ".npz file") as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        if not names:
            raise WeightsError("the .npz archive holds no arrays")
        for member in names:
            name = member.removesuffix(".npy")
            value = _array(name, read_member(archive, member, ".npz file"))
            found.tensors[name] = widen(name, value, found.stored_dtypes)
    return found


def _array(name: str, data: bytes) -> np.ndarray:
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    except Exception:  # numpy parses the header as a Python literal: any error type can come out
        raise WeightsError(f"array {name!r} is not a readable .npy array: the file is damaged") from None
    if dtype.hasobject:
        raise WeightsError(
            f"array {name!r} holds Python objects, which rnnviz never unpickles; save plain numbers"
        )
    needed = math.prod(shape) * dtype.itemsize
    stored = len(data) - stream.tell()
    if needed != stored:
        raise WeightsError(
            f"array {name!r}: shape {shape} of {dtype} needs {needed:,} bytes but {stored:,} are stored; "
            "the file is truncated or damaged"
        )
    stream.seek(0)
    try:
        return np.load(stream, allow_pickle=False)
    except (ValueError, OSError, TypeError) as err:
        raise WeightsError(f"array {name!r} is not readable ({err}); the file is damaged") from None
