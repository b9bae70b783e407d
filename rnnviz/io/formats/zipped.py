"""Zip archives (.npz, .keras, PyTorch's .pt) opened defensively: any damage becomes one WeightsError."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rnnviz.errors import WeightsError, first_line

# Deflate cannot expand more than ~1032:1; a member claiming more is damaged or a zip bomb.
MAX_EXPANSION = 1100
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,  # encrypted members
    UnicodeDecodeError,
)


@contextmanager
def open_zip(path: Path, what: str) -> Iterator[zipfile.ZipFile]:
    """The archive, or WeightsError naming `what` it should have been."""
    try:
        archive = zipfile.ZipFile(path)
    except ZIP_ERRORS:
        raise WeightsError(f"not a readable {what}: the zip archive is damaged") from None
    with archive:
        yield archive


def read_member(archive: zipfile.ZipFile, name: str, what: str) -> bytes:
    """The bytes of one member, checked (sizes, CRC) before and while it is read."""
    try:
        info = archive.getinfo(name)
        if info.file_size > MAX_EXPANSION * info.compress_size + 1024:
            raise WeightsError(f"not a readable {what}: member {name!r} claims an impossible size")
        return archive.read(info)
    except KeyError:
        raise WeightsError(f"not a {what}: it has no {name!r}") from None
    except ZIP_ERRORS as err:
        reason = first_line(err)
        raise WeightsError(f"not a readable {what}: member {name!r} is damaged ({reason})") from None
