"""`rnnviz render --gates` (and `--corpus N`): the gate-saturation section in the static picture."""

from __future__ import annotations

import pytest

from rnnviz.cli import main

SENTENCE = "the cat sat on the mat because it was tired and it meowed ."


@pytest.fixture(autouse=True)
def no_debug_tracebacks(monkeypatch):
    monkeypatch.delenv("RNNVIZ_DEBUG", raising=False)


@pytest.mark.parametrize(
    ("model", "gates"), [("lstm", ("input", "forget", "output")), ("gru", ("reset", "update"))]
)
def test_gates_section_names_each_gate(capsys, model, gates):
    assert main(["render", model, "--text", SENTENCE, "--gates", "--width", "100"]) == 0
    out = capsys.readouterr().out
    assert "gate saturation" in out and "over the sentence (14 words)" in out
    for gate in gates:
        assert gate in out
    assert out.count("open ") >= len(gates)  # one summary per gate


def test_plain_rnn_gets_a_note_not_an_error(capsys):
    assert main(["render", "rnn", "--text", SENTENCE, "--gates", "--width", "100"]) == 0
    assert "has no gates" in capsys.readouterr().out


def test_gates_over_demo_corpus(capsys):
    assert main(["render", "gru", "--text", SENTENCE, "--gates", "--corpus", "5", "--width", "100"]) == 0
    assert "over 5 corpus sentences" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--corpus", "5"], ["--gates", "--corpus", "0"]])
def test_bad_corpus_option_exits_2_with_one_line(capsys, args):
    assert main(["render", "--text", SENTENCE, *args]) == 2
    message = capsys.readouterr().err.strip()
    assert "--corpus" in message and "\n" not in message
