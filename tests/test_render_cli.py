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


def test_default_word_is_the_last_one_not_followed_by_eos(capsys):
    """After the closing "." the model only predicts <eos>; the picture describes the word before."""
    assert main(["render", "--text", "the cat sat on the mat because it was tired and it meowed ."]) == 0
    out = capsys.readouterr().out
    assert "next word after “meowed”" in out
    assert not any("<eos>" in line and "1.000" in line for line in out.splitlines())


@pytest.mark.parametrize(("at", "word"), [("12", "it"), ("1", "the"), ("-1", "."), ("-2", "meowed")])
def test_at_counts_words_from_one_and_negative_from_the_end(capsys, at, word):
    text = "the cat sat on the mat because it was tired and it meowed ."
    assert main(["render", "--text", text, "--at", at]) == 0
    words = " ".join(capsys.readouterr().out.replace("│", " ").split())  # a narrow title wraps
    assert f"next word after “{word}”" in words


def test_at_zero_is_refused_with_the_range(capsys):
    assert main(["render", "--text", SENTENCE, "--at", "0"]) == 2
    assert "1 to 7" in capsys.readouterr().err


def test_compare_is_drawn_in_a_pipe():
    command = [
        sys.executable,
        "-m",
        "rnnviz",
        "render",
        "--compare",
        "rnn,gru",
        "--text",
        SENTENCE,
        "--at",
        "4",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "rnn h" in done.stdout and "gru h" in done.stdout
    assert "(word 4)" in done.stdout  # the flow plot numbers words as --at does
