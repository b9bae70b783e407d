"""One recurrent layer over a whole sequence, exactly as PyTorch computes it.

Shapes: x (T, B, In) time-major; W_ih (G·H, In), W_hh (G·H, H), b_ih, b_hh (G·H,),
with G = 1 (RNN), 4 (LSTM, gate order i, f, g, o) or 3 (GRU, gate order r, z, n).

    RNN   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)            act = tanh | relu
    LSTM  i, f, g, o = σ, σ, tanh, σ (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
          c_t = f ⊙ c_{t-1} + i ⊙ g          h_t = o ⊙ tanh(c_t)
    GRU   r, z = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr), σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
          n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))
          h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}

The inputs of all time steps are projected in one matrix product before the loop (`project_inputs`);
the loop (`run_projected`) writes into preallocated buffers, so a step allocates nothing. Why the
loop looks the way it does (each step is one small GEMV plus ~10 ufunc calls of ~0.3 µs):
- σ(a) = ½·tanh(a/2) + ½: the σ gates' rows of W_ih, W_hh and the bias are pre-scaled by ½ (exact in
  floating point), so one tanh serves every gate of a step and ½·(·) + ½ is a single affine pass.
- The recurrent product is h_{t−1} @ W_hhᵀ with W_hh kept row-major (a transposed view): BLAS then runs
  its dot-product GEMV over contiguous rows, ~1.6× faster here than with a contiguous W_hhᵀ copy.
- Per-step views (acts[t], c[t], gate slices) come from iterating over prebuilt views, not indexing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnviz.errors import InputError

GATE_NAMES: dict[str, tuple[str, ...]] = {
    "rnn": ("preactivation",),
    "lstm": ("input", "forget", "cell", "output"),
    "gru": ("reset", "update", "new"),
}
GATE_COUNT = {cell: len(names) for cell, names in GATE_NAMES.items()}
SIGMOID_GATES = {"input", "forget", "output", "reset", "update"}


@dataclass
class LayerWeights:
    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray

    @property
    def hidden_size(self) -> int:
        return self.w_hh.shape[1]


@dataclass
class LayerRun:
    """Everything one layer computed, kept for drawing and for the backward pass."""

    h: np.ndarray  # (T, B, H)
    c: np.ndarray | None  # (T, B, H), LSTM only
    acts: np.ndarray  # (T, B, G·H): activated gates (LSTM, GRU) or pre-activation (RNN)
    hn: np.ndarray | None = None  # (T, B, H), GRU only: W_hn h_{t-1} + b_hn, needed by the backward pass
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # views into acts, name -> (T, B, H)


def sigmoid_(a: np.ndarray) -> np.ndarray:
    """σ(a) in place, as 0.5·tanh(a/2) + 0.5: one transcendental and no overflow for large |a|."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


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


