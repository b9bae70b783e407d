"""Issue 19: nothing lost. Outputs are written whole or not at all, never over an input or an
existing file without --force, refused before the work starts, and a trained model always survives."""

from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

import numpy as np
import pytest
from conftest import random_model

import rnnviz
import rnnviz.training.train
from rnnviz.cli import main
from rnnviz.errors import InputError
from rnnviz.io import atomic
from rnnviz.io.atomic import write_atomic

CORPUS = "the cat sat and it meowed .\nthe dog sat and it barked .\n"
FAST = ["--hidden", "4", "--embedding", "3", "--batch", "2", "--epochs", "1"]


@pytest.fixture(autouse=True)
def no_debug_tracebacks(monkeypatch):
    monkeypatch.delenv("RNNVIZ_DEBUG", raising=False)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_replaces_whole_and_keeps_the_mode_of_the_replaced_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_atomic(target, b"new", force=True)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_a_new_file_gets_the_umask_default_not_0600(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.bin", lambda f: f.write(b"x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.bin").stat().st_mode) == 0o640


def test_refuses_an_existing_file_an_input_and_a_missing_folder(tmp_path):
    existing = tmp_path / "a.txt"
    existing.write_text("keep me")
    with pytest.raises(InputError, match="a.txt exists: pass --force to replace it"):
        write_atomic(existing, b"x")
    os.link(existing, tmp_path / "hard.txt")
    with pytest.raises(InputError, match="is also an input"):
        write_atomic(tmp_path / "hard.txt", b"x", force=True, inputs=[existing])
    with pytest.raises(InputError, match="the folder .*missing does not exist"):
        write_atomic(tmp_path / "missing" / "a.txt", b"x")
    assert existing.read_text() == "keep me"


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, failure):
    target = tmp_path / "model.bin"
    target.write_bytes(b"the old model")

    def write(f):
        f.write(b"half of the new")
        raise failure

    with pytest.raises(type(failure)):
        write_atomic(target, write, force=True)
    assert target.read_bytes() == b"the old model"
    assert leftovers(tmp_path) == []


def test_save_still_replaces_for_api_users_but_never_truncates(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    rnnviz.save(random_model("gru", seed=1), path)
    rnnviz.save(random_model("gru", seed=2), path)  # the API replaces, as it always has
    before = path.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    with pytest.raises(OSError):
        rnnviz.save(random_model("gru", seed=3), path)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def never_train(*args, **kwargs):
    raise AssertionError("training started before the output was checked")


@pytest.mark.parametrize("case", ["corpus", "existing", "folder"])
def test_train_refuses_a_bad_output_before_training(tmp_path, corpus, monkeypatch, capsys, case):
    monkeypatch.setattr(rnnviz.training.train.Trainer, "fit", never_train)
    output = {"corpus": corpus, "existing": tmp_path / "m.safetensors", "folder": tmp_path / "no" / "m"}[case]
    if case == "existing":
        output.write_bytes(b"an old model")
    assert main(["train", str(corpus), "-o", str(output), *FAST, *["--force"][: case == "corpus"]]) == 2
    err = capsys.readouterr().err
    assert {"corpus": "is also an input", "existing": "--force", "folder": "does not exist"}[case] in err
    assert corpus.read_text() == CORPUS


def test_train_force_replaces(tmp_path, corpus, capsys):
    output = tmp_path / "m.safetensors"
    output.write_bytes(b"an old model")
    assert main(["train", str(corpus), "-o", str(output), *FAST, "--force"]) == 0
    assert rnnviz.load(output).cell == "lstm"


def test_a_failed_save_after_training_rescues_the_model(tmp_path, corpus, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    output = tmp_path / "out" / "m.safetensors"
    output.parent.mkdir()
    real = rnnviz.io.weights.write_atomic

    def fails_for_the_output(path, *args, **kwargs):
        if Path(path) == output:
            raise OSError(30, "Read-only file system")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(rnnviz.io.weights, "write_atomic", fails_for_the_output)
    assert main(["train", str(corpus), "-o", str(output), *FAST]) == 2
    err = capsys.readouterr().err
    rescued = list(tmp_path.glob("rnnviz-rescued-*.safetensors"))
    assert len(rescued) == 1 and rescued[0].name in err and "Read-only" in err
    assert rnnviz.load(rescued[0]).vocab[:2] == ["<unk>", "<eos>"]


def test_sigterm_during_training_saves_like_ctrl_c(tmp_path, corpus, monkeypatch, capsys):
    real_step = rnnviz.training.train.Trainer.step
    calls = []

    def step_then_sigterm(self, batch):
        loss = real_step(self, batch)
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return loss

    monkeypatch.setattr(rnnviz.training.train.Trainer, "step", step_then_sigterm)
    output = tmp_path / "m.safetensors"
    big = ["--hidden", "4", "--embedding", "3", "--batch", "1", "--epochs", "50"]
    assert main(["train", str(corpus), "-o", str(output), *big]) == 130
    assert "interrupted" in capsys.readouterr().out
    assert json.loads(rnnviz.load(output).metadata["stages"])[0]["interrupted"] == "true"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.parametrize("flag", ["--svg", "--html"])
def test_render_export_refuses_an_existing_file_without_force(tmp_path, capsys, flag):
    target = tmp_path / "picture.out"
    target.write_text("keep me")
    assert main(["render", "--text", "the cat sat .", flag, str(target)]) == 2
    assert "--force" in capsys.readouterr().err and target.read_text() == "keep me"
    assert main(["render", "--text", "the cat sat .", flag, str(target), "--force"]) == 0
    assert "cat" in target.read_text()
    assert main(["render", "--text", "the cat sat .", flag, str(tmp_path / "no" / "p")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bench_checks_its_save_path_and_repeats_before_measuring(tmp_path, monkeypatch, capsys):
    import rnnviz.bench

    monkeypatch.setattr(rnnviz.bench, "measure", never_train)
    assert main(["bench", "--quick", "--save", str(tmp_path / "no" / "b.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["bench", "--quick", "--repeats", "0"]) == 2
    assert "--repeats 0" in capsys.readouterr().err


def test_arrays_survive_the_round_trip(tmp_path):
    model = random_model("lstm", seed=4)
    rnnviz.save(model, tmp_path / "m.safetensors")
    again = rnnviz.load(tmp_path / "m.safetensors")
    assert all(np.array_equal(model.weights[k], again.weights[k]) for k in model.weights)
