"""`rnnviz render --flow` and `--compare`: the gradient-flow section in the static picture."""

from __future__ import annotations

import pytest

from rnnviz.cli import main

SENTENCE = "the cat sat on the mat because it was tired and it meowed ."


@pytest.fixture(autouse=True)
def no_debug_tracebacks(monkeypatch):
    monkeypatch.delenv("RNNVIZ_DEBUG", raising=False)


def test_flow_section_for_the_loaded_model(capsys):
    assert main(["render", "--text", SENTENCE, "--flow", "--width", "100"]) == 0
    out = capsys.readouterr().out
    assert "gradient flow" in out and "distance" in out
    assert "lstm h" in out and "lstm c" in out  # an LSTM shows its cell path too
    assert "dec/word" in out


def test_no_flow_section_unless_asked(capsys):
    assert main(["render", "--text", SENTENCE, "--width", "100"]) == 0
    assert "gradient flow" not in capsys.readouterr().out


def test_compare_draws_every_named_model(capsys):
    assert main(["render", "gru", "--text", SENTENCE, "--compare", "rnn,lstm,gru", "--width", "100"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "┤" in line and any(c in line for c in "▁▂▃▄▅▆▇█")]
    for label in ("rnn h", "lstm h", "lstm c", "gru h"):
        assert sum(label in line for line in lines) == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--compare", ""], "--compare needs"), (["--compare", "rnn,nope"], "nope")],
)
def test_bad_compare_exits_2_with_one_line(capsys, args, fragment):
    assert main(["render", "--text", SENTENCE, *args]) == 2
    captured = capsys.readouterr()
    message = captured.err.strip()
    assert fragment in message and "\n" not in message
    assert "Traceback" not in captured.err + captured.out
