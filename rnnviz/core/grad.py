"""Backpropagation through time over whole layers; each cell's own loop sits beside its forward loop.

The backward pass reads what the forward pass recorded (LayerRun) and takes a cotangent for the
hidden state at some time steps. The cotangent's batch may differ from the recorded run's batch
when the run has batch 1: the recorded activations broadcast, so one sentence can carry many
cotangents at once (one per target row of a link map, one per unit of a Jacobian).

The equations of each cell's step, and its backward loop over a whole run (`CellSpec.backward`), are
in its module (rnnviz/core/cells/lstm.py, gru.py, rnn.py); this module adds what all cells share: the
shifted states h_{t−1}, c_{t−1}, the input gradient and the parameter gradients as whole-run GEMMs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import LayerRun, LayerWeights, StackRun, spec_of
from rnnviz.core.cells.base import Cotangent, StepHook

__all__ = [
    "Cotangent",
    "LayerGrads",
    "StepHook",
    "bidirectional_backward",
    "layer_backward",
    "stack_backward",
]


@dataclass
class LayerGrads:
    dx: np.ndarray | None  # (T, B, In): gradient w.r.t. the layer's inputs
    params: LayerWeights | None  # gradients of w_ih, w_hh, b_ih, b_hh (and w_hr with a projection)
    dh0: np.ndarray  # (B, H): gradient w.r.t. the initial hidden state
    dc0: np.ndarray | None  # (B, H), LSTM only (H: the cell state's units, also with a projection)


def _previous(states: np.ndarray, initial: np.ndarray | None) -> np.ndarray:
    """states shifted one step later: (s_init, s_0, …, s_{T−2})."""
    out = np.empty_like(states)
    out[0] = 0 if initial is None else initial
    out[1:] = states[:-1]
    return out


def layer_backward(
    cell: str,
    run: LayerRun,
    x: np.ndarray,
    w: LayerWeights,
    dh: Cotangent | None,
    *,
    batch: int | None = None,
    dc: Cotangent | None = None,
    nonlinearity: str = "tanh",
    need_inputs: bool = True,
    need_params: bool = False,
    on_step: StepHook | None = None,
) -> LayerGrads:
    """Gradients of a layer given cotangents dh (for h_t, (T, B, H) or {t: (B, H)}) and, for an LSTM, dc.
    (With an LSTM projection h has P units: dh is (T, B, P), dc stays (T, B, H).)

    `batch` is the cotangent batch B when dh is a mapping (default: the run's batch).
    """
    steps, run_batch, _ = run.h.shape
    if isinstance(dh, np.ndarray):
        batch = dh.shape[1]
    batch = batch or run_batch
    if need_params and batch != run_batch:
        raise ValueError("parameter gradients need one cotangent per recorded sequence")
    # h_{−1}, c_{−1}: zero, or the state the run was started from (a chunk of a stream)
    h_prev_all = _previous(run.h, run.h0)
    c_prev_all = None if run.c is None else _previous(run.c, run.c0)
    keep = need_inputs or need_params
    # δW_hr = Σ_t δh_t m_tᵀ needs every step's whole δh_t (the external part plus the recurrent one)
    need_dh = need_params and w.w_hr is not None
    back = spec_of(cell).backward(
        run, h_prev_all, c_prev_all, dh, dc, batch, w, keep, need_dh, nonlinearity, on_step
    )
    da_x, da_h, dh_all = back.da_x, back.da_h, back.dh
    dx = None
    if need_inputs:
        dx = (da_x.reshape(steps * batch, -1) @ w.w_ih).reshape(steps, batch, -1)
    params = None
    if need_params:
        flat_x = x.reshape(steps * batch, -1)
        flat_ax = da_x.reshape(steps * batch, -1)
        flat_ah = da_h.reshape(steps * batch, -1)
        d_w_hr = None
        if w.w_hr is not None:
            output_gate = run.acts[..., 3 * w.hidden_size :]
            m = (output_gate * np.tanh(run.c)).reshape(steps * batch, -1)  # m_t = o ⊙ tanh(c_t)
            d_w_hr = dh_all.reshape(steps * batch, -1).T @ m
        params = LayerWeights(
            w_ih=flat_ax.T @ flat_x,
            w_hh=flat_ah.T @ h_prev_all.reshape(steps * batch, -1),
            b_ih=flat_ax.sum(axis=0),
            b_hh=flat_ah.sum(axis=0),
            w_hr=d_w_hr,
        )
    return LayerGrads(dx=dx, params=params, dh0=back.dh0, dc0=back.dc0)


def stack_backward(
    cell: str,
    runs: list[LayerRun],
    x: np.ndarray,
    layers: list[LayerWeights],
    dh_top: Cotangent,
    *,
    batch: int | None = None,
    nonlinearity: str = "tanh",
    need_params: bool = False,
) -> tuple[np.ndarray, list[LayerWeights] | None]:
    """Backward through stacked layers: gradient w.r.t. the first layer's inputs, and parameter grads.

    x is the first layer's input (T, B, E); dh_top the cotangent of the top layer's hidden states.
    """
    cotangent: Cotangent = dh_top
    grads: list[LayerWeights] = []
    for k in range(len(layers) - 1, -1, -1):
        layer_input = x if k == 0 else runs[k - 1].h
        result = layer_backward(
            cell,
            runs[k],
            layer_input,
            layers[k],
            cotangent,
            batch=batch,
            nonlinearity=nonlinearity,
            need_inputs=True,
            need_params=need_params,
        )
        if result.params is not None:
            grads.append(result.params)
        cotangent = result.dx
        batch = None
    grads.reverse()
    return cotangent, (grads if need_params else None)


def bidirectional_backward(
    cell: str,
    stack: StackRun,
    x: np.ndarray,
    layers: list[LayerWeights],
    reverse_layers: list[LayerWeights],
    dh_top: np.ndarray,
    *,
    nonlinearity: str = "tanh",
) -> np.ndarray:
    """Gradient w.r.t. the first layer's inputs x (T, B, E) of a bidirectional stack (run_bidirectional),
    for a cotangent dh_top (T, B', D·H_out) of the top layer's states ([forward, backward] units).

    Each layer splits the cotangent of its output into its two directions; the backward direction
    runs over reversed time, so its cotangent and its input gradient are reversed around its sweep;
    the layer's input gradient is the sum of both directions'."""
    output = layers[0].output_size
    cotangent = dh_top
    for k in range(len(layers) - 1, -1, -1):
        layer_input = x if k == 0 else stack.h[k - 1]
        forward = layer_backward(
            cell, stack.runs[k], layer_input, layers[k], cotangent[..., :output], nonlinearity=nonlinearity
        )
        backward = layer_backward(
            cell,
            stack.reverse_runs[k],
            layer_input[::-1],
            reverse_layers[k],
            cotangent[::-1, :, output:],
            nonlinearity=nonlinearity,
        )
        cotangent = forward.dx + backward.dx[::-1]
    return cotangent
