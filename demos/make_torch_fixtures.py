"""Compute reference outputs with PyTorch once, so the tests can check the NumPy cells without torch.

For each cell type (rnn_tanh, rnn_relu, lstm, gru) this builds a two-layer float64 language model
(embedding → torch.nn.RNN/LSTM/GRU → linear decoder) with seeded random weights, runs a few
sequences one at a time, and stores under the prefix "<cell>/":
    the weights under their native names ("lstm/encoder.weight", "lstm/rnn.weight_ih_l0", …),
    ids_<k> (T,) the input token ids of sequence k,
    output_<k> (T, H) the top layer's h at every step,
    h_n_<k> (L, H) and, for LSTM, c_n_<k> (L, H) the final state of every layer,
    probs_<k> (T, V) the softmax of the decoder output at every step.

Usage: python demos/make_torch_fixtures.py   (writes tests/fixtures/torch_cells.safetensors)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

VOCAB, EMBEDDING, HIDDEN, LAYERS = 17, 5, 6, 2
LENGTHS = (1, 7, 23)
CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
# Wider than PyTorch's default ±1/√H so the gates leave their linear range, yet small enough that
# a relu RNN does not blow up over 23 steps (large values would hide float32 errors in absolute terms).
WEIGHT_RANGE = 0.6
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_cells.safetensors"


def recurrent_module(cell: str) -> torch.nn.Module:
    if cell == "lstm":
        return torch.nn.LSTM(EMBEDDING, HIDDEN, num_layers=LAYERS)
    if cell == "gru":
        return torch.nn.GRU(EMBEDDING, HIDDEN, num_layers=LAYERS)
    return torch.nn.RNN(EMBEDDING, HIDDEN, num_layers=LAYERS, nonlinearity=cell.split("_")[1])


def cell_fixture(cell: str, generator: torch.Generator) -> dict[str, np.ndarray]:
    encoder = torch.nn.Embedding(VOCAB, EMBEDDING).double()
    rnn = recurrent_module(cell).double()
    decoder = torch.nn.Linear(HIDDEN, VOCAB).double()
    with torch.no_grad():
        encoder.weight.copy_(torch.randn(VOCAB, EMBEDDING, generator=generator, dtype=torch.float64))
        for module in (rnn, decoder):
            for param in module.parameters():
                noise = torch.rand(param.shape, generator=generator, dtype=torch.float64)
                param.copy_((2 * noise - 1) * WEIGHT_RANGE)
    out: dict[str, np.ndarray] = {"encoder.weight": encoder.weight.detach().numpy()}
    out.update({f"rnn.{name}": p.detach().numpy() for name, p in rnn.named_parameters()})
    out["decoder.weight"] = decoder.weight.detach().numpy()
    out["decoder.bias"] = decoder.bias.detach().numpy()
    with torch.no_grad():
        for k, length in enumerate(LENGTHS):
            ids = torch.randint(0, VOCAB, (length,), generator=generator)
            x = encoder(ids)[:, None, :]  # (T, 1, E): time-major, batch of one
            top, state = rnn(x)
            h_n, c_n = state if cell == "lstm" else (state, None)
            out[f"ids_{k}"] = ids.numpy().astype(np.int64)
            out[f"output_{k}"] = top[:, 0].numpy()
            out[f"h_n_{k}"] = h_n[:, 0].numpy()
            if c_n is not None:
                out[f"c_n_{k}"] = c_n[:, 0].numpy()
            out[f"probs_{k}"] = torch.softmax(decoder(top[:, 0]), dim=-1).numpy()
    return {name: np.ascontiguousarray(value) for name, value in out.items()}


def main() -> None:
    generator = torch.Generator().manual_seed(20240603)
    tensors: dict[str, np.ndarray] = {}
    for cell in CELLS:
        for name, value in cell_fixture(cell, generator).items():
            tensors[f"{cell}/{name}"] = value
    metadata = {
        "torch_version": torch.__version__,
        "command": "python demos/make_torch_fixtures.py",
        "cells": json.dumps(CELLS),
        "sizes": json.dumps({"vocab": VOCAB, "embedding": EMBEDDING, "hidden": HIDDEN, "layers": LAYERS}),
        "lengths": json.dumps(LENGTHS),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT), metadata=metadata)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()
