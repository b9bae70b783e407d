"""Shared test helpers. `random_model(...)` builds a Model with seeded random native weights.

Import it directly (`from conftest import random_model`) or through the `make_random_model` fixture.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz import Model
from rnnviz.core.cells import GATE_COUNT
from rnnviz.core.model import layer_names, parse_cell

CELL_TYPES = ("rnn_tanh", "rnn_relu", "lstm", "gru")
# Real words first so tests can type sentences; filler tokens make up any larger vocabulary.
BASE_VOCAB = ("<unk>", "<eos>", ".", ",", "the", "cat", "dog", "sat", "on", "mat", "barked", "it", "was")


def make_vocab(size: int) -> list[str]:
    """A lowercase vocabulary of `size` tokens that starts with <unk>, <eos> and a few words."""
    return list(BASE_VOCAB[:size]) + [f"word{k}" for k in range(size - len(BASE_VOCAB))]


def random_weights(
    cell: str,
    layers: int = 1,
    vocab: int = 20,
    embedding: int = 8,
    hidden: int = 12,
    seed: int = 0,
    scale: float = 0.5,
) -> dict[str, np.ndarray]:
    """Native-named float64 weights drawn uniformly from ±scale (embedding: standard normal)."""
    rng = np.random.default_rng(seed)
    gates = GATE_COUNT[parse_cell(cell)[0]]
    weights = {"encoder.weight": rng.normal(0.0, 1.0, (vocab, embedding))}
    for k in range(layers):
        inputs = embedding if k == 0 else hidden
        shapes = ((gates * hidden, inputs), (gates * hidden, hidden), (gates * hidden,), (gates * hidden,))
        for name, shape in zip(layer_names(k), shapes, strict=True):
            weights[name] = rng.uniform(-scale, scale, shape)
    weights["decoder.weight"] = rng.uniform(-scale, scale, (vocab, hidden))
    weights["decoder.bias"] = rng.uniform(-scale, scale, (vocab,))
    return weights


def random_model(
    cell: str,
    layers: int = 1,
    vocab: int = 20,
    embedding: int = 8,
    hidden: int = 12,
    seed: int = 0,
    dtype: str = "float32",
    scale: float = 0.5,
) -> Model:
    """A Model of `cell` (rnn_tanh, rnn_relu, lstm, gru) with seeded random weights and make_vocab(vocab)."""
    weights = random_weights(cell, layers, vocab, embedding, hidden, seed, scale)
    return Model(weights, cell, make_vocab(vocab), dtype=dtype)


@pytest.fixture
def make_random_model():
    return random_model
