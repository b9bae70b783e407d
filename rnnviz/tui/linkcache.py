"""Memory-link rows already computed, per (trace, method) and target word. No Textual here.

The TUI asks for one row at a time (the cursor's), computed by rnnviz.memory.link_rows in a worker
thread; coming back to a word shows its row at once. A row that could not be computed is kept as
its one-line reason. Only the rows of the most recent traces are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..memory import link_rows
from ..model import Model
from ..trace import Trace

TRACES_KEPT = 8  # a few sentences × methods; older ones are dropped first


@dataclass(frozen=True)
class LinkJob:
    """One row to show: the links of `step` in `trace` by `method`."""

    model: Model
    trace: Trace
    method: str
    step: int


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
            row = link_rows(job.model, job.trace, [job.step], method=job.method)[0]
        except ValueError as err:
            row = str(err).splitlines()[0]
        self.put(job, row)
        with self._lock:
            self.computed += 1
        return row
