"""`rnnviz` without a terminal must not hang waiting for keys: it prints the static picture."""

import shutil
import subprocess
import sys

import pytest


def _rnnviz() -> list[str]:
    script = shutil.which("rnnviz")
    return [script] if script else [sys.executable, "-m", "rnnviz.cli"]


def test_rnnviz_in_a_pipe_prints_the_picture_and_exits():
    done = subprocess.run(
        [*_rnnviz(), "gru", "--text", "the dog slept and it barked ."],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "not a terminal" in done.stderr
    assert "barked" in done.stdout and "hidden state" in done.stdout


@pytest.mark.parametrize("args", [["--text", "   "], ["no/such/file.safetensors"]])
def test_rnnviz_in_a_pipe_reports_bad_input_in_one_line(args):
    done = subprocess.run(
        [*_rnnviz(), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in done.stderr
