"""`rnnviz train`: trains and saves a loadable model, stops cleanly on Ctrl-C, and refuses a bad corpus
in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rnnviz
from rnnviz.cli import main
from rnnviz.cli import train as train_cli

LINES = [
    "The cat sat and it meowed.",
    "the dog sat and it barked .",
    "",
    "the cat slept and it purred .",
    "the dog slept and it growled .",
]
FAST = ["--hidden", "8", "--embedding", "4", "--batch", "2"]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def test_trains_and_saves_a_loadable_model(corpus: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "model.safetensors"
    code = main(
        ["train", str(corpus), "-o", str(out), "--cell", "gru", "--epochs", "3", "--layers", "2", *FAST]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert f"saved {out}" in captured.out
    assert "epoch 3/3" in captured.err  # the progress bar
    model = rnnviz.load(out)
    assert (model.cell, model.num_layers, model.hidden_size, model.embedding_size) == ("gru", 2, 8, 4)
    assert model.vocab[:2] == ["<unk>", "<eos>"]
    assert {"the", "cat", "meowed", "."} <= set(model.vocab)
    assert "The" not in model.vocab  # lowercased: the vocabulary is case-insensitive
    assert model.metadata["corpus"] == "corpus.txt"
    assert model.metadata["epochs"] == "3"
    assert json.loads(model.metadata["stages"])[0]["sentences"] == "4"
    trace = model.run("The CAT sat and it")
    assert trace.probs.shape == (5, len(model.vocab))


def test_build_vocab_orders_by_frequency_and_caps_the_size() -> None:
    sentences = [["b", "a", "a"], ["c", "a", "b"]]
    assert train_cli.build_vocab(sentences, 10) == ["<unk>", "<eos>", "a", "b", "c"]
    assert train_cli.build_vocab(sentences, 1) == ["<unk>", "<eos>", "a"]


def test_ctrl_c_saves_the_model_so_far_and_says_so(corpus: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    calls = []
    original = train_cli.ProgressBar.update

    def interrupt_on_third(self, progress) -> None:
        calls.append(progress)
        original(self, progress)
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_cli.ProgressBar, "update", interrupt_on_third)
    out = tmp_path / "partial.safetensors"
    code = main(["train", str(corpus), "-o", str(out), "--epochs", "100", *FAST])
    assert code == 130
    message = capsys.readouterr().out
    assert "interrupted in epoch 2 of 100" in message
    assert "saved the model trained so far" in message and str(out) in message
    model = rnnviz.load(out)
    assert model.metadata["steps"] == "3"
    assert json.loads(model.metadata["stages"])[0]["interrupted"] == "true"


def test_ctrl_c_before_the_first_step_saves_nothing(
    corpus: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    def interrupt(self, progress) -> None:
        raise KeyboardInterrupt

    # The callback runs after each step, so stop the step itself.
    monkeypatch.setattr(rnnviz.training.train.Trainer, "step", interrupt)
    out = tmp_path / "none.safetensors"
    assert main(["train", str(corpus), "-o", str(out), *FAST]) == 130
    assert "nothing saved" in capsys.readouterr().out
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"", "holds no words"),
        (b"\n  \n\t\n", "holds no words"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"the cat \xff\xfe sat\n", "not UTF-8"),
    ],
)
def test_unusable_corpus_is_one_clear_line(
    tmp_path: Path, capsys, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "corpus.txt"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "model.safetensors"
    assert main(["train", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert expected in err and str(path) in err
    assert not out.exists()


def test_directory_corpus_and_bad_output_are_clear(tmp_path: Path, corpus: Path, capsys) -> None:
    assert main(["train", str(tmp_path), "-o", str(tmp_path / "m.safetensors")]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert main(["train", str(corpus), "-o", str(tmp_path / "missing" / "m.safetensors")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["train", str(corpus), "-o", str(tmp_path / "m.safetensors"), "--epochs", "0"]) == 2
    assert "--epochs" in capsys.readouterr().err
