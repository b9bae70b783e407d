"""The viewer in a real pseudo-terminal ends cleanly: SIGTERM and SIGHUP leave the alternate screen,
turn mouse reporting off and show the cursor again (they used to kill it mid-screen), and `q` ends
it even while a worker is deep in a long computation (its thread used to be waited for)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

pytest.importorskip("textual")
pytest.importorskip("pty")

from conftest import random_model  # noqa: E402
from test_tui_pty import Terminal  # noqa: E402

import rnnviz  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
MOUSE_OFF = b"\x1b[?1000l"
SHOW_CURSOR = b"\x1b[?25h"
QUIT_BOUND = 20.0  # seconds: far longer than a quit takes, shorter than the computation it abandons


def viewer(monkeypatch, *args: str) -> Terminal:
    """`python -m rnnviz ARGS` from this checkout (not whatever rnnviz is installed)."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    return Terminal([sys.executable, "-m", "rnnviz", *args])


def assert_terminal_restored(output: bytes) -> None:
    tail = output[output.rindex(b"\x1b[?1049h") :]  # what was written after entering the alt screen
    assert LEAVE_ALT_SCREEN in tail, "left the alternate screen"
    assert MOUSE_OFF in tail[tail.rindex(b"\x1b[?1000h") :] if b"\x1b[?1000h" in tail else True
    assert SHOW_CURSOR in tail[tail.index(LEAVE_ALT_SCREEN) - 200 :], "the cursor is shown again"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_restores_the_terminal_and_exits(monkeypatch, signum):
    terminal = viewer(monkeypatch)
    try:
        assert terminal.wait_for(b"word 1 of 14"), terminal.output[-2000:]
        terminal.kill_with(signum)
        assert terminal.exit_code() == 128 + signum
        assert_terminal_restored(terminal.output)
    finally:
        terminal.kill()


def test_q_ends_the_viewer_while_a_worker_computes(monkeypatch, tmp_path):
    path = tmp_path / "big.safetensors"
    # A corpus of gate saturation on this model runs for about a minute: q comes long before.
    rnnviz.save(random_model("lstm", vocab=40, embedding=16, hidden=2048), path)
    terminal = viewer(monkeypatch, str(path), "--text", "the cat sat on the mat .")
    try:
        assert terminal.wait_for(b"word 1 of 7"), terminal.output[-2000:]
        terminal.send(b"G")
        assert terminal.wait_for(b"saturation over")
        terminal.send(b"G")  # the demo corpus: the long one
        terminal.read(0.5)
        terminal.send(b"gl")  # gradient flow and the next links method, on top
        terminal.read(0.5)
        terminal.send(b"q")
        assert terminal.exit_code(QUIT_BOUND) == 0
        assert_terminal_restored(terminal.output)
    finally:
        terminal.kill()
