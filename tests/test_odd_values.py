"""Issue 19: odd option values are one clear line (exit 2), never a traceback or a silent default,
and a text longer than a command line can be given as a file or on stdin."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import rnnviz.cli.train as train_cli
from rnnviz.cli import main
from rnnviz.training import train as train_module


@pytest.fixture(autouse=True)
def no_debug_tracebacks(monkeypatch):
    monkeypatch.delenv("RNNVIZ_DEBUG", raising=False)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("the cat sat and it meowed .\nthe dog sat and it barked .\n", encoding="utf-8")
    return path


def never(*args, **kwargs):
    raise AssertionError("the model was built: the option should have been refused first")


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--hidden", "200000"], "needs about"),
        (["--embedding", "100000000"], "needs about"),
        (["--layers", "10000", "--hidden", "2000"], "needs about"),
        (["--lr", "inf"], "--lr is inf"),
        (["--lr", "nan"], "--lr is nan"),
        (["--clip", "nan"], "--clip is nan"),
    ],
)
def test_train_refuses_sizes_that_cannot_fit_and_non_finite_rates(
    tmp_path, corpus, monkeypatch, capsys, option, expected
):
    monkeypatch.setattr(train_module, "Trainer", never)
    monkeypatch.setattr(train_cli, "available_memory", lambda: 16 * 1024**3)
    assert main(["train", str(corpus), "-o", str(tmp_path / "m.safetensors"), *option]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_the_estimate_grows_with_the_sizes():
    small = train_module.TrainConfig(hidden=8, embedding=4)
    big = train_module.TrainConfig(hidden=200_000, embedding=4)
    assert train_cli.memory_needed(big, 100, 10) > 1000 * train_cli.memory_needed(small, 100, 10)
    assert train_cli.memory_needed(big, 100, 10) > 10**12  # 4·H² float32 weights alone are 640 GB


def test_render_refuses_a_negative_width(capsys):
    assert main(["render", "--width", "-5"]) == 2
    assert "--width -5" in capsys.readouterr().err


def test_without_a_terminal_compare_is_honoured_or_refused(capsys):
    assert main(["rnn", "--text", "the cat sat .", "--compare", "gru"]) == 0
    out = capsys.readouterr().out
    assert "rnn_tanh" in out and "gru" in out  # both pictures
    assert main(["rnn", "--text", "the cat sat .", "--compare", "nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err


def test_text_file_and_stdin_for_render_and_the_viewer(tmp_path, monkeypatch, capsys):
    long_text = "the cat sat on the mat . " * 6_000  # 150 KB: over Linux's 128 KiB per argument
    path = tmp_path / "long.txt"
    path.write_text(long_text, encoding="utf-8")
    assert main(["render", "--text-file", str(path), "--width", "80"]) == 0
    assert "the last" in capsys.readouterr().out  # 36,000 words: only the last columns fit
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"the dog barked .")))
    assert main(["render", "--text-file", "-"]) == 0
    assert "barked" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"the dog barked .")))
    assert main(["--text-file", "-"]) == 0  # the viewer, without a terminal
    assert "barked" in capsys.readouterr().out
    assert main(["render", "--text-file", str(tmp_path / "missing.txt")]) == 2
    assert "no such file" in capsys.readouterr().err
