"""Integrated gradients of log p(w* | ·) after t, w* the top next word of the real sentence.

Zero-embedding baseline over the window, midpoint rule over `steps` α points (α_k = (k + ½)/steps,
all α in one batch). Attribution of token s = Σ_e x_s,e · ḡ_s,e, ḡ the gradient averaged over the α
points; the link is its absolute value. The signed attributions sum to
log p(w* | x) − log p(w* | baseline) (completeness), see `integrated_gradients`.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.model import Model
from rnnviz.core.trace import Trace

from .common import (
    DEFAULT_STEPS,
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


def integrated_gradients(
    model: Model, trace: Trace, t: int, steps: int = DEFAULT_STEPS, window: int = DEFAULT_WINDOW
) -> np.ndarray:
    """(T,) signed integrated-gradients attributions of log p(w* | ·) after token t, zero baseline.

    They sum to log p(w* | x) − log p(w* | baseline) up to the midpoint rule's error, where the
    baseline zeroes the embeddings of the words in the window (earlier words keep theirs).
    """
    check_arguments(model, trace, window, steps)
    (target,) = target_positions([t], len(trace))
    out = np.zeros(len(trace), dtype=model.dtype)
    ((lo, values),) = _signed(model, trace, np.array([target]), window, steps)
    out[lo : lo + len(values)] = values
    return out


def _signed(
    model: Model, trace: Trace, targets: np.ndarray, window: int, steps: int
) -> list[tuple[int, np.ndarray]]:
    """Per target t: (first attributed word, signed attributions of words first…t)."""
    words = trace_top_words(model, trace, targets)
    alphas = ((np.arange(steps) + 0.5) / steps).astype(model.dtype)  # midpoint rule
    per_row = steps * len(model.gate_names) * model.hidden_size
    results: list[tuple[int, np.ndarray]] = []
    offset = 0
    for chunk, start, stop in segments(
        model, trace, targets, window, per_row, max(1, GRADIENT_ROWS // steps)
    ):
        rows = len(chunk)
        embedded = model.embedding[trace.ids[start : stop + 1]]  # (n, E)
        # scale[j, r·steps + k]: α_k inside row r's window (its words up to t), 1 elsewhere.
        times = np.arange(start, stop + 1)[:, None]
        lows, highs = np.array([link_span(model, int(t), window, len(trace)) for t in chunk]).T
        inside = (times >= lows[None, :]) & (times <= highs[None, :])  # (n, R)
        scale = np.where(inside[:, :, None], alphas[None, None, :], 1).reshape(len(times), rows * steps)
        x = embedded[:, None, :] * scale[:, :, None].astype(model.dtype)  # (n, R·steps, E)
        top, recorded = run_segment(model, x, trace, start)
        dh = np.zeros((len(times), rows * steps, model.state_size), dtype=model.dtype)
        batch_time = np.repeat(chunk - start, steps)
        batch_word = np.repeat(words[offset : offset + rows], steps)
        columns = np.arange(rows * steps)
        dh[batch_time, columns] = top_word_cotangent(model, top[batch_time, columns], batch_word)
        grads = backward_segment(model, recorded, x, dh)
        mean_grad = grads.reshape(len(times), rows, steps, -1).mean(axis=2)  # (n, R, E)
        attributions = np.einsum("ne,nre->nr", embedded, mean_grad)
        for r in range(rows):
            results.append((int(lows[r]), attributions[lows[r] - start : highs[r] - start + 1, r]))
        offset += rows
    return results


def integrated_rows(model: Model, trace: Trace, targets: np.ndarray, window: int, steps: int) -> np.ndarray:
    out = np.zeros((len(targets), len(trace)), dtype=model.dtype)
    for row, (lo, values) in enumerate(_signed(model, trace, targets, window, steps)):
        out[row, lo : lo + len(values)] = np.abs(values)
    return out


def integrated_cost(model: Model, window: float, rows: int) -> float:
    """A gradient row (forward, backward, decode) for each of DEFAULT_STEPS α points."""
    return rows * DEFAULT_STEPS * (3 * window * word_cost(model) + decode_cost(model))


INTEGRATED = LinkMethod(
    name="integrated",
    summary="integrated gradients of the top next word's log-probability from a zero baseline",
    rows=integrated_rows,
    cost=integrated_cost,
)
