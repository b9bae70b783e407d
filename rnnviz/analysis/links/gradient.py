"""Gradient (saliency): ‖∂ log p(w* | ·)/∂x_s‖₂, the L2 norm of the gradient of the top next word's
log-probability after t with respect to the embedding of word s.

w* is the top next word of the real sentence. The classic saliency view, kept for comparison: on the
demo models it ranks the true subject first far less often than occlusion. The rows' cotangents
travel back together, GRADIENT_ROWS rows per batched backward sweep.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from rnnviz.core.model import Model
from rnnviz.core.trace import Trace

from .common import (
    DEFAULT_WINDOW,
    GRADIENT_ROWS,
    backward_segment,
    check_arguments,
    decode_cost,
    link_span,
    run_segment,
    segments,
    target_positions,
    top_word_cotangent,
    trace_top_words,
    word_cost,
)
from .registry import LinkMethod


def embedding_gradient(model: Model, trace: Trace, t: int, window: int = DEFAULT_WINDOW) -> np.ndarray:
    """(T, E): ∂ log p(w* | ·)/∂x_s of the top next word w* after token t (zero outside the window)."""
    check_arguments(model, trace, window)
    (target,) = target_positions([t], len(trace))
    out = np.zeros((len(trace), model.embedding_size), dtype=model.dtype)
    for _, start, grads in embedding_gradients(model, trace, np.array([target]), window):
        lo, hi = link_span(model, int(target), window, len(trace))
        out[lo : hi + 1] = grads[lo - start : hi - start + 1, 0]
    return out


def embedding_gradients(
    model: Model, trace: Trace, targets: np.ndarray, window: int
) -> Iterable[tuple[np.ndarray, int, np.ndarray]]:
    """For chunks of targets: (chunk, segment start, ∂ log p(w*_t)/∂x of shape (n, len(chunk), E))."""
    words = trace_top_words(model, trace, targets)
    per_row = len(model.gate_names) * model.hidden_size
    offset = 0
    for chunk, start, stop in segments(model, trace, targets, window, per_row, GRADIENT_ROWS):
        x = model.embedding[trace.ids[start : stop + 1]][:, None, :]  # (n, 1, E)
        top, recorded = run_segment(model, x, trace, start)
        dh = np.zeros((stop - start + 1, len(chunk), model.state_size), dtype=model.dtype)
        columns = np.arange(len(chunk))
        dh[chunk - start, columns] = top_word_cotangent(
            model, top[chunk - start, 0], words[offset : offset + len(chunk)]
        )
        yield chunk, start, backward_segment(model, recorded, x, dh)
        offset += len(chunk)


def gradient_rows(model: Model, trace: Trace, targets: np.ndarray, window: int, steps: int) -> np.ndarray:
    out = np.zeros((len(targets), len(trace)), dtype=model.dtype)
    row = 0
    for chunk, start, grads in embedding_gradients(model, trace, targets, window):
        norms = np.sqrt(np.einsum("nre,nre->nr", grads, grads))  # (n, R)
        for r, t in enumerate(chunk):
            lo, hi = link_span(model, int(t), window, len(trace))
            out[row + r, lo : hi + 1] = norms[lo - start : hi - start + 1, r]
        row += len(chunk)
    return out


def gradient_cost(model: Model, window: float, rows: int) -> float:
    """A forward and a backward sweep over the window (~3 word-steps a word) and one decode a row."""
    return rows * (3 * window * word_cost(model) + decode_cost(model))


GRADIENT = LinkMethod(
    name="gradient",
    summary="size of the gradient of the top next word's log-probability (saliency, for comparison)",
    rows=gradient_rows,
    cost=gradient_cost,
)
