"""LSTM (Hochreiter & Schmidhuber 1997, with PyTorch's nn.LSTM conventions).

    i = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)        gate order of W_ih, W_hh: i, f, g, o
    f = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)        W_ih (4H, In), W_hh (4H, H), b_ih, b_hh (4H,)
    g = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)
    o = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)
    c_t = f ⊙ c_{t−1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)                                 with proj_size P > 0: h_t = W_hr (o ⊙ tanh(c_t)),
                                                        W_hr (P, H), W_hh (4H, P), h has P units, c has H

Backward, for a cotangent δh_t and the carry δc_{t+1} ⊙ f_{t+1} (with a projection, δh_t below stands
for δm_t = W_hrᵀ δh_t, the cotangent of m_t = o ⊙ tanh(c_t), and δW_hr = Σ_t δh_t m_tᵀ):
    δc_t = δc_{t+1} ⊙ f_{t+1} + δh_t ⊙ o ⊙ (1 − tanh² c_t)
    δi = δc ⊙ g ⊙ i(1−i)   δf = δc ⊙ c_{t−1} ⊙ f(1−f)   δg = δc ⊙ i ⊙ (1−g²)   δo = δh ⊙ tanh c ⊙ o(1−o)
    δh_{t−1} = [δi δf δg δo] · W_hh
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.cells.base import (
    CellSpec,
    LayerRun,
    LayerWeights,
    initial_state,
    recurrent_matrix,
    sigmoid,
    split_gates,
)

GATES = ("input", "forget", "cell", "output")


def reference_step(
    x_t: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, w: LayerWeights, nonlinearity: str = "tanh"
) -> dict[str, np.ndarray]:
    """One step, one equation a line: the slow definition the fast loop is checked against."""
    H = w.hidden_size
    a = w.w_ih @ x_t + w.b_ih + w.w_hh @ h_prev + w.b_hh
    i = sigmoid(a[0:H])
    f = sigmoid(a[H : 2 * H])
    g = np.tanh(a[2 * H : 3 * H])
    o = sigmoid(a[3 * H : 4 * H])
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    if w.w_hr is not None:
        h = w.w_hr @ h
    return {"h": h, "c": c, "input": i, "forget": f, "cell": g, "output": o}


def steps(
    acts: np.ndarray,
    w: LayerWeights,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
    h: np.ndarray,
    c: np.ndarray | None,
    nonlinearity: str = "tanh",
) -> LayerRun:
    """The recurrent loop over projected inputs acts (T, B, 4H), overwritten with the activated gates.

    The σ rows of acts and W_hh come pre-scaled by ½, so one tanh serves all four gates of a step and
    ½·(·) + ½ turns the σ rows into σ; c (T, B, H) and h (T, B, H or P) are written into the
    preallocated buffers. With a projection, m = o ⊙ tanh(c_t) goes through W_hrᵀ into h_t."""
    batch, gates = acts.shape[1:]
    H = gates // 4
    dtype = acts.dtype
    c = np.empty((*h.shape[:2], H), dtype=dtype) if c is None else c
    w_hr_t = None if w.w_hr is None else np.ascontiguousarray(w.w_hr, dtype=dtype).T  # (H, P)
    m = np.empty((batch, H), dtype=dtype)
    scale = SPEC.sigmoid_scale(H, dtype)
    offset = np.where(scale == 1, 0, 0.5).astype(dtype)  # ½·tanh(a/2) + ½ on i, f, o; g stays tanh(a)
    w_hh_t = recurrent_matrix(w, scale, dtype)
    recurrent = np.empty((batch, gates), dtype=dtype)
    scratch = np.empty((batch, H), dtype=dtype)
    h_prev = initial_state(h0, batch, h.shape[2], dtype)
    c_prev = initial_state(c0, batch, H, dtype)
    split = split_gates(acts, GATES)
    matmul, multiply, add, tanh = np.matmul, np.multiply, np.add, np.tanh
    views = zip(acts, split["input"], split["forget"], split["cell"], split["output"], c, h, strict=True)
    for a, i, f, g, o, c_t, h_t in views:
        # a = W_ih x_t + b + W_hh h_{t−1}, then i, f, o = σ(·) and g = tanh(·)
        matmul(h_prev, w_hh_t, recurrent)
        add(a, recurrent, a)
        tanh(a, a)
        multiply(a, scale, a)
        add(a, offset, a)
        # c_t = f ⊙ c_{t−1} + i ⊙ g
        multiply(f, c_prev, c_t)
        multiply(i, g, scratch)
        add(c_t, scratch, c_t)
        # h_t = o ⊙ tanh(c_t), or W_hr (o ⊙ tanh(c_t)) with a projection
        if w_hr_t is None:
            tanh(c_t, h_t)
            multiply(h_t, o, h_t)
        else:
            tanh(c_t, m)
            multiply(m, o, m)
            matmul(m, w_hr_t, h_t)
        h_prev, c_prev = h_t, c_t
    return LayerRun(h=h, c=c, acts=acts, gates=split)


def backward_step(
    run: LayerRun,
    t: int,
    h_prev: np.ndarray,
    dh_t: np.ndarray,
    dc_next: np.ndarray,
    dc_extra: np.ndarray | None,
    da_x: np.ndarray | None,
    da_h: np.ndarray | None,
    w: LayerWeights,
    nonlinearity: str,
    on_step,
) -> tuple[np.ndarray, np.ndarray]:
    """δh_{t−1} and δc_{t−1} ⊙ … carry from δh_t; writes [δi δf δg δo] into da_x (the input side).
    `on_step` sees δh_t as given (P units with a projection), before it passes through W_hr."""
    a = run.acts[t]
    H = a.shape[-1] // 4
    i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
    tanh_c = np.tanh(run.c[t])
    dh_given = dh_t
    if w.w_hr is not None:
        dh_t = dh_t @ w.w_hr  # δm_t (B, H)
    dc_t = dc_next + dh_t * o * (1 - tanh_c * tanh_c)
    if dc_extra is not None:
        dc_t = dc_t + dc_extra
    if on_step is not None:
        on_step(t, dh_given, dc_t)
    if t:
        c_prev = run.c[t - 1]
    else:  # c_{−1}: zero, or the state a carried run started from
        c_prev = np.zeros_like(run.c[0]) if run.c0 is None else run.c0
    da = np.empty((dh_t.shape[0], 4 * H), dtype=dh_t.dtype) if da_x is None else da_x
    da[:, :H] = dc_t * g * i * (1 - i)
    da[:, H : 2 * H] = dc_t * c_prev * f * (1 - f)
    da[:, 2 * H : 3 * H] = dc_t * i * (1 - g * g)
    da[:, 3 * H :] = dh_t * tanh_c * o * (1 - o)
    return da @ w.w_hh, dc_t * f


SPEC = CellSpec(
    name="lstm",
    gates=GATES,
    sigmoid_gates=frozenset({"input", "forget", "output"}),
    has_cell_state=True,
    nonlinearities=("tanh",),
    inner_recurrent_bias=frozenset(),
    file_names={"lstm": "tanh"},
    keras_class="LSTM",
    steps=steps,
    backward_step=backward_step,
    reference_step=reference_step,
    summary="LSTM: input, forget and output gates and a cell state",
)
