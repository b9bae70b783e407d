"""Occlusion (the default links method): how much the next-word distribution after t moves when word s
is taken out.

Replace token s by <unk> (a zero embedding when the vocabulary has none) and take the total-variation
distance ½·Σ_v |p_v − q_v| between the next-word distributions after t without and with the occlusion.
The occluded variants run batched (batch axis = occluded position, OCCLUSION_CHUNK variants a pass),
and only the pairs s ≤ t < s + window are decoded: one call gives every row. Pairs whose occluded
state differs from the real one by rounding noise only (TV provably below PRECISION_FLOOR ulp) count
as 0 without decoding (common.TotalVariation).
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.cells import project_inputs
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace

from .common import TotalVariation, decode_cost, forward_projected, window_start, word_cost
from .registry import LinkMethod

OCCLUSION_CHUNK = 32  # occluded variants per batch: each re-runs from the chunk's first position


def occlusion_rows(model: Model, trace: Trace, targets: np.ndarray, window: int, steps: int) -> np.ndarray:
    length = len(trace)
    out = np.zeros((len(targets), length), dtype=model.dtype)
    if not len(targets):
        return out
    if model.bidirectional:
        return _bidirectional_rows(model, trace, targets, window, out)
    base = window_start(int(targets[0]), window)  # no earlier word reaches any target
    positions = np.arange(base, int(targets[-1]) + 1)
    embedded = model.embedding[trace.ids[base : targets[-1] + 1]]  # (n, E), from `base` on
    unk_id = model.vocab_index.unk_id
    blank = model.embedding[unk_id] if unk_id is not None else np.zeros(model.embedding_size, model.dtype)
    # The last target each occluded position s can reach (s ≤ t < s + window), or −1 for none.
    reach = np.searchsorted(targets, positions + window, side="left") - 1
    last = np.full(length, -1)
    last[positions] = np.where(reach >= 0, targets[np.maximum(reach, 0)], -1)
    # Occluding a word by itself changes nothing: those links are zero without running anything.
    changed = np.any(embedded != blank, axis=1)
    variants = positions[(last[positions] >= positions) & changed]
    tv = TotalVariation.build(model, trace, targets)
    row_of_time = np.full(length, -1)
    row_of_time[targets] = np.arange(len(targets))

    # A variant differs from the sentence in one word, so its first-layer input projections are the
    # sentence's except at that word: project the sentence and the blank once, then copy rows.
    projected = project_inputs(model.cell, embedded[:, None, :], model.layers[0])  # (n, 1, G·H)
    projected_blank = project_inputs(model.cell, blank[None, None, :], model.layers[0])[0, 0]

    for occluded in _position_groups(variants, OCCLUSION_CHUNK):  # (C,) positions, increasing
        start, stop = int(occluded[0]), int(last[occluded].max())
        acts = np.repeat(projected[start - base : stop - base + 1], len(occluded), axis=1)  # (n, C, G·H)
        acts[occluded - start, np.arange(len(occluded))] = projected_blank
        top = forward_projected(model, acts, trace, start)[-1].h  # (n, C, H)
        # Pairs (target t, variant s) with s ≤ t ≤ last[s], ordered by target.
        times, columns = [], []
        for t in targets[(targets >= start) & (targets <= stop)]:
            hit = np.flatnonzero((occluded <= t) & (last[occluded] >= t))
            times.append(np.full(hit.size, t))
            columns.append(hit)
        time = np.concatenate(times)
        column = np.concatenate(columns)
        row = row_of_time[time]
        out[row, occluded[column]] = tv.distance(top[time - start, column], row, model)
    return out


def _blank(model: Model) -> np.ndarray:
    unk_id = model.vocab_index.unk_id
    return model.embedding[unk_id] if unk_id is not None else np.zeros(model.embedding_size, model.dtype)


def _bidirectional_rows(
    model: Model, trace: Trace, targets: np.ndarray, window: int, out: np.ndarray
) -> np.ndarray:
    """Occlusion for a bidirectional model: its output at t reads the words on both sides, so each
    occluded variant runs the whole sentence (no recorded state to start from) and every target
    within the window on either side (|s − t| < window) is measured."""
    embedded = model.embedding[trace.ids]  # (T, E)
    blank = _blank(model)
    positions = np.arange(len(trace))
    near = np.abs(positions[:, None] - targets[None, :]) < window  # (T, R): s reaches target r
    changed = np.any(embedded != blank, axis=1)
    variants = positions[near.any(axis=1) & changed]
    tv = TotalVariation.build(model, trace, targets)
    for lo in range(0, len(variants), OCCLUSION_CHUNK):
        occluded = variants[lo : lo + OCCLUSION_CHUNK]
        x = np.repeat(embedded[:, None, :], len(occluded), axis=1)  # (T, C, E)
        x[occluded, np.arange(len(occluded))] = blank
        top = model.run_stack_of(x).h[-1]  # (T, C, D·H_out)
        rows, columns = np.nonzero(near[occluded].T)  # pairs ordered by target row, as distance wants
        out[rows, occluded[columns]] = tv.distance(top[targets[rows], columns], rows, model)
    return out


def _position_groups(positions: np.ndarray, span: int) -> list[np.ndarray]:
    """Increasing positions cut into groups that each lie within `span` consecutive words, so one
    batch never re-runs a long stretch between distant targets."""
    groups, first = [], 0
    for k in range(1, len(positions) + 1):
        if k == len(positions) or positions[k] - positions[first] >= span:
            groups.append(positions[first:k])
            first = k
    return groups


def occlusion_cost(model: Model, window: float, rows: int) -> float:
    """Each occluded word reruns up to the target (~window²/2 word-steps a row) and is decoded once."""
    return rows * (window * window / 2 * word_cost(model) + window * decode_cost(model))


OCCLUSION = LinkMethod(
    name="occlusion",
    summary="how far the next-word distribution moves when the word is replaced by <unk>",
    rows=occlusion_rows,
    cost=occlusion_cost,
)
