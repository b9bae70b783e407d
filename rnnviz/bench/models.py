"""Seeded random models and texts of any size for the bench (weights drawn as PyTorch initializes them)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnviz.core.cells import GATE_COUNT
from rnnviz.core.model import Model, parse_cell
from rnnviz.training.corpus import generate


def random_model(
    cell: str,
    hidden: int,
    embedding: int,
    vocab_size: int,
    layers: int = 1,
    seed: int = 0,
    vocab: Sequence[str] | None = None,
) -> Model:
    """A float32 model with U(−1/√H, 1/√H) recurrent weights; vocab defaults to <unk>, w1, w2, …"""
    rng = np.random.default_rng(seed)
    gates = GATE_COUNT[parse_cell(cell)[0]]
    words = list(vocab) if vocab is not None else ["<unk>"] + [f"w{k}" for k in range(1, vocab_size)]
    bound = 1.0 / np.sqrt(hidden)

    def uniform(shape: tuple[int, ...], limit: float) -> np.ndarray:
        return (rng.random(shape, dtype=np.float32) * 2 - 1) * np.float32(limit)

    weights = {"encoder.weight": rng.standard_normal((len(words), embedding), dtype=np.float32)}
    for k in range(layers):
        size_in = embedding if k == 0 else hidden
        weights[f"rnn.weight_ih_l{k}"] = uniform((gates * hidden, size_in), bound)
        weights[f"rnn.weight_hh_l{k}"] = uniform((gates * hidden, hidden), bound)
        weights[f"rnn.bias_ih_l{k}"] = uniform((gates * hidden,), bound)
        weights[f"rnn.bias_hh_l{k}"] = uniform((gates * hidden,), bound)
    weights["decoder.weight"] = uniform((len(words), hidden), 0.1)
    weights["decoder.bias"] = np.zeros(len(words), dtype=np.float32)
    return Model(weights, cell, words)


def random_words(model: Model, count: int, seed: int = 0) -> list[str]:
    """count words of the model's vocabulary, never <unk>, so every word is a real token."""
    rng = np.random.default_rng(seed)
    vocab = model.vocab
    choices = [k for k, word in enumerate(vocab) if not word.startswith("<")]
    return [vocab[k] for k in rng.choice(choices, size=count)]


def corpus_words(count: int, seed: int = 0) -> list[str]:
    """count words of generated demo-corpus sentences (the bundled models' own kind of text)."""
    words: list[str] = []
    batch = max(16, count // 10)
    while len(words) < count:
        for sentence in generate(batch, seed + len(words)):
            words.extend(sentence.text.split())
    return words[:count]
