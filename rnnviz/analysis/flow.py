"""Gradient flow: how much of the state at word t still depends on the state at an earlier word s.

    flow[s] = ‖∂h_t/∂h_s‖_F   (LSTM: c_s held fixed, since the cell path is measured on its own)
    of="cell" (LSTM):  flow[s] = ‖∂c_t/∂c_s‖_F

Computed exactly by the analytic backward pass (grad.py) with an identity cotangent: one backward
sweep of batch H carries every row of the Jacobian at once, and only the current (H, H) block is
kept, never T of them. flow[t] = ‖I‖ = √H. A plain RNN's flow falls off exponentially with the
distance t − s (the vanishing gradient); an LSTM's cell path stays flat where its forget gates
stay open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.cells import LayerRun, LayerWeights, spec_of
from rnnviz.core.grad import layer_backward
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import InputError

FLOW_OF = ("hidden", "cell")


def layer_flow(
    cell: str,
    run: LayerRun,
    weights: LayerWeights,
    position: int,
    *,
    of: str = "hidden",
    nonlinearity: str = "tanh",
    window: int | None = None,
    probes: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Flow norms (position+1,) for one recorded layer run of batch 1 (see the module docstring).

    `window` limits the work to the last `window` earlier words; entries farther back are NaN.
    `probes` (< H) trades exactness for speed, see `probe_cotangent`. The TUI can call this with
    the runs it already holds instead of re-running the model.
    """
    if of not in FLOW_OF:
        raise InputError(f"unknown flow {of!r}: use of='hidden' or of='cell'")
    if of == "cell" and not spec_of(cell).has_cell_state:
        raise InputError(f"of='cell' needs an LSTM, and this model is a {cell}: use of='hidden'")
    steps = run.h.shape[0]
    if not 0 <= position < steps:
        raise InputError(f"position {position} is outside the run of {steps} steps")
    start = 0 if window is None else max(0, position - int(window))
    # Starting mid-sentence is exact for every value we read: the backward step at the first kept
    # word uses the missing earlier state only to go further back, which we never look at.
    piece = _slice_run(run, start, position + 1)
    w_hr = None if weights.w_hr is None else weights.w_hr.astype(np.float64)
    w = LayerWeights(weights.w_ih, weights.w_hh.astype(np.float64), weights.b_ih, weights.b_hh, w_hr)
    seeds = probe_cotangent((run.c if of == "cell" else run.h).shape[2], probes, seed)
    identity = {position - start: seeds}
    norms = np.full(position + 1, np.nan)

    def record(s: int, dh: np.ndarray, dc: np.ndarray | None) -> None:
        norms[start + s] = np.linalg.norm(dc if of == "cell" else dh)

    layer_backward(
        cell,
        piece,
        np.empty((piece.h.shape[0], 1, 0)),  # the layer inputs: unused, no input gradient is asked for
        w,
        None if of == "cell" else identity,
        dc=identity if of == "cell" else None,
        batch=seeds.shape[0],
        nonlinearity=nonlinearity,
        need_inputs=False,
        on_step=record,
    )
    return norms


def probe_cotangent(hidden: int, probes: int | None = None, seed: int = 0) -> np.ndarray:
    """The cotangent rows sent backwards: the identity (exact), or `probes` random orthonormal rows
    scaled by √(H/probes). For Haar-random Q, E[QᵀQ] = (probes/H)·I, so ‖QJ‖²·H/probes is an
    unbiased estimate of ‖J‖²_F at probes/H of the cost, and still exactly √H at the position."""
    if probes is None or probes >= hidden:
        return np.eye(hidden)
    if probes < 1:
        raise InputError(f"probes={probes}: give at least 1 (or None for the exact flow)")
    gaussian = np.random.default_rng(seed).standard_normal((hidden, probes))
    q, r = np.linalg.qr(gaussian)
    q *= np.sign(np.diag(r))  # makes the orthonormal columns Haar-distributed
    return q.T * np.sqrt(hidden / probes)


