"""The core never imports Textual: scripts, notebooks and `rnnviz render` stay fast and screen-free.
Nor Rich: the model core (running, links, gradient flow) draws nothing.

Each check runs in a fresh interpreter, since this test process may already have imported textual.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def modules_loaded_after(code: str, package: str = "textual") -> str:
    report = f"import sys; print(sorted(m for m in sys.modules if m.split('.')[0] == {package!r}))"
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\n{report}"], capture_output=True, text=True, timeout=120
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


def test_the_model_core_does_not_import_rich():
    code = (
        "import rnnviz\n"
        'model = rnnviz.load("lstm")\n'
        'trace = model.run("the cat sat on the mat because it was tired .")\n'
        "assert rnnviz.links(model, trace).shape == (len(trace), len(trace))\n"
        "assert rnnviz.gradient_flow(model, trace, 8).shape == (9,)"
    )
    assert modules_loaded_after(code, "rich") == "[]"
