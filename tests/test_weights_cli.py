"""`rnnviz inspect` shows tensors, architecture and every problem; broken files exit 2 with one red line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import make_vocab, random_weights
from safetensors.numpy import save_file

from rnnviz.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "weights"


@pytest.fixture(autouse=True)
def no_debug_tracebacks(monkeypatch):
    monkeypatch.delenv("RNNVIZ_DEBUG", raising=False)


def broken_model(path: Path) -> Path:
    """Three problems at once: NaN values, a wrong shape, an unexpected tensor."""
    weights = random_weights("lstm", hidden=6)
    weights["rnn.weight_ih_l0"][0, 0] = np.nan
    weights["decoder.bias"] = np.zeros(19)
    weights["extra.weight"] = np.zeros(2)
    save_file(weights, str(path), metadata={"cell": "lstm", "vocab": json.dumps(make_vocab(20))})
    return path


def test_inspect_a_good_file(capsys):
    assert main(["inspect", str(FIXTURES / "torch_lstm.safetensors")]) == 0
    out = capsys.readouterr().out
    for expected in (
        "rnn.weight_hh_l1",
        "(64, 16)",
        "float32",
        "cell lstm (from shapes)",
        "layers 2",
        "hidden 16",
    ):
        assert expected in out
    assert "72 tokens from" in out and "torch_lstm.vocab.txt" in out
    assert "no problems" in out


def test_inspect_lists_every_problem(tmp_path, capsys):
    assert main(["inspect", str(broken_model(tmp_path / "b.safetensors"))]) == 2
    out = capsys.readouterr().out
    assert "3 problem(s)" in out
    assert "unexpected tensor 'extra.weight'" in out
    assert "'decoder.bias' has shape (19,), expected (20,)" in out
    assert "'rnn.weight_ih_l0' has 1 NaN or infinite values" in out


def test_inspect_shows_tensors_of_a_model_it_cannot_convert(capsys):
    pytest.importorskip("h5py")
    assert main(["inspect", str(FIXTURES / "keras_gru_reset_before.keras")]) == 2
    out = capsys.readouterr().out
    assert "recurrent_kernel" in out and "(4, 12)" in out  # the table is still there
    assert "reset_after=False" in out


def test_inspect_reports_a_vocabulary_mismatch(tmp_path, capsys):
    (tmp_path / "short.txt").write_text("a\nb\nc\n")
    path = str(FIXTURES / "torch_lstm.safetensors")
    assert main(["inspect", path, "--vocab", str(tmp_path / "short.txt")]) == 2
    assert "the vocabulary has 3 tokens but 'encoder.weight' has 72 rows" in capsys.readouterr().out


def test_inspect_notes_widened_bfloat16(capsys):
    assert main(["inspect", str(FIXTURES / "torch_lstm_bf16.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "bfloat16" in out and "widened to float32" in out


@pytest.mark.parametrize("subcommand", ["inspect", "render"])
def test_unreadable_file_exits_2_with_one_line(tmp_path, capsys, subcommand):
    path = tmp_path / "cut.safetensors"
    path.write_bytes((FIXTURES / "torch_lstm.safetensors").read_bytes()[:50])
    assert main([subcommand, str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "truncated" in lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_render_refuses_a_broken_model(tmp_path, capsys):
    assert main(["render", str(broken_model(tmp_path / "b.safetensors"))]) == 2
    err = capsys.readouterr().err
    assert "b.safetensors" in err and len(err.strip().splitlines()) == 1


def test_render_a_pytorch_file_with_vocab_and_cell_options(capsys):
    pytest.importorskip("torch")
    vocab = str(FIXTURES / "vocab.txt")
    assert main(["render", str(FIXTURES / "torch_rnn_relu.pt"), "--vocab", vocab, "--cell", "rnn_relu"]) == 0
    assert "meowed" in capsys.readouterr().out


def test_console_script_prints_no_traceback(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "-c", "from rnnviz.cli import run; run()", "inspect", str(path)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 2
    assert "the file is empty" in done.stderr and "Traceback" not in done.stderr
