"""What every cell shares: the weights of one layer, what a run records, and the spec a cell declares.

Shapes: x (T, B, In) time-major; W_ih (G·H, In), W_hh (G·H, H), b_ih, b_hh (G·H,), with G the number
of gate blocks the cell's spec names (in PyTorch's order). An LSTM with projections (PyTorch's
proj_size P > 0) also has W_hr (P, H): its h has P units (W_hh is then (G·H, P)), its c keeps H.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass
class LayerWeights:
    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray
    w_hr: np.ndarray | None = None  # (P, H): an LSTM's projection of h (proj_size > 0), else None

    @property
    def hidden_size(self) -> int:
        """H: the units of the gates (and of an LSTM's c)."""
        return self.w_hh.shape[1] if self.w_hr is None else self.w_hr.shape[1]

    @property
    def output_size(self) -> int:
        """The units of h, what the next layer and the decoder read: P with a projection, else H."""
        return self.w_hh.shape[1] if self.w_hr is None else self.w_hr.shape[0]


@dataclass
class LayerRun:
    """Everything one layer computed, kept for drawing and for the backward pass."""

    h: np.ndarray  # (T, B, H), or (T, B, P) for an LSTM with a projection
    c: np.ndarray | None  # (T, B, H), cells with a cell state only
    acts: np.ndarray  # (T, B, G·H): activated gates (LSTM, GRU) or pre-activation (RNN)
    hn: np.ndarray | None = None  # (T, B, H), GRU only: W_hn h_{t-1} + b_hn, needed by the backward pass
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # views into acts, name -> (T, B, H)
    # The state the run started from, when not zero (a chunk of a stream continues the last one's):
    # the backward pass reads h_{−1} and c_{−1} from here.
    h0: np.ndarray | None = None  # (B, H_out) or (H_out,): the units of h (P with a projection)
    c0: np.ndarray | None = None  # (B, H) or (H,), LSTM only


# steps(acts, w, h0, c0, h_out, c_out, nonlinearity) -> LayerRun: the fast recurrent loop
StepsFn = Callable[..., LayerRun]
# backward(run, h_prev, c_prev, dh, dc, batch, w, keep, need_dh, nonlinearity, on_step) -> BackwardRun:
#   backpropagation through time over the whole run (see BackwardRun)
BackwardFn = Callable[..., "BackwardRun"]
# A cotangent for some time steps: (T, B, ·), or {t: (B, ·)} for the steps that have one.
Cotangent = np.ndarray | Mapping[int, np.ndarray]
# Called at every step t (latest first) with copies of the gradient reaching h_t, and c_t for an LSTM.
StepHook = Callable[[int, np.ndarray, "np.ndarray | None"], None]


@dataclass
class BackwardRun:
    """What a cell's backward loop gives: the pre-activation gradients of every step, input side
    (da_x: W_ih, b_ih and the layer's inputs) and recurrent side (da_h: W_hh, b_hh; the same array
    unless a gate multiplies W_hh h, GRU's n), only when asked to keep them; every step's whole δh_t
    when asked (need_dh); and the gradients w.r.t. the initial state."""

    da_x: np.ndarray | None  # (T, B, G·H)
    da_h: np.ndarray | None  # (T, B, G·H)
    dh: np.ndarray | None  # (T, B, H_out): external cotangent plus what came back from step t+1
    dh0: np.ndarray  # (B, H_out)
    dc0: np.ndarray | None  # (B, H), LSTM only


def cotangent_at(cotangent: Cotangent | None, t: int) -> np.ndarray | None:
    """The cotangent of step t, or None where there is none."""
    if cotangent is None:
        return None
    if isinstance(cotangent, np.ndarray):
        return cotangent[t]
    return cotangent.get(t)


def incoming(
    dh: Cotangent | None, t: int, back: np.ndarray, scratch: np.ndarray, every: np.ndarray | None
) -> np.ndarray:
    """δh_t in full: what step t+1 sent back plus step t's own cotangent, written into every[t] when
    every step's δh is kept, else into scratch (or `back` itself, when there is nothing to add:
    callers read it before they overwrite `back` with δh_{t−1})."""
    external = cotangent_at(dh, t)
    if every is not None:
        if external is None:
            every[t] = back
        else:
            np.add(back, external, out=every[t])
        return every[t]
    if external is None:
        return back
    return np.add(back, external, out=scratch)


# reference_step(x_t, h_prev, c_prev, w, nonlinearity) -> dict of h, c and every gate, one equation a line
ReferenceFn = Callable[..., dict[str, np.ndarray]]


@dataclass(frozen=True)
class CellSpec:
    """What the rest of rnnviz needs to know of a cell; everything that switched on a cell name reads this."""

    name: str  # "rnn" | "lstm" | "gru"
    gates: tuple[str, ...]  # gate blocks of W_ih/W_hh in PyTorch's order
    sigmoid_gates: frozenset[str]  # the gates squashed by σ (0..1); the others are tanh or none
    has_cell_state: bool  # an LSTM's c
    nonlinearities: tuple[str, ...]  # "tanh" first (the default); an RNN also offers "relu"
    inner_recurrent_bias: frozenset[str]  # gates whose b_hh stays inside the recurrence (GRU's n)
    file_names: dict[str, str]  # stored cell name → nonlinearity ("rnn_tanh" → "tanh")
    keras_class: str  # "LSTM" | "GRU" | "SimpleRNN"
    steps: StepsFn
    backward: BackwardFn
    reference_step: ReferenceFn
    summary: str  # one line for help and error messages

    @property
    def gate_count(self) -> int:
        return len(self.gates)

    def sigmoid_scale(self, hidden: int, dtype: np.dtype) -> np.ndarray | None:
        """½ on the rows of σ gates, 1 elsewhere (σ(a) = ½·tanh(a/2) + ½); None when there is no σ gate."""
        if not self.sigmoid_gates:
            return None
        return np.repeat(
            np.array([0.5 if g in self.sigmoid_gates else 1.0 for g in self.gates], dtype=dtype), hidden
        )

    def folded_bias(self, w: LayerWeights) -> np.ndarray:
        """b_ih + b_hh on every gate block whose recurrent bias can join the input term."""
        hidden = w.hidden_size
        bias = w.b_ih + w.b_hh
        for k, gate in enumerate(self.gates):
            if gate in self.inner_recurrent_bias:
                bias[k * hidden : (k + 1) * hidden] = w.b_ih[k * hidden : (k + 1) * hidden]
        return bias


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) for the reference steps: 1 / (1 + e^−a), written as the papers do."""
    return 1.0 / (1.0 + np.exp(-a))


def recurrent_matrix(w: LayerWeights, scale: np.ndarray | None, dtype: np.dtype) -> np.ndarray:
    """W_hhᵀ (H, G·H) as a transposed view of a row-major W_hh, so the GEMV reads contiguous rows."""
    w_hh = w.w_hh if scale is None else w.w_hh * scale[:, None]
    return np.ascontiguousarray(w_hh, dtype=dtype).T


def initial_state(h0: np.ndarray | None, batch: int, hidden: int, dtype: np.dtype) -> np.ndarray:
    if h0 is None:
        return np.zeros((batch, hidden), dtype=dtype)
    return np.broadcast_to(h0, (batch, hidden)).astype(dtype)


def split_gates(acts: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    hidden = acts.shape[-1] // len(names)
    return {name: acts[..., k * hidden : (k + 1) * hidden] for k, name in enumerate(names)}
