"""Plain (Elman) RNN, as PyTorch's nn.RNN computes it.

    h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)      act = tanh | relu
    W_ih (H, In), W_hh (H, H), b_ih, b_hh (H,); the one "gate" recorded is the pre-activation.

Backward: δpre = δh ⊙ (1 − h²) for tanh, δh ⊙ [pre > 0] for relu; δh_{t−1} = δpre · W_hh.
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
    incoming,
    initial_state,
    recurrent_matrix,
)

GATES = ("preactivation",)


def reference_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray | None,
    w: LayerWeights,
    nonlinearity: str = "tanh",
) -> dict[str, np.ndarray]:
    """One step, one equation a line: the slow definition the fast loop is checked against."""
    pre = w.w_ih @ x_t + w.b_ih + w.w_hh @ h_prev + w.b_hh
    h = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)
    return {"h": h, "preactivation": pre}


def steps(
    pre: np.ndarray,
    w: LayerWeights,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
    h: np.ndarray,
    c: np.ndarray | None,
    nonlinearity: str = "tanh",
) -> LayerRun:
    """The recurrent loop over projected inputs pre (T, B, H), which keeps the pre-activations."""
    batch, hidden = pre.shape[1:]
    dtype = pre.dtype
    w_hh_t = recurrent_matrix(w, None, dtype)
    recurrent = np.empty((batch, hidden), dtype=dtype)
    h_prev = initial_state(h0, batch, hidden, dtype)
    matmul, add = np.matmul, np.add
    if nonlinearity == "tanh":
        tanh = np.tanh
        for p, h_t in zip(pre, h, strict=True):
            matmul(h_prev, w_hh_t, recurrent)  # pre = W_ih x_t + b + W_hh h_{t−1}
            add(p, recurrent, p)
            tanh(p, h_t)  # h_t = tanh(pre)
            h_prev = h_t
    else:
        maximum, zero = np.maximum, dtype.type(0)
        for p, h_t in zip(pre, h, strict=True):
            matmul(h_prev, w_hh_t, recurrent)
            add(p, recurrent, p)
            maximum(p, zero, out=h_t)  # h_t = relu(pre)
            h_prev = h_t
    return LayerRun(h=h, c=None, acts=pre, gates={"preactivation": pre})


def backward(
    run: LayerRun,
    h_prev: np.ndarray,
    c_prev: np.ndarray | None,
    dh: Cotangent | None,
    dc: Cotangent | None,
    batch: int,
    w: LayerWeights,
    keep: bool,
    need_dh: bool,
    nonlinearity: str = "tanh",
    on_step: StepHook | None = None,
) -> BackwardRun:
    """Backpropagation through time over a whole run: act'(pre) for every step at once, then per step
    δpre = δh ⊙ act' and δh_{t−1} = δpre · W_hh (δpre kept in da_x when `keep`)."""
    steps, run_batch, hidden = run.acts.shape
    dtype = run.acts.dtype
    if nonlinearity == "tanh":
        slope = 1 - run.h * run.h
    else:
        slope = (run.acts > 0).astype(dtype)
    w_hh = np.ascontiguousarray(w.w_hh, dtype=dtype)
    dpre = np.empty((steps if keep else 1, batch, hidden), dtype=dtype)
    dh_all = np.empty((steps, batch, hidden), dtype=dtype) if need_dh else None
    dh_step = np.empty((batch, hidden), dtype=dtype)
    dh_back = np.zeros((batch, hidden), dtype=dtype)
    multiply, matmul = np.multiply, np.matmul
    for t in range(steps - 1, -1, -1):
        k = t if keep else 0
        dh_t = incoming(dh, t, dh_back, dh_step, dh_all)
        if on_step is not None:
            on_step(t, dh_t.copy(), None)
        multiply(dh_t, slope[t], out=dpre[k])
        matmul(dpre[k], w_hh, out=dh_back)
    kept = dpre if keep else None
    return BackwardRun(da_x=kept, da_h=kept, dh=dh_all, dh0=dh_back, dc0=None)


SPEC = CellSpec(
    name="rnn",
    gates=GATES,
    sigmoid_gates=frozenset(),
    has_cell_state=False,
    nonlinearities=("tanh", "relu"),
    inner_recurrent_bias=frozenset(),
    file_names={"rnn_tanh": "tanh", "rnn_relu": "relu"},
    keras_class="SimpleRNN",
    steps=steps,
    backward=backward,
    reference_step=reference_step,
    summary="plain RNN (tanh or relu): no gates",
)
