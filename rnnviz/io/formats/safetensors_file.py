"""Read safetensors without trusting it: the header is checked against the file before anything is read.

Layout: an 8-byte little-endian header length N, N bytes of JSON ({name: {dtype, shape, data_offsets}}
and an optional "__metadata__" of strings), then the tensors' bytes. Parsing it here (instead of with the
safetensors package) lets a forged length never allocate, and reads bfloat16 without extra packages.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from rnnviz.errors import WeightsError
from rnnviz.io.formats.found import Found

MAX_HEADER = 100_000_000  # the safetensors package's own limit
MAX_DIMENSIONS = 32  # NumPy's own limit is 64; a weight has 1 or 2
MAX_DIMENSION = 2**48  # no axis of a real tensor is longer, and NumPy's index type stays far away
DTYPES: dict[str, tuple[str, np.dtype]] = {
    "F64": ("float64", np.dtype("<f8")),
    "F32": ("float32", np.dtype("<f4")),
    "F16": ("float16", np.dtype("<f2")),
    "BF16": ("bfloat16", np.dtype("<u2")),  # widened to float32 below
    "I64": ("int64", np.dtype("<i8")),
    "I32": ("int32", np.dtype("<i4")),
    "I16": ("int16", np.dtype("<i2")),
    "I8": ("int8", np.dtype("i1")),
    "U64": ("uint64", np.dtype("<u8")),
    "U32": ("uint32", np.dtype("<u4")),
    "U16": ("uint16", np.dtype("<u2")),
    "U8": ("uint8", np.dtype("u1")),
    "BOOL": ("bool", np.dtype("?")),
}


def read_header(f: BinaryIO, file_size: int) -> tuple[dict[str, Any], int]:
    """The parsed JSON header and the offset where the tensor data starts."""
    if file_size < 8:
        raise WeightsError(f"truncated: {file_size} bytes is too short even for a safetensors header length")
    (length,) = struct.unpack("<Q", f.read(8))
    if length > MAX_HEADER:
        raise WeightsError(
            f"oversized header: it claims {length:,} bytes (limit {MAX_HEADER:,}); "
            "the file is damaged or not safetensors"
        )
    if length > file_size - 8:
        raise WeightsError(
            f"truncated: the header claims {length:,} bytes but only {file_size - 8:,} follow; "
            "copy or download the file again"
        )
    raw = f.read(length)
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise WeightsError("the safetensors header is not valid JSON: the file is damaged") from None
    if not isinstance(header, dict):
        raise WeightsError("the safetensors header is not a JSON object: the file is damaged")
    return header, 8 + length


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when a key repeats (json.loads would silently keep the last one)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise WeightsError(f"the safetensors header names {key!r} twice: the file is damaged or forged")
        out[key] = value
    return out


def read_safetensors(path: Path) -> Found:
    size = path.stat().st_size
    with path.open("rb") as f:
        header, data_start = read_header(f, size)
        metadata = _metadata(header.pop("__metadata__", None))
        data_size = size - data_start
        found = Found("safetensors", {}, metadata=metadata)
        for name, entry in header.items():
            dtype_name, dtype, count, begin = _entry(name, entry, data_size)
            f.seek(data_start + begin)
            buffer = bytearray(count * dtype.itemsize)
            f.readinto(buffer)
            shape = tuple(entry["shape"])
            values = np.frombuffer(buffer, dtype=dtype).reshape(shape)
            found.stored_dtypes[name] = dtype_name
            if dtype_name == "bfloat16":  # bfloat16 is the top half of a float32
                values = (values.astype(np.uint32) << 16).view(np.float32)
            elif dtype_name == "float16":
                values = values.astype(np.float32)
            found.tensors[name] = values
    return found


def _metadata(raw: object) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise WeightsError("the safetensors metadata is not a map of strings: the file is damaged")
    return dict(raw)


def _entry(name: str, entry: object, data_size: int) -> tuple[str, np.dtype, int, int]:
    """(dtype name, numpy dtype, element count, first byte) of one header entry, all checked."""
    if not isinstance(entry, dict):
        raise WeightsError(f"tensor {name!r}: its header entry is not an object; the file is damaged")
    code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(code, str):
        raise WeightsError(f"tensor {name!r}: the header gives no dtype; the file is damaged")
    if code not in DTYPES:
        raise WeightsError(f"tensor {name!r} has dtype {code}, which rnnviz cannot use: save it as float32")
    if not _int_list(shape) or not all(0 <= n < MAX_DIMENSION for n in shape):
        raise WeightsError(f"tensor {name!r}: the header gives no valid shape; the file is damaged")
    if len(shape) > MAX_DIMENSIONS:
        raise WeightsError(
            f"tensor {name!r} has {len(shape)} dimensions (at most {MAX_DIMENSIONS} are readable): "
            "the file is damaged"
        )
    if not _int_list(offsets) or len(offsets) != 2:
        raise WeightsError(f"tensor {name!r}: the header gives no valid data offsets; the file is damaged")
    begin, end = offsets
    dtype_name, dtype = DTYPES[code]
    count = math.prod(shape)
    if not 0 <= begin <= end or end > data_size:
        raise WeightsError(
            f"truncated: tensor {name!r} needs bytes {begin:,}–{end:,} but the file holds {data_size:,}; "
            "copy or download the file again"
        )
    if end - begin != count * dtype.itemsize:
        raise WeightsError(
            f"tensor {name!r}: shape {tuple(shape)} of {code} needs {count * dtype.itemsize:,} bytes "
            f"but the header gives it {end - begin:,}; the file is damaged"
        )
    return dtype_name, dtype, count, begin


def _int_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(n, int) and not isinstance(n, bool) for n in value)
