"""A character LSTM with hand-set weights whose units provably track properties of the text.

Unit 0 flips on every `"`: the forget gate closes and the input gate opens only on a quote, and the
candidate reads the unit's own h, so the cell writes ≈ +1 when it was off and ≈ −1 when it was on;
any other character keeps the cell as it is (forget ≈ 1, input ≈ 0). Its c is ≈ +1 exactly inside a
string ("…" quotes, no escapes) and 0 or −1 outside.
Unit 1 counts: every character adds tanh(0.01) to the cell, and a newline empties it (forget and
input gates ≈ 0), so c = 0.01 × characters read on the line: a perfect linear line_position counter.
Units 2 and 3 hold small seeded random weights: noise for the search to pass over.
Embeddings are one-hot (E = V), so each character drives the gates through its own column.
"""

from __future__ import annotations

import numpy as np

from rnnviz import Model

OPEN = 20.0  # σ(20) rounds to 1 in float32, σ(−20) to 2e-9: gates fully open or shut
FLIP = 20.0  # how hard the quote unit's candidate follows its own previous h
STEP = 0.01  # the counter's increment (before tanh)
QUOTE_UNIT, COUNTER_UNIT = 0, 1
HIDDEN = 4


def synthetic_vocab(text: str) -> list[str]:
    return ["<unk>", *sorted(set(text) | {'"', "\n"})]


def synthetic_weights(vocab: list[str], seed: int = 0) -> dict[str, np.ndarray]:
    """Native LSTM weights (gate order i, f, g, o) implementing the two planted units."""
    V, H = len(vocab), HIDDEN
    rng = np.random.default_rng(seed)
    quote = np.array([tok == '"' for tok in vocab], dtype=np.float64)
    newline = np.array([tok == "\n" for tok in vocab], dtype=np.float64)
    w_ih = rng.uniform(-0.3, 0.3, (4 * H, V))
    w_hh = rng.uniform(-0.3, 0.3, (4 * H, H))
    bias = np.zeros(4 * H)
    i, f, g, o = (k * H for k in range(4))
    for row in (
        i + QUOTE_UNIT,
        f + QUOTE_UNIT,
        g + QUOTE_UNIT,
        i + COUNTER_UNIT,
        f + COUNTER_UNIT,
        g + COUNTER_UNIT,
    ):
        w_ih[row] = 0.0
        w_hh[row] = 0.0
    w_hh[:, [QUOTE_UNIT, COUNTER_UNIT]] = 0.0  # the noise units do not disturb the planted ones
    # quote unit: input opens and forget shuts only on a quote; candidate = tanh(FLIP (0.38 − h))
    w_ih[i + QUOTE_UNIT] = 2 * OPEN * quote
    bias[i + QUOTE_UNIT] = -OPEN
    w_ih[f + QUOTE_UNIT] = -2 * OPEN * quote
    bias[f + QUOTE_UNIT] = OPEN
    w_hh[g + QUOTE_UNIT, QUOTE_UNIT] = -FLIP
    bias[g + QUOTE_UNIT] = 0.38 * FLIP
    # counter: input and forget open except on a newline, which shuts both; candidate = tanh(STEP)
    w_ih[i + COUNTER_UNIT] = -2 * OPEN * newline
    bias[i + COUNTER_UNIT] = OPEN
    w_ih[f + COUNTER_UNIT] = -2 * OPEN * newline
    bias[f + COUNTER_UNIT] = OPEN
    bias[g + COUNTER_UNIT] = STEP
    for unit in (QUOTE_UNIT, COUNTER_UNIT):  # output gate always open: h = tanh(c)
        w_ih[o + unit] = 0.0
        bias[o + unit] = OPEN
    return {
        "encoder.weight": np.eye(V),
        "rnn.weight_ih_l0": w_ih,
        "rnn.weight_hh_l0": w_hh,
        "rnn.bias_ih_l0": bias,
        "rnn.bias_hh_l0": np.zeros(4 * H),
        "decoder.weight": np.zeros((V, H)),
        "decoder.bias": np.zeros(V),
    }


def synthetic_model(text: str, seed: int = 0) -> Model:
    vocab = synthetic_vocab(text)
    return Model(synthetic_weights(vocab, seed), "lstm", vocab, tokenizer="chars")


def synthetic_source(lines: int = 400, seed: int = 1) -> str:
    """Python-like lines with "…" strings (no escapes, no comments) of varied lengths."""
    rng = np.random.default_rng(seed)
    words = ["x", "total", "name", "value", "i", "result", "data"]
    out = []
    for _ in range(lines):
        target = words[rng.integers(len(words))]
        parts = []
        for _ in range(rng.integers(1, 4)):
            if rng.random() < 0.5:
                text = " ".join(words[k] for k in rng.integers(len(words), size=rng.integers(1, 4)))
                parts.append(f'"{text}"')
            else:
                parts.append(words[rng.integers(len(words))])
        indent = "    " * int(rng.integers(0, 3))
        out.append(f"{indent}{target} = {' + '.join(parts)}\n")
    return "".join(out)
