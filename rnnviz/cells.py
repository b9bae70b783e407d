"""One recurrent layer over a whole sequence, exactly as PyTorch computes it.

Shapes: x (T, B, In) time-major; W_ih (G·H, In), W_hh (G·H, H), b_ih, b_hh (G·H,),
with G = 1 (RNN), 4 (LSTM, gate order i, f, g, o) or 3 (GRU, gate order r, z, n).

    RNN   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)            act = tanh | relu
    LSTM  i, f, g, o = σ, σ, tanh, σ (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
          c_t = f ⊙ c_{t-1} + i ⊙ g          h_t = o ⊙ tanh(c_t)
    GRU   r, z = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr), σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
          n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))
          h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}

The inputs of all time steps are projected in one matrix product before the loop; the loop
itself writes into preallocated buffers so a step allocates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    if cell == "lstm":
        return lstm_layer(x, w, h0, c0)
    if cell == "gru":
        return gru_layer(x, w, h0)
    if cell == "rnn":
        return rnn_layer(x, w, h0, nonlinearity)
    raise ValueError(f"unknown cell type {cell!r}; use rnn, lstm or gru")


def _project_inputs(x: np.ndarray, w_ih: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """All time steps' input projections in one matrix product: (T, B, In) → (T, B, G·H)."""
    steps, batch, size = x.shape
    out = x.reshape(steps * batch, size) @ w_ih.T
    out += bias
    return out.reshape(steps, batch, -1)


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
    steps, batch, _ = x.shape
    hidden = w.hidden_size
    pre = _project_inputs(x, w.w_ih, w.b_ih + w.b_hh)  # (T, B, H), recurrent term added per step
    h = np.empty((steps, batch, hidden), dtype=pre.dtype)
    w_hh_t = np.ascontiguousarray(w.w_hh.T)
    recurrent = np.empty((batch, hidden), dtype=pre.dtype)
    h_prev = _initial_state(h0, batch, hidden, pre.dtype)
    for t in range(steps):
        np.matmul(h_prev, w_hh_t, out=recurrent)
        pre[t] += recurrent
        if nonlinearity == "tanh":
            np.tanh(pre[t], out=h[t])
        else:
            np.maximum(pre[t], 0, out=h[t])
        h_prev = h[t]
    return LayerRun(h=h, c=None, acts=pre, gates={"preactivation": pre})


def lstm_layer(
    x: np.ndarray, w: LayerWeights, h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> LayerRun:
    steps, batch, _ = x.shape
    hidden = w.hidden_size
    H = hidden
    # σ(a) = ½·tanh(a/2) + ½, so pre-scaling the i, f, o rows by ½ lets one tanh over all four gates
    # serve both nonlinearities; the scale is folded into the (already copied) recurrent matrix.
    scale = np.full(4 * H, 0.5, dtype=x.dtype)
    scale[2 * H : 3 * H] = 1.0
    acts = _project_inputs(x, w.w_ih, w.b_ih + w.b_hh)  # (T, B, 4H): becomes i, f, g, o in place
    acts *= scale
    h = np.empty((steps, batch, hidden), dtype=acts.dtype)
    c = np.empty_like(h)
    w_hh_t = np.ascontiguousarray((w.w_hh * scale[:, None]).T)
    recurrent = np.empty((batch, 4 * hidden), dtype=acts.dtype)
    scratch = np.empty((batch, hidden), dtype=acts.dtype)
    h_prev = _initial_state(h0, batch, hidden, acts.dtype)
    c_prev = _initial_state(c0, batch, hidden, acts.dtype)
    for t in range(steps):
        a = acts[t]
        np.matmul(h_prev, w_hh_t, out=recurrent)
        a += recurrent
        np.tanh(a, out=a)  # g is final; i, f, o still need ½·(·) + ½
        ifo = (a[:, : 2 * H], a[:, 3 * H :])
        for part in ifo:
            part *= 0.5
            part += 0.5
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        np.multiply(f, c_prev, out=c[t])
        np.multiply(i, g, out=scratch)
        c[t] += scratch
        np.tanh(c[t], out=h[t])
        h[t] *= o
        h_prev, c_prev = h[t], c[t]
    return LayerRun(h=h, c=c, acts=acts, gates=_split(acts, GATE_NAMES["lstm"]))


def gru_layer(x: np.ndarray, w: LayerWeights, h0: np.ndarray | None = None) -> LayerRun:
    steps, batch, _ = x.shape
    hidden = w.hidden_size
    H = hidden
    acts = _project_inputs(x, w.w_ih, w.b_ih)  # (T, B, 3H): becomes r, z, n in place
    h = np.empty((steps, batch, hidden), dtype=acts.dtype)
    hn = np.empty_like(h)
    w_hh_t = np.ascontiguousarray(w.w_hh.T)
    recurrent = np.empty((batch, 3 * hidden), dtype=acts.dtype)
    scratch = np.empty((batch, hidden), dtype=acts.dtype)
    h_prev = _initial_state(h0, batch, hidden, acts.dtype)
    for t in range(steps):
        a = acts[t]
        np.matmul(h_prev, w_hh_t, out=recurrent)
        recurrent += w.b_hh
        a[:, : 2 * H] += recurrent[:, : 2 * H]
        sigmoid_(a[:, : 2 * H])  # r, z
        r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        hn[t] = recurrent[:, 2 * H :]
        np.multiply(r, hn[t], out=scratch)
        n += scratch
        np.tanh(n, out=n)
        # h = (1 − z) ⊙ n + z ⊙ h_prev, written as n + z ⊙ (h_prev − n)
        np.subtract(h_prev, n, out=scratch)
        scratch *= z
        np.add(n, scratch, out=h[t])
        h_prev = h[t]
    return LayerRun(h=h, c=None, acts=acts, hn=hn, gates=_split(acts, GATE_NAMES["gru"]))