def project_inputs(cell: str, x: np.ndarray, w: LayerWeights, out: np.ndarray | None = None) -> np.ndarray:
    """Every step's input term in one matrix product: x (T, B, In) → (T, B, G·H), in the form
    `run_projected` expects (biases folded in, σ gates pre-scaled by ½). Rows of the result depend only
    on the matching rows of x, so projections of different inputs can be mixed row by row.
    `out`: a C-contiguous (T, B, G·H) array of x's dtype to write into instead of a new one."""
    if cell not in GATE_COUNT:
        raise InputError(f"unknown cell type {cell!r}; use rnn, lstm or gru")
    hidden = w.hidden_size
    if cell == "gru":  # b_hn stays inside r ⊙ (W_hn h + b_hn); b_hr, b_hz fold into the input term
        bias = np.concatenate([w.b_ih[: 2 * hidden] + w.b_hh[: 2 * hidden], w.b_ih[2 * hidden :]])
    else:
        bias = w.b_ih + w.b_hh
    scale = _sigmoid_scale(cell, hidden, x.dtype)
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
    is overwritten: it becomes the run's `acts`. h_out (and c_out, LSTM) (T, B, H): where to write
    the states instead of new arrays."""
    steps, batch, _ = projected.shape
    h = np.empty((steps, batch, w.hidden_size), projected.dtype) if h_out is None else h_out
    if cell == "lstm":
        return _lstm_steps(projected, w, h0, c0, h, np.empty_like(h) if c_out is None else c_out)
    if cell == "gru":
        return _gru_steps(projected, w, h0, h)
    if cell == "rnn":
        return _rnn_steps(projected, w, h0, nonlinearity, h)
    raise InputError(f"unknown cell type {cell!r}; use rnn, lstm or gru")


@dataclass
class StackRun:
    """A run of stacked layers whose results share (L, T, B, ·) arrays; runs[k] holds views of layer k."""

    runs: list[LayerRun]
    h: np.ndarray  # (L, T, B, H)
    c: np.ndarray | None  # (L, T, B, H), LSTM only
    acts: np.ndarray  # (L, T, B, G·H)


def run_stack(cell: str, x: np.ndarray, layers: list[LayerWeights], nonlinearity: str = "tanh") -> StackRun:
    """Run stacked layers over x (T, B, In), every layer writing into arrays shared by the stack.

    One allocation per kind of result instead of one per layer plus a copy to stack them: fresh pages
    cost a page fault each (~2 µs in a VM, a tenth of a 256-unit LSTM step), and arrays of 4 MB or
    more get transparent huge pages from NumPy.
    """
    if cell not in GATE_COUNT:
        raise InputError(f"unknown cell type {cell!r}; use rnn, lstm or gru")
    steps, batch, _ = x.shape
    hidden = layers[0].hidden_size
    shape = (len(layers), steps, batch)
    acts = np.empty((*shape, GATE_COUNT[cell] * hidden), dtype=x.dtype)
    h = np.empty((*shape, hidden), dtype=x.dtype)
    c = np.empty_like(h) if cell == "lstm" else None
    runs: list[LayerRun] = []
    for k, w in enumerate(layers):
        project_inputs(cell, x, w, out=acts[k])
        c_out = None if c is None else c[k]
        runs.append(run_projected(cell, acts[k], w, nonlinearity=nonlinearity, h_out=h[k], c_out=c_out))
        x = h[k]
    return StackRun(runs=runs, h=h, c=c, acts=acts)


def _sigmoid_scale(cell: str, hidden: int, dtype: np.dtype) -> np.ndarray | None:
    """½ on the rows of σ gates (LSTM i, f, o; GRU r, z), 1 elsewhere; None for the RNN."""
    if cell == "lstm":
        scale = np.full(4 * hidden, 0.5, dtype=dtype)
        scale[2 * hidden : 3 * hidden] = 1.0
        return scale
    if cell == "gru":
        scale = np.ones(3 * hidden, dtype=dtype)
        scale[: 2 * hidden] = 0.5
        return scale
    return None


def _recurrent_matrix(w: LayerWeights, scale: np.ndarray | None, dtype: np.dtype) -> np.ndarray:
    """W_hhᵀ (H, G·H) as a transposed view of a row-major W_hh, so the GEMV reads contiguous rows."""
    w_hh = w.w_hh if scale is None else w.w_hh * scale[:, None]
    return np.ascontiguousarray(w_hh, dtype=dtype).T


def _initial_state(h0: np.ndarray | None, batch: int, hidden: int, dtype: np.dtype) -> np.ndarray:
    if h0 is None:
        return np.zeros((batch, hidden), dtype=dtype)
    return np.broadcast_to(h0, (batch, hidden)).astype(dtype)


def _split(acts: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    hidden = acts.shape[-1] // len(names)
    return {name: acts[..., k * hidden : (k + 1) * hidden] for k, name in enumerate(names)}


def rnn_layer(
    x: np.ndarray, w: LayerWeights, h0: np.ndarray | None = None, nonlinearity: str = "tanh"
) -> LayerRun:
    return run_layer("rnn", x, w, h0, nonlinearity=nonlinearity)


def lstm_layer(
    x: np.ndarray, w: LayerWeights, h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> LayerRun:
    return run_layer("lstm", x, w, h0, c0)


def gru_layer(x: np.ndarray, w: LayerWeights, h0: np.ndarray | None = None) -> LayerRun:
    return run_layer("gru", x, w, h0)


def _rnn_steps(
    pre: np.ndarray, w: LayerWeights, h0: np.ndarray | None, nonlinearity: str, h: np.ndarray
) -> LayerRun:
    batch, hidden = pre.shape[1:]
    dtype = pre.dtype
    w_hh_t = _recurrent_matrix(w, None, dtype)
    recurrent = np.empty((batch, hidden), dtype=dtype)
    h_prev = _initial_state(h0, batch, hidden, dtype)
    matmul, add = np.matmul, np.add
    if nonlinearity == "tanh":
        tanh = np.tanh
        for p, h_t in zip(pre, h, strict=True):
            matmul(h_prev, w_hh_t, recurrent)
            add(p, recurrent, p)
            tanh(p, h_t)
            h_prev = h_t
    else:
        maximum, zero = np.maximum, dtype.type(0)
        for p, h_t in zip(pre, h, strict=True):
            matmul(h_prev, w_hh_t, recurrent)
            add(p, recurrent, p)
            maximum(p, zero, out=h_t)
            h_prev = h_t
    return LayerRun(h=h, c=None, acts=pre, gates={"preactivation": pre})


def _lstm_steps(
    acts: np.ndarray,
    w: LayerWeights,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
    h: np.ndarray,
    c: np.ndarray,
) -> LayerRun:
    batch, gates = acts.shape[1:]
    H = gates // 4
    dtype = acts.dtype
    scale = _sigmoid_scale("lstm", H, dtype)
    offset = np.where(scale == 1, 0, 0.5).astype(dtype)  # ½·tanh(a/2) + ½ on i, f, o; g stays tanh(a)
    w_hh_t = _recurrent_matrix(w, scale, dtype)
    recurrent = np.empty((batch, gates), dtype=dtype)
    scratch = np.empty((batch, H), dtype=dtype)
    h_prev = _initial_state(h0, batch, H, dtype)
    c_prev = _initial_state(c0, batch, H, dtype)
    split = _split(acts, GATE_NAMES["lstm"])
    matmul, multiply, add, tanh = np.matmul, np.multiply, np.add, np.tanh
    views = zip(acts, split["input"], split["forget"], split["cell"], split["output"], c, h, strict=True)
    for a, i, f, g, o, c_t, h_t in views:
        matmul(h_prev, w_hh_t, recurrent)
        add(a, recurrent, a)
        tanh(a, a)
        multiply(a, scale, a)
        add(a, offset, a)
        multiply(f, c_prev, c_t)
        multiply(i, g, scratch)
        add(c_t, scratch, c_t)
        tanh(c_t, h_t)
        multiply(h_t, o, h_t)
        h_prev, c_prev = h_t, c_t
    return LayerRun(h=h, c=c, acts=acts, gates=split)


def _gru_steps(acts: np.ndarray, w: LayerWeights, h0: np.ndarray | None, h: np.ndarray) -> LayerRun:
    batch, gates = acts.shape[1:]
    H = gates // 3
    dtype = acts.dtype
    w_hh_t = _recurrent_matrix(w, _sigmoid_scale("gru", H, dtype), dtype)
    b_hn = w.b_hh[2 * H :].astype(dtype)
    hn = np.empty_like(h)
    recurrent = np.empty((batch, gates), dtype=dtype)
    recurrent_rz, recurrent_n = recurrent[:, : 2 * H], recurrent[:, 2 * H :]
    scratch = np.empty((batch, H), dtype=dtype)
    h_prev = _initial_state(h0, batch, H, dtype)
    split = _split(acts, GATE_NAMES["gru"])
    half = dtype.type(0.5)
    matmul, multiply, add, subtract, tanh = np.matmul, np.multiply, np.add, np.subtract, np.tanh
    views = zip(acts[..., : 2 * H], split["reset"], split["update"], split["new"], hn, h, strict=True)
    for rz, r, z, n, hn_t, h_t in views:
        matmul(h_prev, w_hh_t, recurrent)
        add(rz, recurrent_rz, rz)
        tanh(rz, rz)  # r, z = ½·tanh(a/2) + ½ (rows pre-scaled by ½)
        multiply(rz, half, rz)
        add(rz, half, rz)
        add(recurrent_n, b_hn, hn_t)
        multiply(r, hn_t, scratch)
        add(n, scratch, n)
        tanh(n, n)
        # h = (1 − z) ⊙ n + z ⊙ h_prev, written as n + z ⊙ (h_prev − n)
        subtract(h_prev, n, scratch)
        multiply(scratch, z, scratch)
        add(n, scratch, h_t)
        h_prev = h_t
    return LayerRun(h=h, c=None, acts=acts, hn=hn, gates=split)
