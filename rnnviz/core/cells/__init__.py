"""The recurrent cells, one module each, and the registry everything else reads.

A cell module holds its equations (docstring), a slow `reference_step` written one equation a line,
the fast `steps` loop and its `backward_step` side by side, and a `SPEC` (`base.CellSpec`: gate names,
which are σ, whether it has a cell state, how the recurrent bias enters, the names files use).
Gate counts, cell aliases, `--cell` choices, error-message lists and the PyTorch/Keras name maps are
derived from `CELLS`; adding a cell is one module here plus its tests.

Why the fast loops look the way they do (each step is one small GEMV plus about ten ufunc calls):
- σ(a) = ½·tanh(a/2) + ½: the σ gates' rows of W_ih, W_hh and the bias are pre-scaled by ½ (exact in
  floating point), so one tanh serves every gate of a step and ½·(·) + ½ is a single affine pass.
- The recurrent product is h_{t−1} @ W_hhᵀ with W_hh kept row-major (a transposed view): BLAS then runs
  its dot-product GEMV over contiguous rows, faster than with a contiguous W_hhᵀ copy.
- Every step writes into preallocated buffers and per-step views come from iterating over prebuilt
  views, not indexing: a step allocates nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.cells import gru, lstm, rnn
from rnnviz.core.cells.base import CellSpec, LayerRun, LayerWeights, split_gates
from rnnviz.errors import InputError

CELLS: dict[str, CellSpec] = {spec.name: spec for spec in (rnn.SPEC, lstm.SPEC, gru.SPEC)}

# Every accepted spelling → (cell, nonlinearity): the family names and the names files store.
CELL_ALIASES: dict[str, tuple[str, str]] = {}
for _spec in CELLS.values():
    CELL_ALIASES[_spec.name] = (_spec.name, _spec.nonlinearities[0])
    CELL_ALIASES.update({stored: (_spec.name, act) for stored, act in _spec.file_names.items()})
STORED_NAMES: tuple[str, ...] = tuple(n for s in CELLS.values() for n in s.file_names)  # rnn_tanh, …
GATE_NAMES: dict[str, tuple[str, ...]] = {name: spec.gates for name, spec in CELLS.items()}
GATE_COUNT: dict[str, int] = {name: spec.gate_count for name, spec in CELLS.items()}
SIGMOID_GATES: frozenset[str] = frozenset().union(*(spec.sigmoid_gates for spec in CELLS.values()))

__all__ = [
    "CELLS",
    "CELL_ALIASES",
    "GATE_COUNT",
    "GATE_NAMES",
    "SIGMOID_GATES",
    "STORED_NAMES",
    "CellSpec",
    "LayerRun",
    "LayerWeights",
    "StackRun",
    "cells_with_gate_count",
    "project_inputs",
    "reference_run",
    "run_bidirectional",
    "run_layer",
    "run_projected",
    "run_stack",
    "spec_of",
]


def spec_of(cell: str) -> CellSpec:
    """The spec of a cell family ("rnn", "lstm", "gru") or of any stored name ("rnn_relu")."""
    found = CELL_ALIASES.get(cell.lower()) if isinstance(cell, str) else None
    if found is None:
        raise InputError(f"unknown cell type {cell!r}: use one of {', '.join(STORED_NAMES)}")
    return CELLS[found[0]]


def cells_with_gate_count(count: int) -> tuple[str, ...]:
    """The stored names of the cells whose weights have `count` gate blocks (shape hints, inference)."""
    return tuple(n for spec in CELLS.values() if spec.gate_count == count for n in spec.file_names)


def project_inputs(cell: str, x: np.ndarray, w: LayerWeights, out: np.ndarray | None = None) -> np.ndarray:
    """Every step's input term in one matrix product: x (T, B, In) → (T, B, G·H), in the form
    `run_projected` expects (biases folded in, σ gates pre-scaled by ½). Rows of the result depend only
    on the matching rows of x, so projections of different inputs can be mixed row by row.
    `out`: a C-contiguous (T, B, G·H) array of x's dtype to write into instead of a new one."""
    spec = spec_of(cell)
    bias = spec.folded_bias(w)
    scale = spec.sigmoid_scale(w.hidden_size, x.dtype)
    w_ih = w.w_ih if scale is None else w.w_ih * scale[:, None]
    if scale is not None:
        bias = bias * scale
    steps, batch, size = x.shape
    flat = None if out is None else out.reshape(steps * batch, -1)  # a view: out is contiguous
    flat = np.matmul(x.reshape(steps * batch, size), w_ih.astype(x.dtype, copy=False).T, out=flat)
    flat += bias.astype(x.dtype, copy=False)
    return flat.reshape(steps, batch, -1)


def run_projected(
    cell: str,
    projected: np.ndarray,
    w: LayerWeights,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    nonlinearity: str = "tanh",
    h_out: np.ndarray | None = None,
    c_out: np.ndarray | None = None,
) -> LayerRun:
    """The recurrent loop over inputs already projected by `project_inputs` (T, B, G·H); `projected`
    is overwritten: it becomes the run's `acts`. h_out (T, B, w.output_size) (and c_out, LSTM,
    (T, B, H)): where to write the states instead of new arrays."""
    spec = spec_of(cell)
    steps, batch, _ = projected.shape
    h = np.empty((steps, batch, w.output_size), projected.dtype) if h_out is None else h_out
    run = spec.steps(projected, w, h0, c0, h, c_out, nonlinearity)
    run.h0, run.c0 = h0, (c0 if spec.has_cell_state else None)
    return run


def run_layer(
    cell: str,
    x: np.ndarray,
    w: LayerWeights,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    nonlinearity: str = "tanh",
) -> LayerRun:
    """Run one layer of `cell` ("rnn", "lstm", "gru") over x (T, B, In)."""
    return run_projected(cell, project_inputs(cell, x, w), w, h0, c0, nonlinearity)


