"""Backpropagation through time for the cells of cells.py, step by step beside the forward equations.

The backward pass reads what the forward pass recorded (LayerRun) and takes a cotangent for the
hidden state at some time steps. The cotangent's batch may differ from the recorded run's batch
when the run has batch 1: the recorded activations broadcast, so one sentence can carry many
cotangents at once (one per target row of a link map, one per unit of a Jacobian).

    LSTM  δc_t = δc_{t+1} ⊙ f_{t+1} + δh_t ⊙ o ⊙ (1 − tanh² c_t)
          δi = δc ⊙ g ⊙ i(1−i)   δf = δc ⊙ c_{t−1} ⊙ f(1−f)   δg = δc ⊙ i ⊙ (1−g²)   δo = δh ⊙ tanh c ⊙ o(1−o)
    GRU   δn = δh ⊙ (1−z)   δz = δh ⊙ (h_{t−1} − n)   δa_n = δn ⊙ (1−n²)
          δr = δa_n ⊙ (W_hn h + b_hn) ⊙ r(1−r)   recurrent part of n: δa_n ⊙ r
    RNN   δpre = δh ⊙ tanh'(pre) or δh ⊙ [pre > 0]
    all   δh_{t−1} = (recurrent pre-activation grads) · W_hh (+ δh ⊙ z for the GRU)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import LayerRun, LayerWeights

# Called at every step s (latest first) with the gradient reaching h_s, and c_s for an LSTM.
StepHook = Callable[[int, np.ndarray, "np.ndarray | None"], None]
Cotangent = np.ndarray | Mapping[int, np.ndarray]


@dataclass
class LayerGrads:
    dx: np.ndarray | None  # (T, B, In): gradient w.r.t. the layer's inputs
    params: LayerWeights | None  # gradients of w_ih, w_hh, b_ih, b_hh
    dh0: np.ndarray  # (B, H): gradient w.r.t. the initial hidden state
    dc0: np.ndarray | None  # (B, H), LSTM only


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

    `batch` is the cotangent batch B when dh is a mapping (default: the run's batch).
    """
    steps, run_batch, hidden = run.h.shape
    if isinstance(dh, np.ndarray):
        batch = dh.shape[1]
    batch = batch or run_batch
    if need_params and batch != run_batch:
        raise ValueError("parameter gradients need one cotangent per recorded sequence")
    dtype = run.h.dtype
    h_prev_all = _previous(run.h, None)
    keep = need_inputs or need_params
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    da_x = (
        np.empty((steps, batch, gates * hidden), dtype=dtype) if keep else None
    )  # input-side pre-activation grads
    da_h = da_x if cell != "gru" else (np.empty_like(da_x) if keep else None)  # recurrent side (GRU differs)
    dh_next = np.zeros((batch, hidden), dtype=dtype)
    dc_next = np.zeros((batch, hidden), dtype=dtype) if cell == "lstm" else None
    H = hidden
    w_hh = w.w_hh

    for t in range(steps - 1, -1, -1):
        dh_t = dh_next
        if (external := _at(dh, t)) is not None:
            dh_t = dh_t + external
        h_prev = h_prev_all[t]
        if cell == "lstm":
            a = run.acts[t]
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            tanh_c = np.tanh(run.c[t])
            dc_t = dc_next + dh_t * o * (1 - tanh_c * tanh_c)
            if (extra := _at(dc, t)) is not None:
                dc_t = dc_t + extra
            if on_step is not None:
                on_step(t, dh_t, dc_t)
            c_prev = run.c[t - 1] if t else np.zeros_like(run.c[0])
            da = np.empty((batch, 4 * H), dtype=dtype) if da_x is None else da_x[t]
            da[:, :H] = dc_t * g * i * (1 - i)
            da[:, H : 2 * H] = dc_t * c_prev * f * (1 - f)
            da[:, 2 * H : 3 * H] = dc_t * i * (1 - g * g)
            da[:, 3 * H :] = dh_t * tanh_c * o * (1 - o)
            dh_next = da @ w_hh
            dc_next = dc_t * f
        elif cell == "gru":
            if on_step is not None:
                on_step(t, dh_t, None)
            a = run.acts[t]
            r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            dan = dh_t * (1 - z) * (1 - n * n)
            dar = dan * run.hn[t] * r * (1 - r)
            daz = dh_t * (h_prev - n) * z * (1 - z)
            dx_t = np.empty((batch, 3 * H), dtype=dtype) if da_x is None else da_x[t]
            dh_part = np.empty((batch, 3 * H), dtype=dtype) if da_h is None else da_h[t]
            dx_t[:, :H] = dh_part[:, :H] = dar
            dx_t[:, H : 2 * H] = dh_part[:, H : 2 * H] = daz
            dx_t[:, 2 * H :] = dan
            dh_part[:, 2 * H :] = dan * r
            dh_next = dh_t * z + dh_part @ w_hh
        else:
            if on_step is not None:
                on_step(t, dh_t, None)
            if nonlinearity == "tanh":
                dpre = dh_t * (1 - run.h[t] * run.h[t])
            else:
                dpre = dh_t * (run.acts[t] > 0)
            if da_x is not None:
                da_x[t] = dpre
            dh_next = dpre @ w_hh

    dx = None
    if need_inputs:
        dx = (da_x.reshape(steps * batch, -1) @ w.w_ih).reshape(steps, batch, -1)
    params = None
    if need_params:
        flat_x = x.reshape(steps * batch, -1)
        flat_ax = da_x.reshape(steps * batch, -1)
        flat_ah = da_h.reshape(steps * batch, -1)
        params = LayerWeights(
            w_ih=flat_ax.T @ flat_x,
            w_hh=flat_ah.T @ h_prev_all.reshape(steps * batch, -1),
            b_ih=flat_ax.sum(axis=0),
            b_hh=flat_ah.sum(axis=0),
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
