"""Occlusion (the default links method): how much the next-word distribution after t moves when word s
is taken out.

Replace token s by <unk> (a zero embedding when the vocabulary has none) and take the total-variation
distance ½·Σ_v |p_v − q_v| between the next-word distributions after t without and with the occlusion.
Only the pairs s ≤ t < s + window are decoded: one call gives every row. Pairs whose occluded state
differs from the real one by rounding noise only (TV provably below PRECISION_FLOOR ulp) count as 0
without decoding (common.TotalVariation).

The occluded variants run as one batch whose members come and go: a variant joins at its own word
(from the state the trace recorded before it; until then it equals the sentence) and leaves after
the last target it can reach. Time runs in segments of at most OCCLUSION_SEGMENT words; the variants
whose word falls in a segment join at its start, so each variant re-runs fewer than a segment's
words of the sentence. Every step is then one matrix–matrix product over all live variants (up to a
window's worth), which a BLAS runs near its peak, instead of many thin products that each re-read
the recurrent weights (16 MB at 1,024 units): on a big model those reads, not the arithmetic, were
the cost.

Occluding s changes nothing but the variant of s, so a row can be computed in pieces of sources
(`occlusion_piece`): the viewer shows the latest words first and extends the row backwards.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnnviz.core.cells import project_inputs, run_layer, run_projected
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace

from .common import TotalVariation, decode_cost, window_start, word_cost
from .registry import LinkMethod

OCCLUSION_SEGMENT = 32  # most words run between two joins: a variant re-runs fewer of the sentence's
SEGMENT_ELEMENTS = 8_000_000  # gate activations (words × variants × G·H) one segment holds at once
BIDIRECTIONAL_CHUNK = 32  # occluded variants a pass for a bidirectional model (each runs the whole text)


def occlusion_rows(model: Model, trace: Trace, targets: np.ndarray, window: int, steps: int) -> np.ndarray:
    if model.bidirectional:
        out = np.zeros((len(targets), len(trace)), dtype=model.dtype)
        return _bidirectional_rows(model, trace, targets, window, out)
    found = occluded_links(model, trace, targets, window)
    assert found is not None  # no stop was asked for
    return found


def occlusion_piece(
    model: Model,
    trace: Trace,
    target: int,
    first: int,
    stop: int,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray | None:
    """Unnormalized occlusion links of `target` from the sources first ≤ s < stop only, as a
    (stop − first,) array on the scale `occlusion_rows` gives; None if should_stop() said so."""
    if model.bidirectional:  # both sides count: the row is computed whole, then sliced
        out = np.zeros((1, len(trace)), dtype=model.dtype)
        return _bidirectional_rows(model, trace, np.array([target]), len(trace), out)[0, first:stop]
    window = target - first + 1
    found = occluded_links(model, trace, np.array([target]), window, (first, stop), should_stop)
    return None if found is None else found[0, first:stop]


def occluded_links(
    model: Model,
    trace: Trace,
    targets: np.ndarray,
    window: int,
    sources: tuple[int, int] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray | None:
    """(len(targets), T) unnormalized links of sorted targets, from the sources first ≤ s < stop
    (default: all); None if should_stop(), asked between segments, returned True."""
    length = len(trace)
    out = np.zeros((len(targets), length), dtype=model.dtype)
    if not len(targets):
        return out
    base = window_start(int(targets[0]), window)  # no earlier word reaches any target
    first, stop = (base, int(targets[-1]) + 1) if sources is None else sources
    positions = np.arange(max(base, first), min(int(targets[-1]) + 1, stop))
    blank = _blank(model)
    # The last target each occluded position s can reach (s ≤ t < s + window), or −1 for none.
    reach = np.searchsorted(targets, positions + window, side="left") - 1
    last = np.full(length, -1)
    last[positions] = np.where(reach >= 0, targets[np.maximum(reach, 0)], -1)
    # Occluding a word by itself changes nothing: those links are zero without running anything.
    changed = np.any(model.embedding[trace.ids[positions]] != blank, axis=1)
    variants = positions[(last[positions] >= positions) & changed]
    if not variants.size:
        return out
    tv = TotalVariation.build(model, trace, targets)
    row_of_time = np.full(length, -1)
    row_of_time[targets] = np.arange(len(targets))

    # A variant differs from the sentence in one word, so its first-layer input projections are the
    # sentence's except at that word: project the sentence and the blank once, then copy rows.
    start, end = int(variants[0]), int(last[variants].max())
    embedded = model.embedding[trace.ids[start : end + 1]]
    projected = project_inputs(model.cell, embedded[:, None, :], model.layers[0])[:, 0]  # (n, G·H)
    projected_blank = project_inputs(model.cell, blank[None, None, :], model.layers[0])[0, 0]
    gates = projected.shape[-1]

    live = np.zeros(0, dtype=np.int64)  # occluded positions of the variants in the batch
    states: list[tuple[np.ndarray, np.ndarray | None]] = []  # per layer: (h, c) of the live variants
    upcoming = 0  # index into variants of the next one to join
    time = start
    while time <= end:
        if not live.size:
            time = int(variants[upcoming])  # nothing runs until the next variant's word
        span = min(OCCLUSION_SEGMENT, end - time + 1)
        joining = variants[upcoming:][variants[upcoming:] < time + span]
        fits = max(1, SEGMENT_ELEMENTS // ((live.size + joining.size) * gates))
        if fits < span:
            span = fits
            joining = joining[joining < time + span]
        states = _join(model, trace, states, time, joining.size)
        upcoming += joining.size
        live = np.concatenate([live, joining])
        batch = live.size

        acts = np.repeat(projected[time - start : time - start + span, None, :], batch, axis=1)
        acts[joining - time, np.arange(batch - joining.size, batch)] = projected_blank
        top, states = _run_segment(model, acts, states)  # top: (span, batch, H)

        # Pairs (target t, variant s) with s ≤ t ≤ last[s] in this segment, ordered by target.
        times, columns = [], []
        for t in targets[(targets >= time) & (targets < time + span)]:
            hit = np.flatnonzero((live <= t) & (last[live] >= t))
            times.append(np.full(hit.size, t))
            columns.append(hit)
        if times:
            pair_time, column = np.concatenate(times), np.concatenate(columns)
            if pair_time.size:
                row = row_of_time[pair_time]
                out[row, live[column]] = tv.distance(top[pair_time - time, column], row, model)

        time += span
        staying = last[live] >= time  # a variant leaves after the last target it reaches
        live = live[staying]
        states = [(h[staying], None if c is None else c[staying]) for h, c in states]
        if should_stop is not None and should_stop():
            return None
    return out


def _join(
    model: Model, trace: Trace, states: list[tuple[np.ndarray, np.ndarray | None]], time: int, count: int
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """The live states with `count` variants added that start from the recorded state before `time`."""
    size, cells, dtype = model.output_size, model.hidden_size, model.dtype  # h has P units with proj_size
    joined = []
    for k in range(model.num_layers):
        h, c = states[k] if states else (np.zeros((0, size), dtype), None)
        if time == 0:
            h_new = np.zeros((count, size), dtype)
            c_new = np.zeros((count, cells), dtype)
        else:
            h_new = np.broadcast_to(trace.hidden[k, time - 1], (count, size))
            recorded = trace.cell_state
            c_new = None if recorded is None else np.broadcast_to(recorded[k, time - 1], (count, cells))
        if trace.cell_state is None:
            joined.append((np.concatenate([h, h_new]), None))
        else:
            c = np.zeros((0, cells), dtype) if c is None else c
            joined.append((np.concatenate([h, h_new]), np.concatenate([c, c_new])))
    return joined


def _run_segment(
    model: Model, acts: np.ndarray, states: list[tuple[np.ndarray, np.ndarray | None]]
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray | None]]]:
    """Run the stacked layers over a segment (first layer projected), from the live states; the top
    layer's states over the segment and every layer's last state."""
    runs = []
    for k, layer in enumerate(model.layers):
        h0, c0 = states[k]
        if k == 0:
            run = run_projected(model.cell, acts, layer, h0, c0, model.nonlinearity)
        else:
            run = run_layer(model.cell, runs[-1].h, layer, h0=h0, c0=c0, nonlinearity=model.nonlinearity)
        runs.append(run)
    after = [(run.h[-1].copy(), None if run.c is None else run.c[-1].copy()) for run in runs]
    return runs[-1].h, after


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
    for lo in range(0, len(variants), BIDIRECTIONAL_CHUNK):
        occluded = variants[lo : lo + BIDIRECTIONAL_CHUNK]
        x = np.repeat(embedded[:, None, :], len(occluded), axis=1)  # (T, C, E)
        x[occluded, np.arange(len(occluded))] = blank
        top = model.run_stack_of(x).h[-1]  # (T, C, D·H_out)
        rows, columns = np.nonzero(near[occluded].T)  # pairs ordered by target row, as distance wants
        out[rows, occluded[columns]] = tv.distance(top[targets[rows], columns], rows, model)
    return out


def occlusion_cost(model: Model, window: float, rows: int) -> float:
    """Each occluded word reruns up to the target (~window²/2 word-steps a row) and is decoded once."""
    return rows * (window * window / 2 * word_cost(model) + window * decode_cost(model))


OCCLUSION = LinkMethod(
    name="occlusion",
    summary="how far the next-word distribution moves when the word is replaced by <unk>",
    rows=occlusion_rows,
    cost=occlusion_cost,
    piece=occlusion_piece,
)
