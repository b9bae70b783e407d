"""Memory-link rows already computed, per (trace, method) and target word. No Textual here.

The TUI asks for one row at a time (the cursor's), computed by rnnviz.analysis.links.link_rows in a worker
thread; coming back to a word shows its row at once. A row that could not be computed is kept as
its one-line reason. Only the rows of the most recent traces are kept.

A row must never keep the screen busy for long, so `link_window` caps how far back it looks: the
largest window (at most memory.DEFAULT_WINDOW) whose estimated cost fits LINK_BUDGET multiply-adds.
The demo models always get the full window; a 1,024-unit LSTM's occlusion row looks ~30 words back.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from rnnviz.analysis.links import DEFAULT_WINDOW, link_rows, method_spec
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import RnnvizError, first_line

TRACES_KEPT = 8  # a few sentences × methods; older ones are dropped first
LINK_BUDGET = 2e9  # multiply-adds one row may cost: ~0.1-0.3 s on a busy 2-core machine
MIN_WINDOW = 16  # fewer words back says too little; a huge model pays for 16 words anyway


def row_cost(model: Model, method: str, words: float) -> float:
    """Estimated multiply-adds of one links row that looks `words` back: the method's own cost model
    (an unknown method is an error, never priced as cheap)."""
    return method_spec(method).cost(model, words, 1)


def link_window(model: Model, method: str, budget: float = LINK_BUDGET) -> int:
    """How many words back a row of `method` may look so that it costs at most `budget`."""
    if row_cost(model, method, DEFAULT_WINDOW) <= budget:
        return DEFAULT_WINDOW
    low, high = MIN_WINDOW, DEFAULT_WINDOW  # the cost grows with the window: bisect for the last fit
    while low < high:
        middle = (low + high + 1) // 2
        if row_cost(model, method, middle) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


@dataclass(frozen=True)
class LinkJob:
    """One row to show: the links of `step` in `trace` by `method`, looking `window` words back."""

    model: Model
    trace: Trace
    method: str
    step: int
    window: int = DEFAULT_WINDOW

    @property
    def words(self) -> int:
        """How many words the row covers (the window, or the sentence so far)."""
        return min(self.window, self.step + 1)

    @property
    def cost(self) -> float:
        return row_cost(self.model, self.method, self.words)


Row = np.ndarray | str  # the row, or why there is none


class LinkCache:
    """Rows keyed by (trace identity, method) → {step: row}; safe to fill from a worker thread."""

    def __init__(self, traces_kept: int = TRACES_KEPT):
        self.traces_kept = traces_kept
        # The trace is kept in the entry so its id() cannot be reused by a new trace while cached.
        self._rows: OrderedDict[tuple[int, str], tuple[Trace, dict[int, Row]]] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # rows computed so far (tests check that a cached row is not computed again)

    def get(self, job: LinkJob) -> Row | None:
        with self._lock:
            entry = self._rows.get((id(job.trace), job.method))
            return None if entry is None else entry[1].get(job.step)

    def put(self, job: LinkJob, row: Row) -> None:
        with self._lock:
            key = (id(job.trace), job.method)
            entry = self._rows.get(key)
            if entry is None:
                entry = self._rows[key] = (job.trace, {})
            entry[1][job.step] = row
            self._rows.move_to_end(key)
            while len(self._rows) > self.traces_kept:
                self._rows.popitem(last=False)

    def compute(self, job: LinkJob) -> Row:
        """The row of a job, from the cache or computed now (slow: call from a worker)."""
        found = self.get(job)
        if found is not None:
            return found
        row: Row
        try:
            row = link_rows(job.model, job.trace, [job.step], method=job.method, window=job.window)[0]
        except RnnvizError as err:
            row = first_line(err)
        self.put(job, row)
        with self._lock:
            self.computed += 1
        return row
