"""`rnnviz render`: plain output off a terminal, SVG/HTML export, one-line errors with status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rnnviz.cli import main

SENTENCE = "the dog barked at the cat ."


@pytest.fixture(autouse=True)
def no_debug_tracebacks(monkeypatch):
    monkeypatch.delenv("RNNVIZ_DEBUG", raising=False)


def test_plain_text_when_not_a_terminal(capsys):
    assert main(["render", "--text", SENTENCE]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out  # no color codes when stdout is captured
    for word in ("dog", "barked", "cat"):
        assert word in out
    assert "hidden state" in out and "cell state" in out  # the default model is an LSTM
    assert "next word" in out


@pytest.mark.parametrize("model", ["rnn", "gru"])
def test_other_bundled_models_render(capsys, model):
    assert main(["render", model, "--text", SENTENCE]) == 0
    out = capsys.readouterr().out
    assert "barked" in out
    assert "cell state" not in out  # only an LSTM has one


@pytest.mark.parametrize("flag", ["--svg", "--html"])
def test_export_writes_a_file_with_the_words(tmp_path, capsys, flag):
    path = tmp_path / f"picture{flag.replace('--', '.')}"
    assert main(["render", "--text", SENTENCE, flag, str(path)]) == 0
    content = path.read_text(encoding="utf-8")
    assert content.lstrip().startswith("<svg" if flag == "--svg" else "<!DOCTYPE html>")
    for word in ("dog", "barked", "cat"):
        assert word in content
    assert str(path) in capsys.readouterr().err


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_exits_2_with_one_line(capsys, text):
    assert main(["render", "--text", text]) == 2
    captured = capsys.readouterr()
    message = captured.err.strip()
    assert message and "\n" not in message
    assert "empty" in message
    assert "Traceback" not in captured.err + captured.out


def test_missing_weights_file_exits_2(tmp_path, capsys):
    missing = tmp_path / "nope.safetensors"
    assert main(["render", str(missing), "--text", SENTENCE]) == 2
    captured = capsys.readouterr()
    message = captured.err.strip()
    assert "\n" not in message
    assert "nope.safetensors" in message and "no such file" in message
    assert "Traceback" not in captured.err + captured.out


def test_installed_console_script_runs():
    script = Path(sys.executable).parent / "rnnviz"
    if not script.exists():
        pytest.skip("the rnnviz console script is not installed next to this Python")
    result = subprocess.run(
        [str(script), "render", "--text", "the dog barked ."],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "barked" in result.stdout
