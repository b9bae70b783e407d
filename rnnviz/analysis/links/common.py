"""What the links methods share: argument checks, windows, running from a recorded state, the top
next word's cotangent, batching of backward sweeps, total variation, and the cost of one word."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import LayerRun, StackRun, run_layer, run_projected
from rnnviz.core.grad import bidirectional_backward, stack_backward
from rnnviz.core.model import Model, softmax
from rnnviz.core.trace import Trace
from rnnviz.errors import InputError

DEFAULT_WINDOW = 256
DEFAULT_STEPS = 20
DECODE_BUDGET = 4_000_000  # logits held at once while measuring total variation (elements)
PRECISION_FLOOR = 8  # pairs whose TV is provably below this many ulp(1) are not decoded
BACKWARD_BUDGET = 8_000_000  # gate gradients held at once in a batched backward sweep (elements)
GRADIENT_ROWS = 48  # target rows (× α steps for integrated gradients) per backward sweep


# -- arguments ---------------------------------------------------------------------------------------
def target_positions(rows: Iterable[int] | None, length: int) -> np.ndarray:
    """Word positions (negative counts from the end) as indices 0..length−1; None means all."""
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


def check_arguments(model: Model, trace: Trace, window: int, steps: int = DEFAULT_STEPS) -> None:
    check_trace(model, trace)
    if not _whole(window) or window < 1:
        raise InputError(f"window is {window!r}: give a whole number of words, at least 1")
    if not _whole(steps) or steps < 1:
        raise InputError(f"steps is {steps!r}: give a whole number of α points, at least 1")


def check_trace(model: Model, trace: Trace) -> None:
    expected = (model.num_layers, len(trace), model.state_size)
    if trace.hidden.shape != expected or len(trace.ids) != len(trace):
        raise InputError(
            f"this trace ({trace.hidden.shape[0]} layer(s) × {trace.hidden.shape[2]} units) was not made "
            f"by this model ({model.num_layers} × {model.state_size}): run model.run(text) first"
        )


# -- windows and forward passes ----------------------------------------------------------------------
def window_start(t: int, window: int) -> int:
    """The first word row t looks at."""
    return max(0, t - window + 1)


def link_span(model: Model, t: int, window: int, length: int) -> tuple[int, int]:
    """The first and last word row t looks at: t − window < s ≤ t, or, for a bidirectional model,
    whose output at t has also read the words after t, |s − t| < window."""
    last = min(length - 1, t + window - 1) if model.bidirectional else t
    return window_start(t, window), last


def _initial_state(model: Model, trace: Trace, k: int, start: int) -> tuple[np.ndarray | None, ...]:
    """Layer k's recorded (h, c) before the word at `start`, as batches of one (None at the start)."""
    if start == 0:
        return None, None
    c0 = trace.cell_state[k, start - 1][None] if trace.cell_state is not None else None
    return trace.hidden[k, start - 1][None], c0


def forward_from(model: Model, x: np.ndarray, trace: Trace, start: int) -> list[LayerRun]:
    """Run the stacked layers over x (n, B, E), the inputs at times start…, from the recorded state."""
    runs = []
    for k, layer in enumerate(model.layers):
        h0, c0 = _initial_state(model, trace, k, start)
        run = run_layer(model.cell, x, layer, h0=h0, c0=c0, nonlinearity=model.nonlinearity)
        runs.append(run)
        x = run.h
    return runs


def forward_projected(model: Model, projected: np.ndarray, trace: Trace, start: int) -> list[LayerRun]:
    """forward_from with the first layer's inputs already projected (cells.project_inputs)."""
    runs: list[LayerRun] = []
    for k, layer in enumerate(model.layers):
        h0, c0 = _initial_state(model, trace, k, start)
        if k == 0:
            run = run_projected(model.cell, projected, layer, h0, c0, model.nonlinearity)
        else:
            run = run_layer(model.cell, runs[-1].h, layer, h0=h0, c0=c0, nonlinearity=model.nonlinearity)
        runs.append(run)
    return runs


