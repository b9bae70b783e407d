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
    BackwardRun,
    CellSpec,
    Cotangent,
    LayerRun,
    LayerWeights,
    StepHook,
    incoming,
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
    """Backpropagation through time over a whole run, for a cotangent dh of h (dc is unused).

    The factors that turn δh_t into the recurrent-side gradients [δr δz δa_n⊙r] are computed for all
    steps at once before the loop; a step is then δh_t, one product with those factors, the product
    with W_hh and δh_t ⊙ z. The input side (δa_n without r) is formed afterwards from every step's δh.
    """
    steps, run_batch, gates = run.acts.shape
    H = gates // 3
    dtype = run.acts.dtype
    a = run.acts.reshape(steps, run_batch, 3, H)
    r, z, n = a[:, :, 0], a[:, :, 1], a[:, :, 2]
    to_n = (1 - z) * (1 - n * n)  # δa_n = δh ⊙ (1−z) ⊙ (1−n²)
    to_recurrent = np.empty((steps, run_batch, 3, H), dtype=dtype)
    np.multiply(to_n * run.hn, r * (1 - r), out=to_recurrent[:, :, 0])  # δr = δa_n ⊙ hn ⊙ r(1−r)
    np.multiply(h_prev - n, z * (1 - z), out=to_recurrent[:, :, 1])  # δz = δh ⊙ (h_{t−1} − n) ⊙ z(1−z)
    np.multiply(to_n, r, out=to_recurrent[:, :, 2])  # W_hn h_{t−1} sits inside r ⊙ (·)

    w_hh = np.ascontiguousarray(w.w_hh, dtype=dtype)  # (3H, H)
    need_dh = need_dh or keep  # the input side is formed from every δh_t after the loop
    da_h = np.empty((steps if keep else 1, batch, 3 * H), dtype=dtype)
    da_gates = da_h.reshape(len(da_h), batch, 3, H)
    dh_all = np.empty((steps, batch, H), dtype=dtype) if need_dh else None
    dh_step = np.empty((batch, H), dtype=dtype)
    dh_back = np.zeros((batch, H), dtype=dtype)
    through = np.empty((batch, H), dtype=dtype)  # δh_t ⊙ z_t, straight to h_{t−1}
    multiply, add, matmul = np.multiply, np.add, np.matmul
    for t in range(steps - 1, -1, -1):
        k = t if keep else 0
        dh_t = incoming(dh, t, dh_back, dh_step, dh_all)
        if on_step is not None:
            on_step(t, dh_t.copy(), None)
        multiply(dh_t[:, None, :], to_recurrent[t], out=da_gates[k])
        multiply(dh_t, z[t], out=through)
        matmul(da_h[k], w_hh, out=dh_back)  # δh_{t−1} = δh ⊙ z + [δr δz δa_n⊙r] · W_hh
        add(dh_back, through, out=dh_back)
    da_x = None
    if keep:
        da_x = da_h.copy()
        np.multiply(dh_all, to_n, out=da_x[..., 2 * H :])
    return BackwardRun(da_x=da_x, da_h=da_h if keep else None, dh=dh_all, dh0=dh_back, dc0=None)


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
    backward=backward,
    reference_step=reference_step,
    summary="GRU: reset and update gates, no separate cell state",
)
