"""Memory links: which earlier word the prediction after word t still depends on.

`links(model, trace)` gives a (T, T) lower-triangular array: row t holds, for every s ≤ t, how much
the next-word prediction after token t depends on token s, normalized so each computed row sums to 1
(a row where nothing has any influence stays zero). Methods:

    occlusion   (default) replace token s by <unk> (a zero embedding when the vocabulary has none) and
                take the total-variation distance ½·Σ_v |p_v − q_v| between the next-word
                distributions after t without and with the occlusion. The occluded variants run
                batched (batch axis = occluded position, OCCLUSION_CHUNK variants a pass), and only
                the pairs s ≤ t < s + window are decoded: one call gives every row. Pairs whose
                occluded state differs from the real one by rounding noise only (TV provably below
                PRECISION_FLOOR ulp) count as 0 without decoding.
    integrated  integrated gradients of log p(w* | ·) after t, w* the top next word of the real
                sentence, zero-embedding baseline over the window, midpoint rule over `steps` α points
                (α_k = (k + ½)/steps, all α in one batch). Attribution of token s = Σ_e x_s,e · ḡ_s,e;
                the link is its absolute value. The signed attributions sum to
                log p(w* | x) − log p(w* | baseline) (completeness), see `integrated_gradients`.
    gradient    ‖∂ log p(w* | ·)/∂x_s‖₂ (the classic saliency view); the rows' cotangents travel
                back together, GRADIENT_ROWS rows per batched backward sweep.
    retention   LSTM only: mean over the top layer's units of f_{s+1} ⊙ ⋯ ⊙ f_t (forget gates);
                s = t gives 1.

`window` limits row t to s > t − window. Work outside the window is skipped: a row needs only the
words from t − window + 1 to t, started from the state the trace recorded before them.

Large texts: a dense (T, T) array of a 100,000-word text would take 40 GB, so `links` refuses texts
longer than DENSE_LIMIT words with a ValueError that points to `link_rows(model, trace, rows)`, which
returns just the requested rows as a (len(rows), T) array. Both share one implementation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import LayerRun, project_inputs, run_layer, run_projected
from rnnviz.core.grad import stack_backward
from rnnviz.core.model import Model, softmax
from rnnviz.core.trace import Trace
from rnnviz.errors import InputError

METHODS = ("occlusion", "integrated", "gradient", "retention")
DEFAULT_WINDOW = 256
DEFAULT_STEPS = 20
DENSE_LIMIT = 4096  # longest text links() returns as a dense (T, T) array (64 MB in float32)
OCCLUSION_CHUNK = 32  # occluded variants per batch: each re-runs from the chunk's first position
DECODE_BUDGET = 4_000_000  # logits held at once while measuring total variation (elements)
PRECISION_FLOOR = 8  # occlusion pairs whose TV is provably below this many ulp(1) are not decoded
BACKWARD_BUDGET = 8_000_000  # gate gradients held at once in a batched backward sweep (elements)
GRADIENT_ROWS = 48  # target rows (× α steps for integrated gradients) per backward sweep


# -- public API --------------------------------------------------------------------------------------
def links(
    model: Model,
    trace: Trace,
    method: str = "occlusion",
    rows: Iterable[int] | None = None,
    window: int = DEFAULT_WINDOW,
    steps: int = DEFAULT_STEPS,
) -> np.ndarray:
    """(T, T) lower-triangular links; rows not in `rows` (default: all) stay zero."""
    length = len(trace)
    if length > DENSE_LIMIT:
        gigabytes = length * length * model.dtype.itemsize / 1e9
        raise InputError(
            f"this text has {length} words: a dense links array would take {gigabytes:.1f} GB; "
            "use rnnviz.analysis.links.link_rows(model, trace, rows) for the rows you need"
        )
    targets = _targets(rows, length)
    out = np.zeros((length, length), dtype=model.dtype)
    out[targets] = link_rows(model, trace, targets, method=method, window=window, steps=steps)
    return out


def link_rows(
    model: Model,
    trace: Trace,
    rows: Iterable[int] | int,
    method: str = "occlusion",
    window: int = DEFAULT_WINDOW,
    steps: int = DEFAULT_STEPS,
) -> np.ndarray:
    """(len(rows), T): row k holds the links of target position rows[k] (negative counts from the end).

    Cost grows with len(rows) × window, not with T², so this is the call for long texts.
    """
    _check_arguments(model, trace, window, steps)
    if method not in METHODS:
        raise InputError(f"unknown links method {method!r}: use one of {', '.join(METHODS)}")
    length = len(trace)
    requested = _targets([rows] if isinstance(rows, int | np.integer) else rows, length)
    if requested.size * length > DENSE_LIMIT * DENSE_LIMIT:
        raise InputError(
            f"{requested.size} rows of {length} words is too large an array: ask for fewer rows at a time"
        )
    targets, where = np.unique(requested, return_inverse=True)
    if method == "occlusion":
        computed = _occlusion(model, trace, targets, int(window))
    elif method == "gradient":
        computed = _gradient(model, trace, targets, int(window))
    elif method == "integrated":
        computed = _integrated(model, trace, targets, int(window), int(steps))
    else:
        computed = _retention(model, trace, targets, int(window))
    totals = computed.sum(axis=1, keepdims=True)
    np.divide(computed, totals, out=computed, where=totals > 0)
    return computed[where.reshape(-1)]


def methods_for(model: Model) -> tuple[str, ...]:
    """The links methods this model supports, default first (retention needs an LSTM's forget gates)."""
    return METHODS if model.cell == "lstm" else tuple(m for m in METHODS if m != "retention")


def embedding_gradient(model: Model, trace: Trace, t: int, window: int = DEFAULT_WINDOW) -> np.ndarray:
    """(T, E): ∂ log p(w* | ·)/∂x_s of the top next word w* after token t (zero outside the window)."""
    _check_arguments(model, trace, window)
    (target,) = _targets([t], len(trace))
    out = np.zeros((len(trace), model.embedding_size), dtype=model.dtype)
    for chunk, start, grads in _embedding_gradients(model, trace, np.array([target]), window):
        lo = _window_start(int(chunk[0]), window)
        out[lo : target + 1] = grads[lo - start : target - start + 1, 0]
    return out


def integrated_gradients(
    model: Model, trace: Trace, t: int, steps: int = DEFAULT_STEPS, window: int = DEFAULT_WINDOW
) -> np.ndarray:
    """(T,) signed integrated-gradients attributions of log p(w* | ·) after token t, zero baseline.

    They sum to log p(w* | x) − log p(w* | baseline) up to the midpoint rule's error, where the
    baseline zeroes the embeddings of the words in the window (earlier words keep theirs).
    """
    _check_arguments(model, trace, window, steps)
    (target,) = _targets([t], len(trace))
    out = np.zeros(len(trace), dtype=model.dtype)
    ((lo, values),) = _integrated_signed(model, trace, np.array([target]), window, steps)
    out[lo : target + 1] = values
    return out


# -- shared pieces -----------------------------------------------------------------------------------
def _targets(rows: Iterable[int] | None, length: int) -> np.ndarray:
    if rows is None:
        return np.arange(length)
    try:
        values = np.asarray(list(rows))
    except TypeError:
        raise InputError(f"rows is {rows!r}: give a list of word positions") from None
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    if values.dtype.kind not in "iu":
        raise InputError(f"rows {values.tolist()!r} are not word positions: give whole numbers")
    values = values.astype(np.int64).reshape(-1)
    bad = values[(values < -length) | (values >= length)]
    if bad.size:
        raise InputError(f"row {int(bad[0])} is out of range: the text has {length} words (0..{length - 1})")
    return values % length


def _whole(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_arguments(model: Model, trace: Trace, window: int, steps: int = DEFAULT_STEPS) -> None:
    _check_trace(model, trace)
    if not _whole(window) or window < 1:
        raise InputError(f"window is {window!r}: give a whole number of words, at least 1")
    if not _whole(steps) or steps < 1:
        raise InputError(f"steps is {steps!r}: give a whole number of α points, at least 1")


def _check_trace(model: Model, trace: Trace) -> None:
    expected = (model.num_layers, len(trace), model.hidden_size)
    if trace.hidden.shape != expected or len(trace.ids) != len(trace):
        raise InputError(
            f"this trace ({trace.hidden.shape[0]} layer(s) × {trace.hidden.shape[2]} units) was not made "
            f"by this model ({model.num_layers} × {model.hidden_size}): run model.run(text) first"
        )


def _window_start(t: int, window: int) -> int:
    return max(0, t - window + 1)


def _forward_from(model: Model, x: np.ndarray, trace: Trace, start: int) -> list[LayerRun]:
    """Run the stacked layers over x (n, B, E), the inputs at times start…, from the recorded state."""
    runs = []
    for k, layer in enumerate(model.layers):
        h0 = trace.hidden[k, start - 1][None] if start > 0 else None
        c0 = trace.cell_state[k, start - 1][None] if start > 0 and trace.cell_state is not None else None
        run = run_layer(model.cell, x, layer, h0=h0, c0=c0, nonlinearity=model.nonlinearity)
        runs.append(run)
        x = run.h
    return runs


def _forward_projected(model: Model, projected: np.ndarray, trace: Trace, start: int) -> list[LayerRun]:
    """_forward_from with the first layer's inputs already projected (cells.project_inputs)."""
    runs = []
    for k, layer in enumerate(model.layers):
        h0 = trace.hidden[k, start - 1][None] if start > 0 else None
        c0 = trace.cell_state[k, start - 1][None] if start > 0 and trace.cell_state is not None else None
        if k == 0:
            run = run_projected(model.cell, projected, layer, h0, c0, model.nonlinearity)
        else:
            run = run_layer(model.cell, runs[-1].h, layer, h0=h0, c0=c0, nonlinearity=model.nonlinearity)
        runs.append(run)
    return runs


def _top_word_cotangent(model: Model, h_top: np.ndarray, words: np.ndarray) -> np.ndarray:
    """∂ log p(word | h)/∂h = W[word] − Σ_v p_v W[v], for states (N, H) and words (N,)."""
    probs = softmax(model.logits(h_top))
    return model.decoder_weight[words] - probs @ model.decoder_weight


def _segment_start(lo: int) -> int:
    """Where a segment whose first attributed word is `lo` starts running.

    grad.py's backward pass takes the state before its first step to be zero. Starting one word early
    (from the recorded state) leaves that wrong state to a step whose input gradient is thrown away;
    every step after it reads the true recorded states, so the kept gradients are exact.
    """
    return lo - 1 if lo > 0 else 0


def _row_chunks(targets: np.ndarray, window: int, per_row: int, max_rows: int) -> list[np.ndarray]:
    """Sorted targets grouped so that (segment length × rows × per_row) stays within BACKWARD_BUDGET.

    A sweep runs back from its latest target, so an earlier row idles through the steps after its own
    target: at most max_rows rows a sweep, spanning less than a window, bound that waste.
    """
    chunks: list[np.ndarray] = []
    first = 0
    for k in range(1, len(targets) + 1):
        if k < len(targets):
            start = _segment_start(_window_start(int(targets[first]), window))
            cost = (int(targets[k]) - start + 1) * (k - first + 1) * per_row
            near = int(targets[k]) - int(targets[first]) < window  # never run the gap between far rows
            if cost <= BACKWARD_BUDGET and k - first < max_rows and near:
                continue
        chunks.append(targets[first:k])
        first = k
    return chunks


# -- occlusion ---------------------------------------------------------------------------------------
@dataclass
class _TotalVariation:
    """Total-variation distance from the real next-word distribution p at each target, in batches.

    With r_v = q_v·Z / p_v = exp(Δl_v), Δl = W (h' − h) the change of the logits (the bias cancels)
    and Z = Σ_v p_v r_v, the distance is TV = 1 − Σ_v min(p_v, q_v) = 1 − Σ_v p_v min(r_v, Z) / Z:
    one exp pass over the (M, V) logits and two matrix–vector products against p, instead of
    a softmax and an elementwise |p − q|. In float32 a distance is good to about 1e-6 (absolute) at
    V = 10,000: the sums over the vocabulary round.

    Decoding is the cost (M·H·V multiply-adds), and most occluded states of a model that forgets end up
    differing from the real one by rounding noise only. Since |Δl_v| ≤ ‖W_v‖·‖h' − h‖ = δ bounds every
    ratio q_v/p_v within e^{±2δ}, TV ≤ 1 − e^{−2δ} ≤ 2δ: a pair whose bound is below PRECISION_FLOOR
    units in the last place (less than the rounding error of computing it) is not decoded and counts 0.
    """

    probs: np.ndarray  # (R, V): real next-word distribution at each target
    states: np.ndarray  # (R, H): real top-layer state at each target
    floor: float  # state distance below which a pair's TV is provably under the precision floor

    @classmethod
    def build(cls, model: Model, trace: Trace, targets: np.ndarray) -> _TotalVariation:
        states = trace.hidden[-1, targets]
        if trace.probs is not None and trace.probs.dtype == model.dtype:
            probs = trace.probs[targets]  # the run already decoded them
        else:
            probs = softmax(model.logits(states))
        weight = model.decoder_weight
        # max_v ‖W_v‖, rounded up a little so the bound stays a bound in float32
        widest = float(np.sqrt(np.einsum("vh,vh->v", weight, weight).max(initial=0.0))) * 1.001
        floor = PRECISION_FLOOR * float(np.finfo(model.dtype).eps) / (2 * widest) if widest > 0 else np.inf
        return cls(probs=probs, states=states, floor=floor)

    def distance(self, states: np.ndarray, row: np.ndarray, model: Model) -> np.ndarray:
        """TV for states (M, H) at target indices row (M,), which come grouped by row in runs."""
        change = states - self.states[row]
        (moved,) = np.nonzero(np.einsum("mh,mh->m", change, change) >= self.floor * self.floor)
        out = np.zeros(len(states), dtype=states.dtype)
        budget = max(64, DECODE_BUDGET // model.decoder_weight.shape[0])  # pairs decoded at once
        for lo in range(0, moved.size, budget):
            part = moved[lo : lo + budget]
            out[part] = self._decoded(states[part], change[part], row[part], model)
        return out

    def _decoded(self, states: np.ndarray, change: np.ndarray, row: np.ndarray, model: Model) -> np.ndarray:
        count = len(states)
        ratio = change @ model.decoder_weight.T  # (M, V): Δl
        np.exp(ratio, out=ratio)
        out = np.empty(count, dtype=states.dtype)
        edges = np.flatnonzero(np.diff(row)) + 1
        for lo, hi in zip(np.r_[0, edges], np.r_[edges, count], strict=True):
            block, p = ratio[lo:hi], self.probs[row[lo]]
            norm = block @ p
            np.minimum(block, norm[:, None], out=block)
            out[lo:hi] = 1 - (block @ p) / norm
        unsafe = ~np.isfinite(out)
        if unsafe.any():  # an occlusion moved some logit by ~80 nats: redo those rows the stable way
            q = softmax(model.logits(states[unsafe]))
            out[unsafe] = 0.5 * np.abs(q - self.probs[row[unsafe]]).sum(axis=1)
        np.clip(out, 0, 1, out=out)
        return out


def _occlusion(model: Model, trace: Trace, targets: np.ndarray, window: int) -> np.ndarray:
    length = len(trace)
    out = np.zeros((len(targets), length), dtype=model.dtype)
    if not len(targets):
        return out
    base = _window_start(int(targets[0]), window)  # no earlier word reaches any target
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
    tv = _TotalVariation.build(model, trace, targets)
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
        top = _forward_projected(model, acts, trace, start)[-1].h  # (n, C, H)
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


def _position_groups(positions: np.ndarray, span: int) -> list[np.ndarray]:
    """Increasing positions cut into groups that each lie within `span` consecutive words, so one
    batch never re-runs a long stretch between distant targets."""
    groups, first = [], 0
    for k in range(1, len(positions) + 1):
        if k == len(positions) or positions[k] - positions[first] >= span:
            groups.append(positions[first:k])
            first = k
    return groups


# -- gradient and integrated gradients --------------------------------------------------------------
def _embedding_gradients(
    model: Model, trace: Trace, targets: np.ndarray, window: int
) -> Iterable[tuple[np.ndarray, int, np.ndarray]]:
    """For chunks of targets: (chunk, segment start, ∂ log p(w*_t)/∂x of shape (n, len(chunk), E))."""
    words = trace_top_words(model, trace, targets)
    per_row = len(model.gate_names) * model.hidden_size
    offset = 0
    for chunk in _row_chunks(targets, window, per_row, GRADIENT_ROWS):
        start = _segment_start(_window_start(int(chunk[0]), window))
        stop = int(chunk[-1])
        x = model.embedding[trace.ids[start : stop + 1]][:, None, :]  # (n, 1, E)
        runs = _forward_from(model, x, trace, start)
        dh = np.zeros((stop - start + 1, len(chunk), model.hidden_size), dtype=model.dtype)
        columns = np.arange(len(chunk))
        dh[chunk - start, columns] = _top_word_cotangent(
            model, runs[-1].h[chunk - start, 0], words[offset : offset + len(chunk)]
        )
        grads, _ = stack_backward(
            model.cell, runs, x, model.layers, dh, batch=len(chunk), nonlinearity=model.nonlinearity
        )
        yield chunk, start, grads
        offset += len(chunk)


def trace_top_words(model: Model, trace: Trace, targets: np.ndarray) -> np.ndarray:
    """The most likely next word after each target position, as the model predicts it."""
    return model.logits(trace.hidden[-1, targets]).argmax(axis=1)


def _gradient(model: Model, trace: Trace, targets: np.ndarray, window: int) -> np.ndarray:
    out = np.zeros((len(targets), len(trace)), dtype=model.dtype)
    row = 0
    for chunk, start, grads in _embedding_gradients(model, trace, targets, window):
        norms = np.sqrt(np.einsum("nre,nre->nr", grads, grads))  # (n, R)
        for r, t in enumerate(chunk):
            lo = _window_start(int(t), window)
            out[row + r, lo : t + 1] = norms[lo - start : t - start + 1, r]
        row += len(chunk)
    return out


def _integrated_signed(
    model: Model, trace: Trace, targets: np.ndarray, window: int, steps: int
) -> list[tuple[int, np.ndarray]]:
    """Per target t: (first attributed word, signed attributions of words first…t)."""
    words = trace_top_words(model, trace, targets)
    alphas = ((np.arange(steps) + 0.5) / steps).astype(model.dtype)  # midpoint rule
    per_row = steps * len(model.gate_names) * model.hidden_size
    results: list[tuple[int, np.ndarray]] = []
    offset = 0
    for chunk in _row_chunks(targets, window, per_row, max(1, GRADIENT_ROWS // steps)):
        start = _segment_start(_window_start(int(chunk[0]), window))
        stop = int(chunk[-1])
        rows = len(chunk)
        embedded = model.embedding[trace.ids[start : stop + 1]]  # (n, E)
        # scale[j, r·steps + k]: α_k inside row r's window (its words up to t), 1 elsewhere.
        times = np.arange(start, stop + 1)[:, None]
        lows = np.array([_window_start(int(t), window) for t in chunk])
        inside = (times >= lows[None, :]) & (times <= chunk[None, :])  # (n, R)
        scale = np.where(inside[:, :, None], alphas[None, None, :], 1).reshape(len(times), rows * steps)
        x = embedded[:, None, :] * scale[:, :, None].astype(model.dtype)  # (n, R·steps, E)
        runs = _forward_from(model, x, trace, start)
        dh = np.zeros((len(times), rows * steps, model.hidden_size), dtype=model.dtype)
        batch_time = np.repeat(chunk - start, steps)
        batch_word = np.repeat(words[offset : offset + rows], steps)
        columns = np.arange(rows * steps)
        dh[batch_time, columns] = _top_word_cotangent(model, runs[-1].h[batch_time, columns], batch_word)
        grads, _ = stack_backward(model.cell, runs, x, model.layers, dh, nonlinearity=model.nonlinearity)
        mean_grad = grads.reshape(len(times), rows, steps, -1).mean(axis=2)  # (n, R, E)
        attributions = np.einsum("ne,nre->nr", embedded, mean_grad)
        for r, t in enumerate(chunk):
            results.append((int(lows[r]), attributions[lows[r] - start : t - start + 1, r]))
        offset += rows
    return results


def _integrated(model: Model, trace: Trace, targets: np.ndarray, window: int, steps: int) -> np.ndarray:
    out = np.zeros((len(targets), len(trace)), dtype=model.dtype)
    for row, (t, (lo, values)) in enumerate(
        zip(targets, _integrated_signed(model, trace, targets, window, steps), strict=True)
    ):
        out[row, lo : t + 1] = np.abs(values)
    return out


# -- retention ---------------------------------------------------------------------------------------
def _retention(model: Model, trace: Trace, targets: np.ndarray, window: int) -> np.ndarray:
    if model.cell != "lstm":
        raise InputError(
            f"the retention method reads forget gates, which only an LSTM has (this model is a {model.cell})"
        )
    forget = trace.gates["forget"][-1].astype(np.float64)  # (T, H), top layer
    out = np.zeros((len(targets), len(trace)), dtype=model.dtype)
    for row, t in enumerate(targets):
        lo = _window_start(int(t), window)
        # kept[j] = f_{t−j+1} ⊙ ⋯ ⊙ f_t for s = t − j, built backwards from s = t (empty product: 1).
        kept = np.ones((t - lo + 1, forget.shape[1]))
        np.cumprod(forget[t:lo:-1], axis=0, out=kept[1:])
        out[row, lo : t + 1] = kept.mean(axis=1)[::-1]
    return out


def top_links(row: np.ndarray, tokens: Sequence[str], k: int = 3) -> list[tuple[int, str, float]]:
    """The k strongest links of one row as (position, word, share), strongest first; zero links left out."""
    order = np.argsort(-row, kind="stable")[:k]
    return [(int(s), tokens[s], float(row[s])) for s in order if row[s] > 0]
