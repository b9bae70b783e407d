"""The training step's embedding gradient (a sorted segment sum) and its reuse of freed memory."""

from __future__ import annotations

import resource
import sys

import numpy as np
import pytest

from rnnviz.training.memory import keep_freed_memory
from rnnviz.training.train import embedding_grad


@pytest.mark.parametrize("vocab_size", [1, 5, 72, 10_000])
def test_embedding_grad_sums_rows_per_id_as_add_at(vocab_size: int) -> None:
    rng = np.random.default_rng(vocab_size)
    ids = rng.integers(0, min(vocab_size, 7) if vocab_size < 100 else vocab_size, 300)  # repeats, gaps
    dx = rng.standard_normal((300, 6))
    expected = np.zeros((vocab_size, 6))
    np.add.at(expected, ids, dx)
    np.testing.assert_allclose(embedding_grad(ids, dx, vocab_size), expected, rtol=1e-12, atol=1e-12)


def test_embedding_grad_keeps_the_dtype_and_zeroes_unseen_rows() -> None:
    dx = np.ones((4, 3), dtype=np.float32)
    grad = embedding_grad(np.array([2, 2, 0, 2]), dx, 4)
    assert grad.dtype == np.float32
    np.testing.assert_array_equal(grad, [[1, 1, 1], [0, 0, 0], [3, 3, 3], [0, 0, 0]])


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_freed_arrays_are_reused_without_page_faults() -> None:
    """Two megabyte temporaries alive at once, as a training step has: without the raised thresholds
    glibc maps the second afresh on every round (hundreds of faults); with them, none."""
    if not keep_freed_memory():
        pytest.skip("no glibc mallopt here")
    assert keep_freed_memory()  # once is enough; a second call changes nothing
    source = np.ones(300_000, dtype=np.float32)

    def step() -> None:
        first = source + 1
        second = source * first
        assert second[0] == 2

    step()
    before = _faults()
    for _ in range(20):
        step()
    assert (_faults() - before) / 20 < 20
