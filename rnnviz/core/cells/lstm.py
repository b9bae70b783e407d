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
    BackwardRun,
    CellSpec,
    Cotangent,
    LayerRun,
    LayerWeights,
    StepHook,
    cotangent_at,
    incoming,
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


def backward(
    run: LayerRun,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    dh: Cotangent | None,
    dc: Cotangent | None,
    batch: int,
    w: LayerWeights,
    keep: bool,
    need_dh: bool,
    nonlinearity: str = "tanh",
    on_step: StepHook | None = None,
) -> BackwardRun:
    """Backpropagation through time over a whole run, for cotangents dh (of h) and dc (of c).

    Every factor that does not depend on the cotangent (o ⊙ (1 − tanh² c), g ⊙ i(1−i), …) is computed
    for all steps at once before the loop, so each step is the sequential part only: the δc carry,
    a few in-place products with those factors and δh_{t−1} = δa_t · W_hh (seven NumPy calls a step).
    Keeps [δi δf δg δo] of every step (da_x = da_h) when `keep`. `on_step` sees δh_t as given (P units
    with a projection), before it passes through W_hr."""
    steps, run_batch, gates = run.acts.shape
    H = gates // 4
    dtype = run.acts.dtype
    a = run.acts.reshape(steps, run_batch, 4, H)
    i, f, g, o = a[:, :, 0], a[:, :, 1], a[:, :, 2], a[:, :, 3]
    tanh_c = np.tanh(run.c)
    to_c = o * (1 - tanh_c * tanh_c)  # δc_t gets δm_t ⊙ to_c
    to_gates = np.empty((steps, run_batch, 4, H), dtype=dtype)  # δi, δf, δg = δc_t ⊙ ·; δo = δm_t ⊙ ·
    np.multiply(g, i * (1 - i), out=to_gates[:, :, 0])
    np.multiply(c_prev, f * (1 - f), out=to_gates[:, :, 1])
    np.multiply(i, 1 - g * g, out=to_gates[:, :, 2])
    np.multiply(tanh_c, o * (1 - o), out=to_gates[:, :, 3])
    to_ifg, to_o = to_gates[:, :, :3], to_gates[:, :, 3]

    out_units = run.h.shape[2]
    w_hh = np.ascontiguousarray(w.w_hh, dtype=dtype)  # (4H, P or H)
    w_hr = None if w.w_hr is None else np.ascontiguousarray(w.w_hr, dtype=dtype)  # (P, H)
    da = np.empty((steps if keep else 1, batch, 4 * H), dtype=dtype)
    da_gates = da.reshape(len(da), batch, 4, H)
    dh_all = np.empty((steps, batch, out_units), dtype=dtype) if need_dh else None
    dh_step = np.empty((batch, out_units), dtype=dtype)
    dh_back = np.zeros((batch, out_units), dtype=dtype)  # what step t+1 sends back to h_t
    dm = dh_step if w_hr is None else np.empty((batch, H), dtype=dtype)
    dc_t = np.empty((batch, H), dtype=dtype)
    carry = np.zeros((batch, H), dtype=dtype)  # δc_{t+1} ⊙ f_{t+1}
    multiply, add, matmul = np.multiply, np.add, np.matmul
    for t in range(steps - 1, -1, -1):
        k = t if keep else 0
        dh_t = incoming(dh, t, dh_back, dh_step, dh_all)
        if w_hr is not None:
            matmul(dh_t, w_hr, out=dm)  # δm_t = W_hrᵀ δh_t
        else:
            dm = dh_t
        # δc_t = δc_{t+1} ⊙ f_{t+1} + δm_t ⊙ o ⊙ (1 − tanh² c_t)
        multiply(dm, to_c[t], out=dc_t)
        add(dc_t, carry, out=dc_t)
        if (extra := cotangent_at(dc, t)) is not None:
            add(dc_t, extra, out=dc_t)
        if on_step is not None:
            on_step(t, dh_t.copy(), dc_t.copy())
        # [δi δf δg] = δc_t ⊙ [g i(1−i), c_{t−1} f(1−f), i (1−g²)];  δo = δm_t ⊙ tanh c_t ⊙ o(1−o)
        multiply(dc_t[:, None, :], to_ifg[t], out=da_gates[k, :, :3])
        multiply(dm, to_o[t], out=da_gates[k, :, 3])
        matmul(da[k], w_hh, out=dh_back)  # δh_{t−1} = [δi δf δg δo] · W_hh
        multiply(dc_t, f[t], out=carry)
    kept = da if keep else None
    return BackwardRun(da_x=kept, da_h=kept, dh=dh_all, dh0=dh_back, dc0=carry)


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
    backward=backward,
    reference_step=reference_step,
    summary="LSTM: input, forget and output gates and a cell state",
)
