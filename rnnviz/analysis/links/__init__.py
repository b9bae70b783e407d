"""Memory links: which earlier word the prediction after word t still depends on.

`links(model, trace)` gives a (T, T) lower-triangular array: row t holds, for every s ≤ t, how much
the next-word prediction after token t depends on token s, normalized so each computed row sums to 1
(a row where nothing has any influence stays zero). The methods are registered in `METHODS`
(registry.py), one module each, whose docstring defines it:

    occlusion   (default) total-variation change of the next-word distribution when s becomes <unk>
    integrated  integrated gradients of the top next word's log-probability, zero baseline
    gradient    L2 norm of that log-probability's gradient w.r.t. the embedding of s (saliency)
    retention   LSTM only: mean over the top layer's units of f_{s+1} ⊙ ⋯ ⊙ f_t (forget gates)

A bidirectional model's output at t has also read the words after t (its backward direction), so
its rows are not lower-triangular: row t covers |s − t| < window on both sides, and each occluded
variant or gradient sweep runs the whole sentence; retention does not apply to it.

`window` limits row t to s > t − window. Work outside the window is skipped: a row needs only the
words from t − window + 1 to t, started from the state the trace recorded before them.

Large texts: a dense (T, T) array of a 100,000-word text would take 40 GB, so `links` refuses texts
longer than DENSE_LIMIT words with a ValueError that points to `link_rows(model, trace, rows)`, which
returns just the requested rows as a (len(rows), T) array. Both share one implementation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import InputError

from .common import DEFAULT_STEPS, DEFAULT_WINDOW, check_arguments, target_positions, trace_top_words
from .gradient import GRADIENT, embedding_gradient
from .integrated import INTEGRATED, integrated_gradients
from .occlusion import OCCLUSION
from .registry import METHODS, LinkMethod, method_spec, methods_for, register, unregister
from .retention import RETENTION

__all__ = [
    "DEFAULT_METHOD",
    "DEFAULT_STEPS",
    "DEFAULT_WINDOW",
    "DENSE_LIMIT",
    "METHODS",
    "LinkMethod",
    "embedding_gradient",
    "integrated_gradients",
    "link_rows",
    "links",
    "method_spec",
    "methods_for",
    "register",
    "target_positions",
    "top_links",
    "trace_top_words",
    "unregister",
]

DEFAULT_METHOD = "occlusion"
DENSE_LIMIT = 4096  # longest text links() returns as a dense (T, T) array (64 MB in float32)

for _builtin in (OCCLUSION, INTEGRATED, GRADIENT, RETENTION):  # the default first
    register(_builtin)


def links(
    model: Model,
    trace: Trace,
    method: str = DEFAULT_METHOD,
    rows: Iterable[int] | None = None,
    window: int = DEFAULT_WINDOW,
    steps: int = DEFAULT_STEPS,
) -> np.ndarray:
    """(T, T) lower-triangular links; rows not in `rows` (default: all) stay zero."""
    length = len(trace)
    if length > DENSE_LIMIT:
        gigabytes = length * length * model.dtype.itemsize / 1e9
        raise InputError(
            f"this text has {length} words: a dense links array would take {gigabytes:.1f} GB; "
            "use rnnviz.analysis.links.link_rows(model, trace, rows) for the rows you need"
        )
    targets = target_positions(rows, length)
    out = np.zeros((length, length), dtype=model.dtype)
    out[targets] = link_rows(model, trace, targets, method=method, window=window, steps=steps)
    return out


def link_rows(
    model: Model,
    trace: Trace,
    rows: Iterable[int] | int,
    method: str = DEFAULT_METHOD,
    window: int = DEFAULT_WINDOW,
    steps: int = DEFAULT_STEPS,
) -> np.ndarray:
    """(len(rows), T): row k holds the links of target position rows[k] (negative counts from the end).

    Cost grows with len(rows) × window, not with T², so this is the call for long texts.
    """
    check_arguments(model, trace, window, steps)
    spec = method_spec(method)
    refusal = spec.supports(model)
    if refusal is not None:
        raise InputError(refusal)
    length = len(trace)
    requested = target_positions([rows] if isinstance(rows, int | np.integer) else rows, length)
    if requested.size * length > DENSE_LIMIT * DENSE_LIMIT:
        raise InputError(
            f"{requested.size} rows of {length} words is too large an array: ask for fewer rows at a time"
        )
    targets, where = np.unique(requested, return_inverse=True)
    computed = spec.rows(model, trace, targets, int(window), int(steps))
    totals = computed.sum(axis=1, keepdims=True)
    np.divide(computed, totals, out=computed, where=totals > 0)
    return computed[where.reshape(-1)]


def top_links(row: np.ndarray, tokens: Sequence[str], k: int = 3) -> list[tuple[int, str, float]]:
    """The k strongest links of one row as (position, word, share), strongest first; zero links left out."""
    order = np.argsort(-row, kind="stable")[:k]
    return [(int(s), tokens[s], float(row[s])) for s in order if row[s] > 0]
