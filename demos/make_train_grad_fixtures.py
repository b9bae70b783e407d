"""Compute one training step's gradients with PyTorch's autograd once, so the tests can check
rnnviz's training gradients without torch.

For each cell type (rnn_tanh, rnn_relu, lstm, gru): a two-layer float64 language model with seeded
weights, one padded batch of three sentences of different lengths ending in <eos>, the mean
cross-entropy over the counted positions (as rnnviz.training.train.loss_and_grads defines it) and
its gradient for every tensor by autograd (rnnviz.bench.torchside.TorchTrainer). Stored:
    batch/inputs, batch/targets (T, B) int64, batch/mask (T, B) uint8,
    <cell>/weight/<native name> and <cell>/grad/<native name>, float64;
metadata "vocab" (JSON list) and "torch" (the version that computed them).

Usage: python demos/make_train_grad_fixtures.py   (writes tests/fixtures/torch_train_grads.safetensors)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

from rnnviz import Model
from rnnviz.bench.torchside import TorchTrainer
from rnnviz.core.cells import GATE_COUNT
from rnnviz.core.model import parse_cell
from rnnviz.training.train import make_batch

VOCAB, EMBEDDING, HIDDEN, LAYERS = 13, 5, 6, 2
CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
SENTENCES = ([4, 5, 7, 8, 4, 9, 12], [4, 6, 10], [3, 5, 2, 7, 9, 11])  # ids ≥ 2: real words
EOS = 1
WEIGHT_RANGE = 0.6  # gates leave their linear range, yet a relu RNN stays tame over 7 steps
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_train_grads.safetensors"


def vocabulary() -> list[str]:
    return ["<unk>", "<eos>"] + [f"w{k}" for k in range(2, VOCAB)]


def seeded_weights(cell: str, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    gates = GATE_COUNT[parse_cell(cell)[0]] * HIDDEN
    weights = {"encoder.weight": rng.normal(0.0, 1.0, (VOCAB, EMBEDDING))}
    for k in range(LAYERS):
        inputs = EMBEDDING if k == 0 else HIDDEN
        weights[f"rnn.weight_ih_l{k}"] = rng.uniform(-WEIGHT_RANGE, WEIGHT_RANGE, (gates, inputs))
        weights[f"rnn.weight_hh_l{k}"] = rng.uniform(-WEIGHT_RANGE, WEIGHT_RANGE, (gates, HIDDEN))
        weights[f"rnn.bias_ih_l{k}"] = rng.uniform(-WEIGHT_RANGE, WEIGHT_RANGE, gates)
        weights[f"rnn.bias_hh_l{k}"] = rng.uniform(-WEIGHT_RANGE, WEIGHT_RANGE, gates)
    weights["decoder.weight"] = rng.uniform(-WEIGHT_RANGE, WEIGHT_RANGE, (VOCAB, HIDDEN))
    weights["decoder.bias"] = rng.uniform(-WEIGHT_RANGE, WEIGHT_RANGE, VOCAB)
    return weights


def main() -> None:
    batch = make_batch([np.array(s) for s in SENTENCES], eos_id=EOS)
    tensors = {
        "batch/inputs": batch.inputs,
        "batch/targets": batch.targets,
        "batch/mask": batch.mask.astype(np.uint8),
    }
    for seed, cell in enumerate(CELLS):
        weights = seeded_weights(cell, seed)
        model = Model(weights, cell, vocabulary(), dtype="float64")
        grads = TorchTrainer(torch, model, lr=1e-3, clip=0.0, dtype="float64").grads(
            batch.inputs, batch.targets, batch.mask
        )
        tensors.update({f"{cell}/weight/{name}": value for name, value in weights.items()})
        tensors.update({f"{cell}/grad/{name}": value for name, value in grads.items()})
    metadata = {"vocab": json.dumps(vocabulary()), "torch": torch.__version__}
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(OUT), metadata=metadata)
    print(f"wrote {OUT} ({len(tensors)} tensors)")


if __name__ == "__main__":
    main()
