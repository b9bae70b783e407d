"""Write seeded random weights to rnnviz/models/ so the package works before training.

The trained models (demos/train_models.py) replace these files.
Usage: python demos/make_random_models.py
"""

from pathlib import Path

import numpy as np

import rnnviz
from rnnviz.core.cells import GATE_COUNT
from rnnviz.training.corpus import demo_vocab

EMBEDDING, HIDDEN = 32, 64


def random_weights(cell: str, vocab_size: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    gates = GATE_COUNT[cell.split("_")[0]]
    bound = 1 / np.sqrt(HIDDEN)  # PyTorch's default initialisation range

    def u(*shape):
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    return {
        "encoder.weight": rng.normal(0, 1, (vocab_size, EMBEDDING)).astype(np.float32),
        "rnn.weight_ih_l0": u(gates * HIDDEN, EMBEDDING),
        "rnn.weight_hh_l0": u(gates * HIDDEN, HIDDEN),
        "rnn.bias_ih_l0": u(gates * HIDDEN),
        "rnn.bias_hh_l0": u(gates * HIDDEN),
        "decoder.weight": u(vocab_size, HIDDEN),
        "decoder.bias": u(vocab_size),
    }


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "rnnviz" / "models"
    vocab = demo_vocab()
    for seed, (name, cell) in enumerate((("rnn", "rnn_tanh"), ("lstm", "lstm"), ("gru", "gru"))):
        model = rnnviz.Model(random_weights(cell, len(vocab), seed), cell, vocab)
        rnnviz.save(model, out / f"{name}.safetensors", metadata={"trained": "no: seeded random weights"})
        print("wrote", out / f"{name}.safetensors")


if __name__ == "__main__":
    main()
