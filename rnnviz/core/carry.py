"""Running a model from a state it already holds: chunks of a stream, and text generated a token at a time.

A `State` is one (h, c) pair per layer, each (B, H); c is None for cells without a cell state. A run
started from a state records it (`LayerRun.h0`, `.c0`), so the backward pass of that run uses it as
h_{−1} and c_{−1} and returns the gradient reaching it, which callers drop: truncated BPTT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import LayerRun, project_inputs, run_projected
from rnnviz.core.model import Model, softmax
from rnnviz.errors import InputError


@dataclass
class LayerState:
    h: np.ndarray  # (B, H)
    c: np.ndarray | None  # (B, H), LSTM only


State = list[LayerState]


def zero_state(model: Model, batch: int) -> State:
    """The state every sentence starts from: zeros in every layer (h of the layer's output size, c of
    its hidden size: they differ in an LSTM with a projection)."""
    has_c = model.spec.has_cell_state
    return [
        LayerState(
            np.zeros((batch, w.output_size), model.dtype),
            np.zeros((batch, w.hidden_size), model.dtype) if has_c else None,
        )
        for w in model.layers
    ]


def run_carried(model: Model, inputs: np.ndarray, state: State) -> tuple[list[LayerRun], State]:
    """Run the stacked layers over ids (T, B) starting from `state`; the runs, and the state after the
    last step (copies: nothing later writes into the runs through it)."""
    if model.bidirectional:
        raise InputError(
            "a bidirectional model reads the whole text at once (its backward direction starts at the "
            "end): it cannot continue a stream or generate text; use a unidirectional model"
        )
    x = model.embedding[inputs]
    runs: list[LayerRun] = []
    for w, start in zip(model.layers, state, strict=True):
        run = run_projected(
            model.cell,
            project_inputs(model.cell, x, w),
            w,
            h0=start.h,
            c0=start.c,
            nonlinearity=model.nonlinearity,
        )
        runs.append(run)
        x = run.h
    after = [LayerState(run.h[-1].copy(), None if run.c is None else run.c[-1].copy()) for run in runs]
    return runs, after


def next_distribution(model: Model, runs: list[LayerRun]) -> np.ndarray:
    """The next-token distribution after the last step of each sequence: (B, V)."""
    return softmax(model.logits(runs[-1].h[-1]))
