"""The training loss gradient of every parameter tensor, checked by central finite differences in
float64, for each cell type with two layers and a padded batch of different sentence lengths."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CELL_TYPES, make_vocab, random_weights

from rnnviz import Model
from rnnviz.training.train import loss_and_grads, make_batch

VOCAB = 11
# Lengths 6, 3 and 5: padding after the short sentences must neither add loss nor gradient.
SENTENCES = ([4, 5, 7, 8, 4, 9], [4, 6, 10], [3, 5, 2, 7, 9])


def batch_loss(weights: dict[str, np.ndarray], cell: str, batch) -> float:
    return loss_and_grads(Model(weights, cell, make_vocab(VOCAB), dtype="float64"), batch)[0]


@pytest.mark.parametrize("cell", CELL_TYPES)
@pytest.mark.parametrize("eos", [True, False])
def test_every_tensor_matches_finite_differences(cell: str, eos: bool) -> None:
    weights = random_weights(cell, layers=2, vocab=VOCAB, embedding=5, hidden=4, seed=3, scale=0.6)
    batch = make_batch([np.array(s) for s in SENTENCES], eos_id=1 if eos else None, pad_id=0)
    model = Model(weights, cell, make_vocab(VOCAB), dtype="float64")
    _, grads = loss_and_grads(model, batch)
    assert set(grads) == set(weights)
    step = 1e-6
    for name, value in weights.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + step
            plus = batch_loss(weights, cell, batch)
            value[index] = original - step
            minus = batch_loss(weights, cell, batch)
            value[index] = original
            numeric[index] = (plus - minus) / (2 * step)
        analytic = grads[name]
        assert analytic.shape == value.shape
        assert np.linalg.norm(numeric) > 1e-6, f"{name}: the check would be vacuous"
        error = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
        assert error < 1e-6, f"{cell} {name}: relative error {error:.2e}"


def test_padding_changes_nothing() -> None:
    """A sentence's loss and gradients are the same alone or padded inside a batch of longer ones."""
    weights = random_weights("lstm", layers=2, vocab=VOCAB, embedding=5, hidden=4, seed=1)
    model = Model(weights, "lstm", make_vocab(VOCAB), dtype="float64")
    short = np.array(SENTENCES[1])
    alone_loss, alone = loss_and_grads(model, make_batch([short], eos_id=1))
    padded = make_batch([short, short, np.array(SENTENCES[0])], eos_id=1, pad_id=7)
    # Two copies of the short sentence and a long one: the total over the short ones is twice alone's.
    both_loss, _ = loss_and_grads(model, make_batch([short, short], eos_id=1))
    assert both_loss == pytest.approx(alone_loss)
    long_loss, long_grads = loss_and_grads(model, make_batch([np.array(SENTENCES[0])], eos_id=1))
    mixed_loss, mixed = loss_and_grads(model, padded)
    n_short, n_long = len(short), len(SENTENCES[0])
    expected = (2 * n_short * alone_loss + n_long * long_loss) / (2 * n_short + n_long)
    assert mixed_loss == pytest.approx(expected)
    for name in weights:
        combined = (2 * n_short * alone[name] + n_long * long_grads[name]) / (2 * n_short + n_long)
        np.testing.assert_allclose(mixed[name], combined, rtol=1e-9, atol=1e-12)
