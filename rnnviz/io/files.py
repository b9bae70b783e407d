"""Paths a command reads, checked before they are opened: a FIFO, a device or a socket would hang or
never end (`/dev/zero`), a symlink loop is not "no such file", and every file has a size to budget by.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from rnnviz.errors import RnnvizError

MB = 1_000_000


def memory_budget(file_size: int) -> int:
    """The most bytes a file of this size may unpack to: deflate and HDF5 filters shrink real weights
    far less than 20×; anything claiming more is a bomb or damaged."""
    return 20 * file_size + 200 * MB


def regular_file(path: Path, error: type[RnnvizError], hint: str = "") -> os.stat_result:
    """The file's stat, or `error` saying in one line why it cannot be read as a file."""
    tail = f"; {hint}" if hint else ""
    try:
        info = os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise error(f"{path}: is a symbolic link that loops back on itself{tail}") from None
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            dangling = os.path.islink(path)
            what = "is a symbolic link to a file that does not exist" if dangling else "no such file"
            raise error(f"{path}: {what}{tail}") from None
        raise error(f"{path}: cannot read it ({err.strerror or err}){tail}") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{path}: is a directory{tail}")
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "a special file"
        )
        raise error(f"{path}: is not a regular file (it is {kind}){tail}")
    return info
