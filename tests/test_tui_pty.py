"""The installed `rnnviz` console script in a real pseudo-terminal: it opens, steps with →, quits with q."""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("textual")
pty = pytest.importorskip("pty")
fcntl = pytest.importorskip("fcntl")
termios = pytest.importorskip("termios")

import struct  # noqa: E402

RIGHT = b"\x1b[C"
TIMEOUT = 60.0


def console_script() -> str:
    found = shutil.which("rnnviz", path=str(Path(sys.executable).parent)) or shutil.which("rnnviz")
    if found is None:
        pytest.skip("the rnnviz console script is not installed")
    return found


class Terminal:
    """A child process on a pty of 120×40, with everything it wrote collected."""

    def __init__(self, argv: list[str]):
        self.output = b""
        pid, fd = pty.fork()
        if pid == 0:  # the child: size its terminal, then become rnnviz (never return into pytest)
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
                env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40")
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.status: int | None = None

    def read(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the child closed its side
                    return
                if not chunk:
                    return
                self.output += chunk

    def wait_for(self, text: bytes, seconds: float = TIMEOUT) -> bool:
        end = time.monotonic() + seconds
        while text not in self.output and time.monotonic() < end:
            self.read(0.1)
        return text in self.output

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def exit_code(self, seconds: float = TIMEOUT) -> int | None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.read(0.1)  # keep draining, or the child could block on a full pty
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        return None

    def kill_with(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def test_console_script_steps_and_quits_with_code_0():
    terminal = Terminal([console_script()])
    try:
        assert terminal.wait_for(b"word 1 of 14"), terminal.output[-2000:]
        for _ in range(3):
            terminal.send(RIGHT)
            terminal.read(0.3)
        assert terminal.wait_for(b"word 4 of 14"), "three → keys moved the cursor three words"
        terminal.send(b"q")
        assert terminal.exit_code() == 0
    finally:
        terminal.kill()
