"""Memory-link rows already computed, per (trace, method) and target word. No Textual here.

The TUI asks for one row at a time (the cursor's), computed by rnnviz.analysis.links.link_rows in a worker
thread; coming back to a word shows its row at once. A row that could not be computed is kept as
its one-line reason. Only the rows of the most recent traces are kept.

A row must never keep the screen busy for long, so `link_window` caps how far back it looks at
first: the largest window (at most DEFAULT_WINDOW) whose estimated cost fits LINK_BUDGET
multiply-adds. The demo models always get the full window; a 1,024-unit LSTM's occlusion row looks
~30 words back at first. A method that computes rows in pieces (LinkMethod.piece) then has its row
extended backwards (`extend`, from a worker while the cursor rests), each piece covering about as many
earlier words as the row already does, until it reaches DEFAULT_WINDOW words; the cache keeps the
unnormalized links of a partial row so that every piece, and coming back to the word, continues it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnnviz.analysis.links import DEFAULT_WINDOW, link_rows, method_spec
from rnnviz.analysis.links.common import check_arguments
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

    @property
    def full_words(self) -> int:
        """How many words the row covers once extended as far as it goes."""
        extends = method_spec(self.method).piece is not None
        return min(DEFAULT_WINDOW if extends else self.window, self.step + 1)


Row = np.ndarray | str  # the row, or why there is none


@dataclass
class _Partial:
    """A row computed for the sources first..step so far: the unnormalized links and the shown row."""

    raw: np.ndarray  # (T,) on the method's own scale
    first: int
    row: np.ndarray  # raw normalized to sum to 1 (all zero while nothing has any influence)

    @classmethod
    def of(cls, raw: np.ndarray, first: int) -> _Partial:
        total = raw.sum()
        return cls(raw, first, raw / total if total > 0 else raw.copy())


class LinkCache:
    """Rows keyed by (trace identity, method) → {step: row}; safe to fill from a worker thread."""

    def __init__(self, traces_kept: int = TRACES_KEPT):
        self.traces_kept = traces_kept
        # The trace is kept in the entry so its id() cannot be reused by a new trace while cached.
        self._rows: OrderedDict[tuple[int, str], tuple[Trace, dict[int, Row]]] = OrderedDict()
        self._partial: dict[tuple[int, str, int], _Partial] = {}  # rows that can still be extended
        self._lock = threading.Lock()
        self.computed = 0  # rows computed so far (tests check that a cached row is not computed again)
        self.pieces = 0  # extensions computed so far

    def get(self, job: LinkJob) -> Row | None:
        with self._lock:
            entry = self._rows.get((id(job.trace), job.method))
            return None if entry is None else entry[1].get(job.step)

    def reach(self, job: LinkJob) -> int | None:
        """How many words the cached row of a job covers (None: no row, or a reason instead of one)."""
        with self._lock:
            partial = self._partial.get((id(job.trace), job.method, job.step))
            if partial is not None:
                return job.step - partial.first + 1
            entry = self._rows.get((id(job.trace), job.method))
            row = None if entry is None else entry[1].get(job.step)
        return None if row is None or isinstance(row, str) else job.words

    def put(self, job: LinkJob, row: Row) -> None:
        with self._lock:
            key = (id(job.trace), job.method)
            entry = self._rows.get(key)
            if entry is None:
                entry = self._rows[key] = (job.trace, {})
            entry[1][job.step] = row
            self._rows.move_to_end(key)
            while len(self._rows) > self.traces_kept:
                trace_id, method = self._rows.popitem(last=False)[0]
                for gone in [k for k in self._partial if k[:2] == (trace_id, method)]:
                    del self._partial[gone]

    def _put_partial(self, job: LinkJob, partial: _Partial) -> None:
        with self._lock:
            self._partial[(id(job.trace), job.method, job.step)] = partial
        self.put(job, partial.row)

    def compute(self, job: LinkJob) -> Row:
        """The row of a job, from the cache or computed now (slow: call from a worker)."""
        found = self.get(job)
        if found is not None:
            return found
        row: Row
        piece = method_spec(job.method).piece
        try:
            if piece is None:
                row = link_rows(job.model, job.trace, [job.step], method=job.method, window=job.window)[0]
            else:
                row = self._first_piece(job)
        except RnnvizError as err:
            row = first_line(err)
        if isinstance(row, str) or piece is None:
            self.put(job, row)
        with self._lock:
            self.computed += 1
        return row

    def _first_piece(self, job: LinkJob) -> np.ndarray:
        check_arguments(job.model, job.trace, job.window)
        first = job.step - job.words + 1
        raw = np.zeros(len(job.trace), dtype=job.model.dtype)
        piece = method_spec(job.method).piece
        assert piece is not None
        values = piece(job.model, job.trace, job.step, first, job.step + 1, None)
        assert values is not None  # nothing asked it to stop
        raw[first : job.step + 1] = values
        partial = _Partial.of(raw, first)
        self._put_partial(job, partial)
        return partial.row

    def extendable(self, job: LinkJob) -> bool:
        """Whether the cached row of a job can be extended further back."""
        reach = self.reach(job)
        return reach is not None and reach < job.full_words

    def extend(self, job: LinkJob, should_stop: Callable[[], bool] | None = None) -> bool:
        """Compute the next piece of a cached partial row (slow: call from a worker): about as many
        earlier words as it covers already, or all the rest when that would leave less than half as
        many. False when there is nothing to extend or should_stop() stopped it."""
        with self._lock:
            partial = self._partial.get((id(job.trace), job.method, job.step))
        piece = method_spec(job.method).piece
        if partial is None or piece is None or not self.extendable(job):
            return False
        covered = job.step - partial.first + 1
        earliest = job.step - job.full_words + 1
        first = max(earliest, partial.first - covered)
        if first - earliest < covered // 2:
            first = earliest
        values = piece(job.model, job.trace, job.step, first, partial.first, should_stop)
        if values is None:
            return False
        raw = partial.raw.copy()
        raw[first : partial.first] = values
        self._put_partial(job, _Partial.of(raw, first))
        with self._lock:
            self.pieces += 1
        return True
