"""Karpathy's min-char-rnn weights (`Wxh, Whh, Why, bh, by`, as its `np.savez` users store them).

min-char-rnn feeds one-hot characters and computes h = tanh(Wxh x + Whh h + bh), y = Why h + by: a
plain tanh RNN whose input matrix is the embedding folded in. With an identity embedding it is exactly
rnnviz's rnn_tanh: W_ih = Wxh (H, V), W_hh = Whh, b_ih = bh, b_hh = 0, decoder = Why, by.
"""

from __future__ import annotations

import numpy as np

from rnnviz.errors import WeightsError

NAMES = frozenset({"Wxh", "Whh", "Why", "bh", "by"})


def looks_like_minchar(names: list[str]) -> bool:
    return set(names) == NAMES


def from_minchar_names(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Native tensors of a min-char-rnn model; WeightsError naming the array whose shape is off."""
    wxh, whh, why = tensors["Wxh"], tensors["Whh"], tensors["Why"]
    if wxh.ndim != 2 or whh.ndim != 2 or why.ndim != 2:
        raise WeightsError("min-char-rnn weights: Wxh, Whh and Why must be matrices")
    hidden, symbols = wxh.shape
    expected = {"Whh": (hidden, hidden), "Why": (symbols, hidden), "bh": (hidden,), "by": (symbols,)}
    flat = {name: tensors[name].reshape(-1) if name in ("bh", "by") else tensors[name] for name in expected}
    for name, shape in expected.items():
        if flat[name].shape != shape:
            raise WeightsError(
                f"min-char-rnn weights: {name} has shape {tensors[name].shape}, expected {shape} "
                f"for Wxh {wxh.shape} (hidden {hidden}, {symbols} characters)"
            )
    return {
        "encoder.weight": np.eye(symbols, dtype=wxh.dtype),
        "rnn.weight_ih_l0": wxh,
        "rnn.weight_hh_l0": whh,
        "rnn.bias_ih_l0": flat["bh"],
        "rnn.bias_hh_l0": np.zeros(hidden, dtype=wxh.dtype),
        "decoder.weight": why,
        "decoder.bias": flat["by"],
    }
