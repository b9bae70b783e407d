"""Reference outputs from PyTorch for the layer options: LSTM projections and bidirectional layers.

Each case is a float64 language model (embedding → torch.nn.LSTM/GRU/RNN → linear decoder) with
seeded random weights, run over a few sequences; stored under the prefix "<case>/":
    the weights under their native names (`rnn.weight_hr_l{k}`, `rnn.weight_ih_l{k}_reverse`, …),
    ids_<k> (T,) input token ids, output_<k> (T, D·H_out) the top layer's output at every step,
    h_n_<k> (L·D, H_out) and, for LSTM, c_n_<k> (L·D, H) PyTorch's final states (layer-major,
    forward then backward), probs_<k> (T, V) the softmax of the decoder output.
The metadata `cases` maps each case to its cell name and module options.

Usage: python demos/make_torch_layer_fixtures.py   (writes tests/fixtures/torch_layer_options.safetensors)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file

VOCAB, EMBEDDING, HIDDEN, PROJECTION, LAYERS = 13, 5, 6, 4, 2
LENGTHS = (1, 6, 19)
WEIGHT_RANGE = 0.6  # as in make_torch_fixtures.py: the gates leave their linear range
CASES: dict[str, tuple[str, dict[str, object]]] = {
    "lstm_proj": ("lstm", {"proj_size": PROJECTION}),
    "gru_bidir": ("gru", {"bidirectional": True}),
    "lstm_bidir_proj": ("lstm", {"bidirectional": True, "proj_size": PROJECTION}),
    "rnn_relu_bidir": ("rnn_relu", {"bidirectional": True, "nonlinearity": "relu"}),
}
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_layer_options.safetensors"


def recurrent_module(cell: str, options: dict[str, object]) -> torch.nn.Module:
    kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_relu": torch.nn.RNN}[cell]
    return kind(EMBEDDING, HIDDEN, num_layers=LAYERS, **options)


def case_fixture(cell: str, options: dict[str, object], generator: torch.Generator) -> dict[str, np.ndarray]:
    rnn = recurrent_module(cell, options).double()
    directions = 2 if options.get("bidirectional") else 1
    output = int(options.get("proj_size", 0)) or HIDDEN
    encoder = torch.nn.Embedding(VOCAB, EMBEDDING).double()
    decoder = torch.nn.Linear(directions * output, VOCAB).double()
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
            top, state = rnn(encoder(ids)[:, None, :])  # time-major, batch of one
            h_n, c_n = state if cell == "lstm" else (state, None)
            out[f"ids_{k}"] = ids.numpy().astype(np.int64)
            out[f"output_{k}"] = top[:, 0].numpy()
            out[f"h_n_{k}"] = h_n[:, 0].numpy()
            if c_n is not None:
                out[f"c_n_{k}"] = c_n[:, 0].numpy()
            out[f"probs_{k}"] = torch.softmax(decoder(top[:, 0]), dim=-1).numpy()
    return {name: np.ascontiguousarray(value) for name, value in out.items()}


def main() -> None:
    generator = torch.Generator().manual_seed(20240614)
    tensors: dict[str, np.ndarray] = {}
    for case, (cell, options) in CASES.items():
        for name, value in case_fixture(cell, options, generator).items():
            tensors[f"{case}/{name}"] = value
    metadata = {
        "torch_version": torch.__version__,
        "command": "python demos/make_torch_layer_fixtures.py",
        "cases": json.dumps(CASES),
        "sizes": json.dumps(
            {"vocab": VOCAB, "embedding": EMBEDDING, "hidden": HIDDEN, "proj": PROJECTION, "layers": LAYERS}
        ),
        "lengths": json.dumps(LENGTHS),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT), metadata=metadata)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()