def _slice_run(run: LayerRun, start: int, stop: int) -> LayerRun:
    """Steps start..stop−1 of a batch-1 run, in float64 so long collapses do not underflow early."""
    if run.h.shape[1] != 1:
        raise InputError(f"gradient flow needs a run of one sentence, got a batch of {run.h.shape[1]}")

    def part(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[start:stop].astype(np.float64)

    return LayerRun(h=part(run.h), c=part(run.c), acts=part(run.acts), hn=part(run.hn))


def _check_position(trace: Trace, position: int) -> int:
    steps = len(trace)
    if isinstance(position, bool) or not isinstance(position, (int, np.integer)):
        raise InputError(f"position must be a word index, got {position!r}")
    if not -steps <= position < steps:
        raise InputError(f"position {position} is out of range: the sentence has {steps} words")
    return int(position) % steps


def _check_layer(model: Model, layer: int) -> int:
    if not -model.num_layers <= layer < model.num_layers:
        raise InputError(f"layer {layer} is out of range: this model has {model.num_layers} layer(s)")
    return layer % model.num_layers


def gradient_flow(
    model: Model,
    trace: Trace,
    position: int,
    of: str = "hidden",
    layer: int = -1,
    window: int | None = None,
    probes: int | None = None,
    direction: str = "forward",
) -> np.ndarray:
    """(position+1,) array: entry s = ‖∂h_position/∂h_s‖_F in `layer` (default: the top one).

    LSTM: c_s is held fixed; of="cell" gives ‖∂c_position/∂c_s‖_F instead (LSTM only).
    A bidirectional model: the flow follows the forward direction's recurrence (its H_out units of
    h, the first half of trace.hidden); `direction` names that, and "forward" is the only one.
    Entry `position` is ‖I‖ = √H. Negative positions count from the end. The model re-runs the
    trace's words up to `position` (the backward pass needs its recorded gates).

    Cost: one backward sweep with an (H, H) cotangent, about G·H³ multiply-adds per word (G = 4
    LSTM, 3 GRU, 1 RNN): at H = 1024 about 0.1–0.5 s a word on a busy 2-core machine. `window` stops after
    that many words back (farther entries NaN); `probes=k` estimates the norms from k random
    directions instead of H (exact at the position, a few percent off elsewhere for k ≈ 64).
    """
    if trace.cell != model.cell or trace.hidden_size != model.state_size:
        raise InputError(
            f"this trace comes from a different model ({trace.cell}, hidden {trace.hidden_size}) than "
            f"the one given ({model.cell}, hidden {model.state_size}): run the sentence with this model"
        )
    if direction != "forward":
        raise InputError(
            f"unknown flow direction {direction!r}: the flow follows the forward direction (use 'forward')"
        )
    position = _check_position(trace, position)
    layer = _check_layer(model, layer)
    if of == "cell" and not model.spec.has_cell_state:
        raise InputError(f"of='cell' needs an LSTM, and this model is a {model.cell}: use of='hidden'")
    # A bidirectional layer above the first reads the backward direction below, which has read the
    # words after `position` too: run the whole sentence then (the forward runs are what we follow).
    ids = trace.ids if model.bidirectional else trace.ids[: position + 1]
    runs = model.forward(np.asarray(ids)[:, None])
    return layer_flow(
        model.cell,
        runs[layer],
        model.layers[layer],
        position,
        of=of,
        nonlinearity=model.nonlinearity,
        window=window,
        probes=probes,
    )


@dataclass
class FlowCurve:
    """One model's flow at one word, indexed by distance d = position − s (d = 0 is the word itself)."""

    label: str
    norms: np.ndarray  # (position+1,) indexed by s, as gradient_flow returns it
    tokens: list[str] = field(default_factory=list)
    cell: str | None = None  # the model's cell, when known; None draws the neutral colour
    of: str = "hidden"

    @property
    def position(self) -> int:
        return self.norms.shape[0] - 1

    @property
    def distances(self) -> np.ndarray:
        return np.arange(self.norms.shape[0])

    @property
    def by_distance(self) -> np.ndarray:
        return self.norms[::-1]

    @property
    def log10_norms(self) -> np.ndarray:
        """log10 of the norm at each distance; −inf where no gradient arrives, NaN where not computed."""
        with np.errstate(divide="ignore"):
            return np.log10(self.by_distance)

    def at(self, distance: int) -> float:
        """The norm at a distance (NaN beyond the sentence's start)."""
        if not 0 <= distance <= self.position:
            return float("nan")
        return float(self.by_distance[distance])

    def decades_per_word(self) -> float:
        """Least-squares slope of log10 norm against distance (negative: the flow fades).

        NaN when fewer than two distances have a finite, nonzero norm.
        """
        logs = self.log10_norms
        keep = np.isfinite(logs)
        if keep.sum() < 2:
            return float("nan")
        slope, _ = np.polyfit(self.distances[keep], logs[keep], 1)
        return float(slope)


def flow_curve(
    model: Model,
    trace: Trace,
    position: int = -1,
    of: str = "hidden",
    layer: int = -1,
    label: str | None = None,
    window: int | None = None,
    probes: int | None = None,
) -> FlowCurve:
    """gradient_flow as a curve against distance, with the log10 norms a log-scale plot draws."""
    norms = gradient_flow(model, trace, position, of=of, layer=layer, window=window, probes=probes)
    name = label or (f"{model.cell_name} {'c' if of == 'cell' else 'h'}")
    return FlowCurve(
        label=name, norms=norms, tokens=list(trace.tokens[: norms.shape[0]]), cell=model.cell, of=of
    )


def compare_flow(
    models: Mapping[str, Model] | Sequence[Model],
    text: str | Sequence[str],
    position: int = -1,
    layer: int = -1,
    cell_path: bool = True,
    window: int | None = None,
    probes: int | None = None,
) -> list[FlowCurve]:
    """Each model's flow on the same sentence, one curve per model (an LSTM adds its cell path).

    `models` maps labels to models, or is a list (labelled by cell type).
    """
    named: Iterable[tuple[str, Model]] = (
        models.items() if isinstance(models, Mapping) else ((m.cell_name, m) for m in models)
    )
    curves = []
    for name, model in named:
        trace = model.run(text, decode=False)
        paths = ("hidden", "cell") if cell_path and model.spec.has_cell_state else ("hidden",)
        for of in paths:
            label = f"{name} {'c' if of == 'cell' else 'h'}"
            curves.append(flow_curve(model, trace, position, of, layer, label, window, probes))
    return curves
