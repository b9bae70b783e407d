"""Backpropagation through time over whole layers; each cell's own step sits beside its forward loop.

The backward pass reads what the forward pass recorded (LayerRun) and takes a cotangent for the
hidden state at some time steps. The cotangent's batch may differ from the recorded run's batch
when the run has batch 1: the recorded activations broadcast, so one sentence can carry many
cotangents at once (one per target row of a link map, one per unit of a Jacobian).

The equations of each cell's step are in its module (rnnviz/core/cells/lstm.py, gru.py, rnn.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import LayerRun, LayerWeights, StackRun, spec_of

# Called at every step s (latest first) with the gradient reaching h_s, and c_s for an LSTM.
StepHook = Callable[[int, np.ndarray, "np.ndarray | None"], None]
Cotangent = np.ndarray | Mapping[int, np.ndarray]


@dataclass
class LayerGrads:
    dx: np.ndarray | None  # (T, B, In): gradient w.r.t. the layer's inputs
    params: LayerWeights | None  # gradients of w_ih, w_hh, b_ih, b_hh (and w_hr with a projection)
    dh0: np.ndarray  # (B, H): gradient w.r.t. the initial hidden state
    dc0: np.ndarray | None  # (B, H), LSTM only (H: the cell state's units, also with a projection)


def _at(cotangent: Cotangent | None, t: int) -> np.ndarray | None:
    if cotangent is None:
        return None
    if isinstance(cotangent, np.ndarray):
        return cotangent[t]
    return cotangent.get(t)


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
    steps, run_batch, hidden = run.h.shape
    if isinstance(dh, np.ndarray):
        batch = dh.shape[1]
    batch = batch or run_batch
    if need_params and batch != run_batch:
        raise ValueError("parameter gradients need one cotangent per recorded sequence")
    dtype = run.h.dtype
    h_prev_all = _previous(run.h, run.h0)  # h_{−1}: zero, or the state the run was started from
    keep = need_inputs or need_params
    spec = spec_of(cell)
    # input-side pre-activation grads; the recurrent side differs where a gate multiplies W_hh h (GRU's n)
    cell_units = w.hidden_size  # the gates' H; h has `hidden` units (P with an LSTM projection)
    da_x = np.empty((steps, batch, spec.gate_count * cell_units), dtype=dtype) if keep else None
    da_h = np.empty_like(da_x) if (keep and spec.inner_recurrent_bias) else da_x
    dh_next = np.zeros((batch, hidden), dtype=dtype)
    dc_next = np.zeros((batch, cell_units), dtype=dtype) if spec.has_cell_state else None
    step = spec.backward_step
    # δW_hr = Σ_t δh_t m_tᵀ needs every step's whole δh_t (the external part plus the recurrent one)
    dh_all = np.empty((steps, batch, hidden), dtype=dtype) if need_params and w.w_hr is not None else None
    for t in range(steps - 1, -1, -1):
        dh_t = dh_next
        if (external := _at(dh, t)) is not None:
            dh_t = dh_t + external
        if dh_all is not None:
            dh_all[t] = dh_t
        dh_next, dc_next = step(
            run,
            t,
            h_prev_all[t],
            dh_t,
            dc_next,
            _at(dc, t),
            None if da_x is None else da_x[t],
            None if da_h is None else da_h[t],
            w,
            nonlinearity,
            on_step,
        )

    dx = None
    if need_inputs:
        dx = (da_x.reshape(steps * batch, -1) @ w.w_ih).reshape(steps, batch, -1)
    params = None
    if need_params:
        flat_x = x.reshape(steps * batch, -1)
        flat_ax = da_x.reshape(steps * batch, -1)
        flat_ah = da_h.reshape(steps * batch, -1)
        d_w_hr = None
        if dh_all is not None:
            output_gate = run.acts[..., 3 * cell_units :]
            m = (output_gate * np.tanh(run.c)).reshape(steps * batch, -1)  # m_t = o ⊙ tanh(c_t)
            d_w_hr = dh_all.reshape(steps * batch, -1).T @ m
        params = LayerWeights(
            w_ih=flat_ax.T @ flat_x,
            w_hh=flat_ah.T @ h_prev_all.reshape(steps * batch, -1),
            b_ih=flat_ax.sum(axis=0),
            b_hh=flat_ah.sum(axis=0),
            w_hr=d_w_hr,
        )
    return LayerGrads(dx=dx, params=params, dh0=dh_next, dc0=dc_next)


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