# -- gradients of the top next word ------------------------------------------------------------------
def segments(
    model: Model, trace: Trace, targets: np.ndarray, window: int, per_row: int, max_rows: int
) -> list[tuple[np.ndarray, int, int]]:
    """(targets, first word run, last word run) of each backward sweep.

    A bidirectional model's state at any word has read the whole sentence (its backward direction
    starts at the end), so each of its sweeps runs the whole sentence, for fewer rows at a time."""
    if not model.bidirectional:
        chunks = row_chunks(targets, window, per_row, max_rows)
        return [(c, segment_start(window_start(int(c[0]), window)), int(c[-1])) for c in chunks]
    length = len(trace)
    rows = max(1, min(max_rows, BACKWARD_BUDGET // max(1, length * per_row)))
    return [(targets[k : k + rows], 0, length - 1) for k in range(0, len(targets), rows)]


def run_segment(model: Model, x: np.ndarray, trace: Trace, start: int) -> tuple[np.ndarray, object]:
    """The top layer's states (n, B, D·H_out) over x (n, B, E), the words from `start` on, and what
    `backward_segment` needs; a bidirectional model runs from the sentence's start (start = 0)."""
    if model.bidirectional:
        stack = model.run_stack_of(x)
        return stack.h[-1], stack
    runs = forward_from(model, x, trace, start)
    return runs[-1].h, runs


def backward_segment(model: Model, recorded: object, x: np.ndarray, dh: np.ndarray) -> np.ndarray:
    """∂/∂x (n, B', E) of Σ <dh, top states> for a `run_segment` result; dh (n, B', D·H_out)."""
    if isinstance(recorded, StackRun):
        return bidirectional_backward(
            model.cell, recorded, x, model.layers, model.reverse_layers, dh, nonlinearity=model.nonlinearity
        )
    grads, _ = stack_backward(model.cell, recorded, x, model.layers, dh, nonlinearity=model.nonlinearity)
    return grads


def trace_top_words(model: Model, trace: Trace, targets: np.ndarray) -> np.ndarray:
    """The most likely next word after each target position, as the model predicts it."""
    return model.logits(trace.hidden[-1, targets]).argmax(axis=1)


def top_word_cotangent(model: Model, h_top: np.ndarray, words: np.ndarray) -> np.ndarray:
    """∂ log p(word | h)/∂h = W[word] − Σ_v p_v W[v], for states (N, H) and words (N,)."""
    probs = softmax(model.logits(h_top))
    return model.decoder_weight[words] - probs @ model.decoder_weight


def segment_start(lo: int) -> int:
    """Where a segment whose first attributed word is `lo` starts running.

    grad.py's backward pass takes the state before its first step to be zero. Starting one word early
    (from the recorded state) leaves that wrong state to a step whose input gradient is thrown away;
    every step after it reads the true recorded states, so the kept gradients are exact.
    """
    return lo - 1 if lo > 0 else 0


def row_chunks(targets: np.ndarray, window: int, per_row: int, max_rows: int) -> list[np.ndarray]:
    """Sorted targets grouped so that (segment length × rows × per_row) stays within BACKWARD_BUDGET.

    A sweep runs back from its latest target, so an earlier row idles through the steps after its own
    target: at most max_rows rows a sweep, spanning less than a window, bound that waste.
    """
    chunks: list[np.ndarray] = []
    first = 0
    for k in range(1, len(targets) + 1):
        if k < len(targets):
            start = segment_start(window_start(int(targets[first]), window))
            cost = (int(targets[k]) - start + 1) * (k - first + 1) * per_row
            near = int(targets[k]) - int(targets[first]) < window  # never run the gap between far rows
            if cost <= BACKWARD_BUDGET and k - first < max_rows and near:
                continue
        chunks.append(targets[first:k])
        first = k
    return chunks


# -- total variation ---------------------------------------------------------------------------------
@dataclass
class TotalVariation:
    """Total-variation distance ½·Σ_v |p_v − q_v| from the real next-word distribution p at each
    target, in batches.

    With r_v = q_v·Z / p_v = exp(Δl_v), Δl = W (h' − h) the change of the logits (the bias cancels)
    and Z = Σ_v p_v r_v, the distance is TV = 1 − Σ_v min(p_v, q_v) = 1 − Σ_v p_v min(r_v, Z) / Z:
    one exp pass over the (M, V) logits and two matrix–vector products against p, instead of
    a softmax and an elementwise |p − q|. In float32 a distance is good to about 1e-6 (absolute) at
    V = 10,000: the sums over the vocabulary round.

    Decoding is the cost (M·H·V multiply-adds), and most perturbed states of a model that forgets end
    up differing from the real one by rounding noise only. Since |Δl_v| ≤ ‖W_v‖·‖h' − h‖ = δ bounds
    every ratio q_v/p_v within e^{±2δ}, TV ≤ 1 − e^{−2δ} ≤ 2δ: a pair whose bound is below
    PRECISION_FLOOR units in the last place (less than the rounding error of computing it) is not
    decoded and counts 0.
    """

    probs: np.ndarray  # (R, V): real next-word distribution at each target
    states: np.ndarray  # (R, H): real top-layer state at each target
    floor: float  # state distance below which a pair's TV is provably under the precision floor

    @classmethod
    def build(cls, model: Model, trace: Trace, targets: np.ndarray) -> TotalVariation:
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
        if unsafe.any():  # a perturbation moved some logit by ~80 nats: redo those rows the stable way
            q = softmax(model.logits(states[unsafe]))
            out[unsafe] = 0.5 * np.abs(q - self.probs[row[unsafe]]).sum(axis=1)
        np.clip(out, 0, 1, out=out)
        return out


# -- cost models -------------------------------------------------------------------------------------
def word_cost(model: Model) -> float:
    """Multiply-adds of one word through every layer (batch 1): G·H·(H + input size) per layer."""
    hidden, gates = model.hidden_size, len(model.gate_names)
    inputs = model.embedding_size + hidden * (model.num_layers - 1)
    return gates * hidden * (hidden * model.num_layers + inputs)


def decode_cost(model: Model) -> float:
    """Multiply-adds of one next-word distribution (D·H_out·V)."""
    return len(model.vocab) * model.state_size
