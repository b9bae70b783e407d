"""Write a file whole or not at all, and never over something the user did not mean to replace.

`write_atomic` writes into a temporary file beside the target, flushes and fsyncs it, gives it the
mode of the file it replaces (a new file gets the umask's default, as `open` would), then renames
it over the target in one step (`os.replace`). A crash, a full disk or Ctrl-C at any point leaves
the old file as it was and no temporary file behind. `check_target` refuses up front what can be
known before any work: a missing folder, a directory, an existing file without `force`, a target
that is one of the command's own inputs (`train corpus.txt -o corpus.txt`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from rnnviz.errors import InputError

StrPath = str | os.PathLike[str]


def check_target(path: StrPath, *, force: bool = False, inputs: Iterable[StrPath] = ()) -> Path:
    """The target as a Path, or InputError saying why it cannot be written (nothing is touched)."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise InputError(f"the folder {folder} does not exist: create it first, or write somewhere else")
    if target.is_dir():
        raise InputError(f"{target} is a folder: give a file name inside it")
    for source in inputs:
        if _same_file(target, Path(source)):
            raise InputError(f"{target} is also an input of this command: write the output somewhere else")
    if (target.exists() or target.is_symlink()) and not force:
        raise InputError(f"{target} exists: pass --force to replace it")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"the folder {folder} is not writable: write somewhere else")
    return target


def write_atomic(
    path: StrPath,
    data: bytes | Callable[[BinaryIO], object],
    *,
    force: bool = False,
    inputs: Iterable[StrPath] = (),
) -> Path:
    """Write `data` (bytes, or a function that writes to a binary file) to `path`, whole or not at all."""
    target = check_target(path, force=force, inputs=inputs)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, (bytes, bytearray, memoryview)):
                f.write(data)
            else:
                data(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except BaseException:  # KeyboardInterrupt too: never leave a half-written temporary file behind
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(target.parent)
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): they are not the same file
        return False


def _mode_for(target: Path) -> int:
    """The mode of the file being replaced, else what a newly created file gets under the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
