"""`rnnviz sample` and `rnnviz train --tokenizer chars / --stream`, end to end on tiny files and models."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_weights

import rnnviz
from rnnviz import Model
from rnnviz.analysis.sample import generate, pick
from rnnviz.cli import main
from rnnviz.errors import InputError

CHARS = ["<unk>", "\n", " ", "a", "b", "c", "d", "(", ")", "\x1b"]


@pytest.fixture
def char_model(tmp_path) -> str:
    weights = random_weights("lstm", vocab=len(CHARS), embedding=4, hidden=6, seed=2, scale=1.5)
    model = Model(weights, "lstm", CHARS, tokenizer="chars")
    path = tmp_path / "chars.safetensors"
    rnnviz.save(model, path)
    return str(path)


def test_temperature_zero_takes_the_likeliest_token_after_the_text_so_far(char_model: str) -> None:
    model = rnnviz.load(char_model)
    out = generate(model, "ab", 6, temperature=0)
    text = "ab"
    for token in out:  # greedy: each token is the argmax after reading everything before it
        probs = model.run(list(text)).probs[-1]
        probs[model.vocab.index("<unk>")] = -1
        assert token == model.vocab[int(np.argmax(probs))]
        text += token


def test_the_same_seed_gives_the_same_text_and_another_seed_another(char_model: str, capsys) -> None:
    runs = []
    for seed in (7, 7, 8):
        assert main(["sample", char_model, "-n", "60", "--seed", str(seed), "--prime", "ab"]) == 0
        runs.append(capsys.readouterr().out)
    assert runs[0] == runs[1] != runs[2]
    assert runs[0].startswith("ab")
    assert "<unk>" not in runs[0]  # <unk> is never drawn
    assert "\x1b" not in runs[0]  # a control character the model knows is printed escaped
    assert main(["sample", char_model, "-n", "20", "--temperature", "0", "--seed", "1"]) == 0
    greedy = capsys.readouterr().out
    assert main(["sample", char_model, "-n", "20", "--temperature", "0", "--seed", "2"]) == 0
    assert capsys.readouterr().out == greedy


def test_pick_draws_in_proportion_to_the_tempered_distribution() -> None:
    rng = np.random.default_rng(0)
    logits = np.log(np.array([0.7, 0.2, 0.1]))
    draws = np.bincount([pick(logits, 1.0, rng) for _ in range(4000)], minlength=3) / 4000
    np.testing.assert_allclose(draws, [0.7, 0.2, 0.1], atol=0.03)
    cold = np.bincount([pick(logits, 0.25, rng) for _ in range(2000)], minlength=3) / 2000
    assert cold[0] > 0.95  # a low temperature sharpens toward the likeliest
    assert pick(logits, 0, rng) == 0


def test_bad_sampling_options_are_one_line_errors(char_model: str, capsys) -> None:
    assert main(["sample", char_model, "--temperature", "-1"]) == 2
    assert main(["sample", char_model, "-n", "-3"]) == 2
    assert main(["sample", char_model, "--prime", ""]) == 2
    err = capsys.readouterr().err
    assert "temperature" in err and "-n is -3" in err and "--prime is empty" in err
    with pytest.raises(InputError):
        generate(rnnviz.load(char_model), "a", 3, temperature=float("nan"))


def test_word_models_join_with_spaces_and_end_lines_at_eos(capsys) -> None:
    model = rnnviz.load("lstm")
    assert main(["sample", "lstm", "-n", "30", "--seed", "0", "--prime", "the cat"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("the cat ")
    assert "<eos>" not in out
    assert len(generate(model, "the cat", 5, seed=0)) == 5


CHAR_TEXT = "def add(a, b):\n    return a + b\n\n" * 12


def test_train_chars_on_a_tiny_file_then_sample_from_it(tmp_path, capsys) -> None:
    corpus = tmp_path / "code.txt"
    corpus.write_text(CHAR_TEXT, encoding="utf-8")
    out = tmp_path / "c.safetensors"
    args = ["train", str(corpus), "-o", str(out), "--tokenizer", "chars", "--epochs", "3"]
    code = main(
        [*args, "--hidden", "16", "--embedding", "8", "--batch", "4", "--chunk", "20", "--lr", "0.02"]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "epoch 3: train" in captured.err and "bpc, validation" in captured.err
    model = rnnviz.load(out)
    assert model.tokenizer == "chars"
    assert model.vocab[0] == "<unk>" and "<eos>" not in model.vocab
    assert {"\n", " ", "d", "(", "+"} <= set(model.vocab)
    assert model.metadata["chunk"] == "20" and "valid_bits" in model.metadata
    assert len(model.run("def f").tokens) == 5  # a string is read a character at a time
    assert main(["sample", str(out), "-n", "40", "--prime", "def"]) == 0
    assert capsys.readouterr().out.startswith("def")
    # the output is never overwritten without --force
    assert main([*args, "--hidden", "4", "--embedding", "2", "--batch", "2"]) == 2
    assert "exists" in capsys.readouterr().err


def test_train_stream_of_words_reports_perplexity_and_learns_eos(tmp_path, capsys) -> None:
    corpus = tmp_path / "words.txt"
    corpus.write_text("the cat sat on the mat .\nthe dog sat on the rug .\n" * 15, encoding="utf-8")
    out = tmp_path / "w.safetensors"
    code = main(
        ["train", str(corpus), "-o", str(out), "--stream", "--epochs", "2", "--hidden", "8"]
        + ["--embedding", "4", "--batch", "3", "--chunk", "10"]
    )
    assert code == 0
    assert "perplexity" in capsys.readouterr().err
    model = rnnviz.load(out)
    assert model.vocab[:2] == ["<unk>", "<eos>"] and model.tokenizer == "words"


def test_ctrl_c_during_stream_training_saves_what_it_has(tmp_path, monkeypatch, capsys) -> None:
    from rnnviz.cli import train as train_cli

    calls = []
    original = train_cli.ProgressBar.update

    def interrupt_on_second(self, progress) -> None:
        calls.append(progress)
        original(self, progress)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_cli.ProgressBar, "update", interrupt_on_second)
    corpus = tmp_path / "code.txt"
    corpus.write_text(CHAR_TEXT, encoding="utf-8")
    out = tmp_path / "partial.safetensors"
    code = main(
        ["train", str(corpus), "-o", str(out), "--tokenizer", "chars", "--epochs", "50"]
        + ["--hidden", "4", "--embedding", "2", "--batch", "2", "--chunk", "10"]
    )
    assert code == 130
    assert "saved the model trained so far" in capsys.readouterr().out
    assert rnnviz.load(out).metadata["steps"] == "2"
