"""GRU (Cho et al. 2014, with PyTorch's nn.GRU conventions: the reset gate applies after W_hn).

    r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)        gate order of W_ih, W_hh: r, z, n
    z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)        W_ih (3H, In), W_hh (3H, H), b_ih, b_hh (3H,)
    n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))
    h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

Backward, for a cotangent δh_t:
    δn = δh ⊙ (1−z)   δz = δh ⊙ (h_{t−1} − n)   δa_n = δn ⊙ (1−n²)
    δr = δa_n ⊙ (W_hn h + b_hn) ⊙ r(1−r)        the recurrent part of n gets δa_n ⊙ r
    δh_{t−1} = δh ⊙ z + [δr δz δa_n⊙r] · W_hh
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

GATES = ("reset", "update", "new")


def reference_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray | None,
    w: LayerWeights,
    nonlinearity: str = "tanh",
) -> dict[str, np.ndarray]:
    """One step, one equation a line: the slow definition the fast loop is checked against."""
    H = w.hidden_size
    x_part = w.w_ih @ x_t + w.b_ih
    h_part = w.w_hh @ h_prev + w.b_hh
    r = sigmoid(x_part[0:H] + h_part[0:H])
    z = sigmoid(x_part[H : 2 * H] + h_part[H : 2 * H])
    n = np.tanh(x_part[2 * H :] + r * h_part[2 * H :])
    h = (1 - z) * n + z * h_prev
    return {"h": h, "reset": r, "update": z, "new": n}


def steps(
    acts: np.ndarray,
    w: LayerWeights,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
    h: np.ndarray,
    c: np.ndarray | None,
    nonlinearity: str = "tanh",
) -> LayerRun:
    """The recurrent loop over projected inputs acts (T, B, 3H) (b_hr, b_hz folded in, b_hn not;
    r, z rows pre-scaled by ½), overwritten with r, z, n; h written into the (T, B, H) buffer."""
    batch, gates = acts.shape[1:]
    H = gates // 3
    dtype = acts.dtype
    w_hh_t = recurrent_matrix(w, SPEC.sigmoid_scale(H, dtype), dtype)
    b_hn = w.b_hh[2 * H :].astype(dtype)
    hn = np.empty_like(h)
    recurrent = np.empty((batch, gates), dtype=dtype)
    recurrent_rz, recurrent_n = recurrent[:, : 2 * H], recurrent[:, 2 * H :]
    scratch = np.empty((batch, H), dtype=dtype)
    h_prev = initial_state(h0, batch, H, dtype)
    split = split_gates(acts, GATES)
    half = dtype.type(0.5)
    matmul, multiply, add, subtract, tanh = np.matmul, np.multiply, np.add, np.subtract, np.tanh
    views = zip(acts[..., : 2 * H], split["reset"], split["update"], split["new"], hn, h, strict=True)
    for rz, r, z, n, hn_t, h_t in views:
        # r, z = σ(W_i x_t + b_i + W_h h_{t−1} + b_h) as ½·tanh(a/2) + ½ (rows pre-scaled by ½)
        matmul(h_prev, w_hh_t, recurrent)
        add(rz, recurrent_rz, rz)
        tanh(rz, rz)
        multiply(rz, half, rz)
        add(rz, half, rz)
        # n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))
        add(recurrent_n, b_hn, hn_t)
        multiply(r, hn_t, scratch)
        add(n, scratch, n)
        tanh(n, n)
        # h = (1 − z) ⊙ n + z ⊙ h_{t−1}, written as n + z ⊙ (h_{t−1} − n)
        subtract(h_prev, n, scratch)
        multiply(scratch, z, scratch)
        add(n, scratch, h_t)
        h_prev = h_t
    return LayerRun(h=h, c=None, acts=acts, hn=hn, gates=split)


def backward_step(
    run: LayerRun,
    t: int,
    h_prev: np.ndarray,
    dh_t: np.ndarray,
    dc_next: np.ndarray | None,
    dc_extra: np.ndarray | None,
    da_x: np.ndarray | None,
    da_h: np.ndarray | None,
    w: LayerWeights,
    nonlinearity: str,
    on_step,
) -> tuple[np.ndarray, None]:
    """δh_{t−1} from δh_t; the input-side grads go to da_x, the recurrent-side ones to da_h (they
    differ in n, where r multiplies the recurrent term)."""
    if on_step is not None:
        on_step(t, dh_t, None)
    a = run.acts[t]
    H = a.shape[-1] // 3
    batch, dtype = dh_t.shape[0], dh_t.dtype
    r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
    dan = dh_t * (1 - z) * (1 - n * n)
    dar = dan * run.hn[t] * r * (1 - r)
    daz = dh_t * (h_prev - n) * z * (1 - z)
    dx_t = np.empty((batch, 3 * H), dtype=dtype) if da_x is None else da_x
    dh_part = np.empty((batch, 3 * H), dtype=dtype) if da_h is None else da_h
    dx_t[:, :H] = dh_part[:, :H] = dar
    dx_t[:, H : 2 * H] = dh_part[:, H : 2 * H] = daz
    dx_t[:, 2 * H :] = dan
    dh_part[:, 2 * H :] = dan * r
    return dh_t * z + dh_part @ w.w_hh, None


SPEC = CellSpec(
    name="gru",
    gates=GATES,
    sigmoid_gates=frozenset({"reset", "update"}),
    has_cell_state=False,
    nonlinearities=("tanh",),
    inner_recurrent_bias=frozenset({"new"}),
    file_names={"gru": "tanh"},
    keras_class="GRU",
    steps=steps,
    backward_step=backward_step,
    reference_step=reference_step,
    summary="GRU: reset and update gates, no separate cell state",
)
