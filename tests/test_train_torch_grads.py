"""One training step's gradients against PyTorch's autograd, float64, for every cell type: from the
committed fixture (demos/make_train_grad_fixtures.py; runs without torch) and, with torch
installed, live on other weights through rnnviz.bench.torchside.TorchTrainer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import make_vocab, random_weights
from safetensors import safe_open

from rnnviz import Model
from rnnviz.training.train import Batch, loss_and_grads, make_batch

FIXTURE = Path(__file__).parent / "fixtures" / "torch_train_grads.safetensors"
CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
TOLERANCE = 1e-5


def read_fixture() -> tuple[dict[str, np.ndarray], list[str]]:
    from safetensors.numpy import load_file

    with safe_open(str(FIXTURE), framework="numpy") as f:
        vocab = json.loads(f.metadata()["vocab"])
    return load_file(str(FIXTURE)), vocab


def largest_difference(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> float:
    assert set(ours) == set(theirs)
    for name in ours:
        assert ours[name].shape == theirs[name].shape, name
    return max(float(np.abs(ours[name] - theirs[name]).max()) for name in ours)


@pytest.mark.parametrize("cell", CELLS)
def test_gradients_match_the_recorded_autograd(cell: str) -> None:
    tensors, vocab = read_fixture()
    batch = Batch(tensors["batch/inputs"], tensors["batch/targets"], tensors["batch/mask"].astype(bool))
    weights = {k.split("/", 2)[2]: v for k, v in tensors.items() if k.startswith(f"{cell}/weight/")}
    recorded = {k.split("/", 2)[2]: v for k, v in tensors.items() if k.startswith(f"{cell}/grad/")}
    assert batch.mask.sum() < batch.mask.size  # the batch has padding to get right
    _, grads = loss_and_grads(Model(weights, cell, vocab, dtype="float64"), batch)
    assert largest_difference(grads, recorded) < TOLERANCE
    assert max(float(np.abs(g).max()) for g in recorded.values()) > 1e-3  # not a vacuous check


@pytest.mark.parametrize("cell", CELLS)
def test_gradients_match_autograd_live(cell: str) -> None:
    torch = pytest.importorskip("torch")
    from rnnviz.bench.torchside import TorchTrainer

    weights = random_weights(cell, layers=2, vocab=11, embedding=5, hidden=4, seed=7, scale=0.6)
    model = Model(weights, cell, make_vocab(11), dtype="float64")
    batch = make_batch([np.array(s) for s in ([4, 5, 7, 8], [6, 10], [3, 5, 2, 7, 9])], eos_id=1)
    _, grads = loss_and_grads(model, batch)
    theirs = TorchTrainer(torch, model, lr=1e-3, clip=0.0, dtype="float64").grads(
        batch.inputs, batch.targets, batch.mask
    )
    assert largest_difference(grads, theirs) < TOLERANCE
