"""The core never imports Textual: scripts, notebooks and `rnnviz render` stay fast and screen-free.

Each check runs in a fresh interpreter, since this test process may already have imported textual.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

REPORT_TEXTUAL = "import sys; print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"


def modules_loaded_after(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\n{REPORT_TEXTUAL}"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_textual_is_importable_here():
    """Otherwise the checks below would pass for the wrong reason."""
    pytest.importorskip("textual")


def test_running_a_model_does_not_import_textual():
    code = 'import rnnviz; trace = rnnviz.load("lstm").run("the cat sat ."); assert len(trace) == 4'
    assert modules_loaded_after(code) == "[]"


def test_render_command_does_not_import_textual():
    code = (
        "import contextlib, io\n"
        "from rnnviz.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['render', '--text', 'the cat sat .']) == 0"
    )
    assert modules_loaded_after(code) == "[]"
