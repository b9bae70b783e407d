"""`rnnviz convert IN OUT`: any readable weights → one native file with vocab, cell and tokenizer inside."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import make_vocab, random_weights
from safetensors.numpy import save_file

import rnnviz
from rnnviz.cli import SUBCOMMANDS, main

VOCAB = make_vocab(20)


def bare_safetensors(tmp_path, cell: str = "gru"):
    """A state dict saved with safetensors and nothing else: no vocab, no cell, no tokenizer."""
    path = tmp_path / "bare.safetensors"
    save_file({k: v.astype(np.float32) for k, v in random_weights(cell, layers=2).items()}, str(path))
    vocab = tmp_path / "words.txt"
    vocab.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return path, vocab


def test_convert_is_a_registered_command():
    assert SUBCOMMANDS["convert"][0] == "rnnviz.cli.convert"


def test_converts_a_bare_safetensors_file_into_a_self_contained_one(tmp_path, capsys):
    source, vocab = bare_safetensors(tmp_path)
    out = tmp_path / "native.safetensors"
    assert main(["convert", str(source), str(out), "--vocab", str(vocab), "--tokenizer", "whitespace"]) == 0
    line = capsys.readouterr().out
    assert line == f"wrote {out} (gru, 2 layers, 12 units, 20 tokens, tokenizer whitespace)\n"
    model = rnnviz.load(out)  # no --vocab, no --cell: the file says it all
    assert (model.cell_name, model.tokenizer, model.vocab) == ("gru", "whitespace", VOCAB)
    assert model.metadata["converted_from"] == "bare.safetensors"
    original = rnnviz.load(source, vocab=vocab, cell="gru")
    for name, value in original.weights.items():
        np.testing.assert_array_equal(model.weights[name], value)


def test_converts_npz_keeping_float64_when_asked(tmp_path, capsys):
    source = tmp_path / "m.npz"
    np.savez(source, **random_weights("lstm"))
    (tmp_path / "m.vocab.json").write_text(json.dumps(VOCAB), encoding="utf-8")
    out = tmp_path / "m.safetensors"
    assert main(["convert", str(source), str(out), "--cell", "lstm", "--dtype", "float64"]) == 0
    assert "(lstm, 1 layer, 12 units, 20 tokens, tokenizer words)" in capsys.readouterr().out
    model = rnnviz.load(out, dtype="float64")
    np.testing.assert_array_equal(model.embedding, random_weights("lstm")["encoder.weight"])


def test_refuses_an_existing_output_without_force(tmp_path, capsys):
    source, vocab = bare_safetensors(tmp_path)
    out = tmp_path / "native.safetensors"
    out.write_bytes(b"keep me")
    assert main(["convert", str(source), str(out), "--vocab", str(vocab)]) == 2
    assert "exists: pass --force" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert main(["convert", str(source), str(out), "--vocab", str(vocab), "--force"]) == 0
    assert rnnviz.load(out).vocab == VOCAB


def test_refuses_to_write_over_its_input(tmp_path, capsys):
    source, vocab = bare_safetensors(tmp_path)
    before = source.read_bytes()
    assert main(["convert", str(source), str(source), "--vocab", str(vocab), "--force"]) == 2
    assert "is also an input" in capsys.readouterr().err and source.read_bytes() == before


def test_a_vocabulary_of_the_wrong_length_leaves_nothing_behind(tmp_path, capsys):
    source, _ = bare_safetensors(tmp_path)
    short = tmp_path / "short.vocab.json"
    short.write_text(json.dumps(VOCAB[:-1]), encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["convert", str(source), str(tmp_path / "out.safetensors"), "--vocab", str(short)]) == 2
    err = capsys.readouterr().err
    assert "the vocabulary has 19 tokens but 'encoder.weight' has 20 rows" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temporary file


def test_a_pytorch_state_dict_defaults_to_the_whitespace_tokenizer(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    source = tmp_path / "lm.pt"
    torch.save({k: torch.from_numpy(v.astype(np.float32)) for k, v in random_weights("lstm").items()}, source)
    (tmp_path / "lm.vocab.json").write_text(json.dumps(VOCAB), encoding="utf-8")
    out = tmp_path / "lm.safetensors"
    assert main(["convert", str(source), str(out)]) == 0
    line = capsys.readouterr().out
    assert "tokenizer whitespace)" in line and "the default for PyTorch checkpoints (--tokenizer" in line
    assert rnnviz.load(out).tokenizer == "whitespace"
    assert main(["convert", str(source), str(out), "--force", "--tokenizer", "words"]) == 0
    assert "default" not in capsys.readouterr().out and rnnviz.load(out).tokenizer == "words"


def test_without_a_terminal_it_prints_one_line(tmp_path):
    source, vocab = bare_safetensors(tmp_path)
    out = tmp_path / "native.safetensors"
    done = subprocess.run(
        [sys.executable, "-m", "rnnviz", "convert", str(source), str(out), "--vocab", str(vocab)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and done.stdout.startswith("wrote ") and done.stderr == ""


def test_a_bad_input_is_one_error_line_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    done = subprocess.run(
        [sys.executable, "-m", "rnnviz", "convert", str(bad), str(tmp_path / "out.safetensors")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error:")
    assert not (tmp_path / "out.safetensors").exists()
