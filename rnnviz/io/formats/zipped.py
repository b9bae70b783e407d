"""Zip archives (.npz, .keras, PyTorch's .pt) opened defensively: any damage becomes one WeightsError."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rnnviz.errors import WeightsError, first_line
from rnnviz.io.files import memory_budget

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


CHUNK = 1 << 20


class Budget:
    """How many unpacked bytes an archive may still produce (`memory_budget` of its size, in all)."""

    def __init__(self, file_size: int):
        self.total = self.left = memory_budget(file_size)

    def take(self, count: int, what: str, name: str) -> None:
        if count > self.left:
            raise WeightsError(
                f"not a readable {what}: member {name!r} unpacks to more than {self.total:,} bytes "
                "(20× the file plus 200 MB): a zip bomb or a damaged file"
            )
        self.left -= count


@contextmanager
def open_zip(path: Path, what: str) -> Iterator[zipfile.ZipFile]:
    """The archive, or WeightsError naming `what` it should have been; `archive.budget` bounds reads."""
    try:
        archive = zipfile.ZipFile(path)
    except ZIP_ERRORS:
        raise WeightsError(f"not a readable {what}: the zip archive is damaged") from None
    with archive:
        archive.budget = Budget(path.stat().st_size)  # type: ignore[attr-defined]
        declared = sum(info.file_size for info in archive.infolist())
        if declared > archive.budget.total:  # type: ignore[attr-defined]
            raise WeightsError(
                f"not a readable {what}: its members claim {declared:,} bytes unpacked, more than "
                f"{archive.budget.total:,} (20× the file plus 200 MB): a zip bomb or a damaged file"  # type: ignore[attr-defined]
            )
        yield archive


def read_member(archive: zipfile.ZipFile, name: str, what: str) -> bytes:
    """The bytes of one member, checked (sizes, CRC, the archive's budget) before and while it is read."""
    budget: Budget = getattr(archive, "budget", None) or Budget(0)
    try:
        info = archive.getinfo(name)
        if info.file_size > MAX_EXPANSION * info.compress_size + 1024:
            raise WeightsError(f"not a readable {what}: member {name!r} claims an impossible size")
        budget.take(info.file_size, what, name)
        parts, got = [], 0
        with archive.open(info) as stream:  # the header can lie: count what really comes out
            while chunk := stream.read(CHUNK):
                got += len(chunk)
                if got > info.file_size:
                    raise WeightsError(f"not a readable {what}: member {name!r} is longer than it claims")
                parts.append(chunk)
        return b"".join(parts)
    except KeyError:
        raise WeightsError(f"not a {what}: it has no {name!r}") from None
    except ZIP_ERRORS as err:
        reason = first_line(err)
        raise WeightsError(f"not a readable {what}: member {name!r} is damaged ({reason})") from None
