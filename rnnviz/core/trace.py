"""Trace: everything one run of a model over a sentence produced, as arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnviz.core import display


@dataclass
class Trace:
    tokens: list[str]  # (T,) as typed; nothing added
    ids: np.ndarray  # (T,) int
    # Layer options: D = 2 directions for a bidirectional model ([forward, backward] units at each t, as
    # PyTorch lays out its output; the backward half at t has read tokens T−1…t); H_out = P for an LSTM
    # with projections, else H.
    hidden: np.ndarray  # (L, T, D·H_out): h of every layer after token t
    cell_state: np.ndarray | None  # (L, T, D·H) for an LSTM, else None
    gates: dict[str, np.ndarray]  # name -> (L, T, D·H), [forward, backward] units like hidden
    probs: np.ndarray | None  # (T, V): next-token distribution after token t (None if not decoded)
    cell: str  # "rnn" | "lstm" | "gru": the model's, never assumed
    vocab: list[str] | None = None  # the model's vocabulary, to name predicted words
    labels: list[str] | None = None  # a classifier's class names: then probs (T, K) is over these
    # The Model that ran (typed loosely: model.py imports this module). A notebook's picture of the
    # trace needs it; None for a trace assembled by hand, which then shows its plain repr.
    model: object | None = field(default=None, repr=False, compare=False)

    @property
    def head(self) -> str:
        """ "next-token" or "classifier" (then probs is over `labels`)."""
        return "next-token" if self.labels is None else "classifier"

    def _repr_html_(self) -> str | None:
        """The picture `rnnviz render --html` draws, for Jupyter (see rnnviz.core.display)."""
        return display.html_of(self)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def layers(self) -> int:
        return self.hidden.shape[0]

    @property
    def hidden_size(self) -> int:
        return self.hidden.shape[2]

    def top_next(self, t: int, k: int = 5) -> list[tuple[str, float]]:
        """The k most likely next words (a classifier's classes) after token t, most likely first."""
        names = self.labels if self.labels is not None else self.vocab
        if self.probs is None or names is None:
            return []
        row = self.probs[t]
        k = min(k, row.shape[0])
        best = np.argpartition(-row, k - 1)[:k]
        best = best[np.argsort(-row[best], kind="stable")]
        return [(names[i], float(row[i])) for i in best]