@dataclass
class StackRun:
    """A run of stacked layers whose results share (L, T, B, ·) arrays; runs[k] holds views of layer k.

    Bidirectional: h and c hold [forward, backward] units at each position (PyTorch's layout), and
    reverse_runs[k] is layer k's backward direction in its own time order (its step j read word T−1−j)."""

    runs: list[LayerRun]
    h: np.ndarray  # (L, T, B, D·H_out): H_out = H, or P with an LSTM projection
    c: np.ndarray | None  # (L, T, B, D·H), cells with a cell state only
    acts: np.ndarray  # (L, T, B, G·H), the forward direction
    reverse_runs: list[LayerRun] = field(default_factory=list)
    reverse_acts: np.ndarray | None = None  # (L, T, B, G·H) in the backward direction's time order

    def gates(self, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        """name → (L, T, B, D·H): each gate of every layer, [forward, backward] units when bidirectional."""
        forward = split_gates(self.acts, names)
        if self.reverse_acts is None:
            return forward
        backward = split_gates(self.reverse_acts[:, ::-1], names)
        return {name: np.concatenate([forward[name], backward[name]], axis=-1) for name in names}


def run_stack(cell: str, x: np.ndarray, layers: list[LayerWeights], nonlinearity: str = "tanh") -> StackRun:
    """Run stacked layers over x (T, B, In), every layer writing into arrays shared by the stack.

    One allocation per kind of result instead of one per layer plus a copy to stack them: fresh pages
    cost a page fault each, and arrays of 4 MB or more get transparent huge pages from NumPy.
    """
    spec = spec_of(cell)
    steps, batch, _ = x.shape
    hidden, output = layers[0].hidden_size, layers[0].output_size
    shape = (len(layers), steps, batch)
    acts = np.empty((*shape, spec.gate_count * hidden), dtype=x.dtype)
    h = np.empty((*shape, output), dtype=x.dtype)
    c = np.empty((*shape, hidden), dtype=x.dtype) if spec.has_cell_state else None
    runs: list[LayerRun] = []
    for k, w in enumerate(layers):
        project_inputs(cell, x, w, out=acts[k])
        c_out = None if c is None else c[k]
        runs.append(run_projected(cell, acts[k], w, nonlinearity=nonlinearity, h_out=h[k], c_out=c_out))
        x = h[k]
    return StackRun(runs=runs, h=h, c=c, acts=acts)


def run_bidirectional(
    cell: str,
    x: np.ndarray,
    layers: list[LayerWeights],
    reverse_layers: list[LayerWeights],
    nonlinearity: str = "tanh",
) -> StackRun:
    """Bidirectional stacked layers over x (T, B, In), as nn.LSTM/GRU/RNN(bidirectional=True) run them.

    Layer k's backward direction runs over its inputs reversed in time, so its state at position t
    has read positions T−1…t; layer k + 1 (and the decoder) reads [forward h_t, backward h_t]."""
    spec = spec_of(cell)
    steps, batch, _ = x.shape
    hidden, output = layers[0].hidden_size, layers[0].output_size
    shape = (len(layers), steps, batch)
    acts = np.empty((*shape, spec.gate_count * hidden), dtype=x.dtype)
    reverse_acts = np.empty_like(acts)
    h = np.empty((*shape, 2 * output), dtype=x.dtype)
    c = np.empty((*shape, 2 * hidden), dtype=x.dtype) if spec.has_cell_state else None
    runs: list[LayerRun] = []
    reverse_runs: list[LayerRun] = []
    for k, (w, w_reverse) in enumerate(zip(layers, reverse_layers, strict=True)):
        project_inputs(cell, x, w, out=acts[k])
        project_inputs(cell, x[::-1], w_reverse, out=reverse_acts[k])
        # The states are written straight into their half of h (and c); the backward half through a
        # time-reversed view, so its run records its own time order and h reads in sentence order.
        forward_c = None if c is None else c[k, :, :, :hidden]
        reverse_c = None if c is None else c[k, ::-1, :, hidden:]
        forward_h, reverse_h = h[k, :, :, :output], h[k, ::-1, :, output:]
        runs.append(run_projected(cell, acts[k], w, None, None, nonlinearity, forward_h, forward_c))
        reverse_runs.append(
            run_projected(cell, reverse_acts[k], w_reverse, None, None, nonlinearity, reverse_h, reverse_c)
        )
        x = h[k]
    return StackRun(runs=runs, h=h, c=c, acts=acts, reverse_runs=reverse_runs, reverse_acts=reverse_acts)


def reference_run(
    cell: str,
    x: np.ndarray,
    w: LayerWeights,
    nonlinearity: str = "tanh",
    after_step: Callable[[int, dict[str, np.ndarray]], None] | None = None,
) -> dict[str, np.ndarray]:
    """One layer over x (T, In), one `reference_step` at a time (float64, no batch): h, c (if any) and
    every gate, stacked to (T, ·). The slow definition the fast loops and their users are tested against.
    `after_step(t, step)` may change step["h"] (and step["c"]) in place before the next step reads them."""
    spec = spec_of(cell)
    reference = spec.reference_step
    h, c = np.zeros(w.output_size), np.zeros(w.hidden_size) if spec.has_cell_state else None
    out: dict[str, list[np.ndarray]] = {}
    for t, x_t in enumerate(x):
        step = reference(x_t, h, c, w, nonlinearity)
        if after_step is not None:
            after_step(t, step)
        h, c = step["h"], step.get("c")
        for name, value in step.items():
            out.setdefault(name, []).append(value)
    return {name: np.stack(values) for name, values in out.items()}
