"""Models and arrays whose every drawn number is exact, for the snapshot tests.

A snapshot must not depend on the last digit of a float: another BLAS build, thread count or CPU sums
in another order, and a value that sits on a color step or a rounding edge flips a pixel. The LSTM
here is built so that nothing it draws goes through an inexact sum:

- embeddings are ±1, input weights 0 or ±64, biases ±32, recurrent weights 0: every pre-activation is
  an odd multiple of 32, summed exactly in any order;
- so every gate is exactly 0 or 1 (σ(a) = ½·tanh(a/2) + ½ saturates in float32) and g is exactly ±1;
- so the cell state holds small integers, and h = o·tanh(c) takes a handful of values (0, ±tanh k),
  each computed elementwise from an exact input, far from every color step (test_snapshot_apps);
- the decoder reads only its bias: the next-word distribution is the same after every word, with
  probabilities k/1000 (printed with three decimals, never on a rounding edge), and occlusion finds no
  link (no word changes the prediction).
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.model import Model
from rnnviz.training.corpus import DEMO_SENTENCE

SENTENCE = DEMO_SENTENCE
WORDS = ["<unk>", "<eos>", *dict.fromkeys(SENTENCE.split())]
PREDICTED = ["purred", "meowed", "slept", "sat", "ran", "sang", "barked", "hid", "left", "ate"]
VOCAB = WORDS + [w for w in PREDICTED if w not in WORDS]
EMBEDDING, HIDDEN = 8, 16
# The next-word distribution, per mille: the ten shown (PREDICTED, in order) are whole numbers — k/1000
# is never half-way between two printed values or two bar eighths —, the other words less, all
# different (no ties for the sort to break), summing to 1000.
SHOWN = [300, 220, 160, 110, 70, 50, 30, 20, 15, 10]
REST = [2.5, 2.0, 1.8, 1.6, 1.4, 1.2, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5]
PER_MILLE = dict(zip(PREDICTED, SHOWN, strict=True)) | dict(
    zip([w for w in VOCAB if w not in PREDICTED], REST, strict=True)
)


def _signs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.choice(np.array([-1.0, 1.0]), size=shape)


def exact_lstm_weights(seed: int = 13) -> dict[str, np.ndarray]:
    """Native-named weights of the exact LSTM (see the module docstring)."""
    rng = np.random.default_rng(seed)  # PCG64: the same signs on every platform
    vocab, gates = len(VOCAB), 4 * HIDDEN
    mask = rng.random((gates, EMBEDDING)) < 0.5  # which inputs each gate row reads
    probs = np.array([PER_MILLE[word] for word in VOCAB]) / 1000
    return {
        "encoder.weight": _signs(rng, (vocab, EMBEDDING)),
        "rnn.weight_ih_l0": 64.0 * _signs(rng, (gates, EMBEDDING)) * mask,
        "rnn.weight_hh_l0": np.zeros((gates, HIDDEN)),
        "rnn.bias_ih_l0": 32.0 * _signs(rng, (gates,)),
        "rnn.bias_hh_l0": np.zeros(gates),
        "decoder.weight": np.zeros((vocab, HIDDEN)),
        "decoder.bias": np.log(probs),
    }


def exact_lstm() -> Model:
    """The exact LSTM, in float32 (where σ and tanh saturate to exactly 0, ±1)."""
    return Model(exact_lstm_weights(), "lstm", VOCAB, dtype="float32")
