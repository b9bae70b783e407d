"""Retention (LSTM only): how much of the cell state written at word s the forget gates still keep at t.

Mean over the top layer's units of f_{s+1} ⊙ ⋯ ⊙ f_t (forget gates, read from the trace); s = t
gives 1. Nothing is re-run, so a row costs about window × H multiplications.
"""

from __future__ import annotations

import numpy as np

from rnnviz.core.model import Model
from rnnviz.core.trace import Trace

from .common import window_start
from .registry import LinkMethod


def retention_rows(model: Model, trace: Trace, targets: np.ndarray, window: int, steps: int) -> np.ndarray:
    forget = trace.gates["forget"][-1].astype(np.float64)  # (T, H), top layer
    out = np.zeros((len(targets), len(trace)), dtype=model.dtype)
    for row, t in enumerate(targets):
        lo = window_start(int(t), window)
        # kept[j] = f_{t−j+1} ⊙ ⋯ ⊙ f_t for s = t − j, built backwards from s = t (empty product: 1).
        kept = np.ones((t - lo + 1, forget.shape[1]))
        np.cumprod(forget[t:lo:-1], axis=0, out=kept[1:])
        out[row, lo : t + 1] = kept.mean(axis=1)[::-1]
    return out


def retention_cost(model: Model, window: float, rows: int) -> float:
    return rows * window * model.hidden_size


def retention_supports(model: Model) -> str | None:
    if model.cell != "lstm":
        return f"retention reads forget gates, which only an LSTM has (this model is a {model.cell})"
    if model.bidirectional:
        return (
            "retention follows the forget gates from s up to t, and a bidirectional model's output at t "
            "also reads the words after t: use occlusion, gradient or integrated"
        )
    return None


RETENTION = LinkMethod(
    name="retention",
    summary="LSTM only: the forget gates since the word, multiplied, averaged over the top layer's units",
    rows=retention_rows,
    cost=retention_cost,
    supports=retention_supports,
)
