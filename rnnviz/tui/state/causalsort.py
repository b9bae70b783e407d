"""The "by effect" unit order: units whose silencing moves the prediction at the cursor most. No Textual.

Where "by memory" ranks units by how well a probe reads the subject animal from their values (what a
unit *tells*), this order is causal: each unit alone is silenced from a start word on
(rnnviz.analysis.counterfactual.silencing_effects, the total variation of the next-token
distribution after the cursor) and the units that move it most come first. On the bundled models the
two disagree: silencing the probe's top LSTM unit from "cat" on moves the prediction at the last
"it" by about 0.1%, the top unit by effect by over 80%.

The effects are computed in a worker (the app's MemoryActions) per (run, layer, cursor, start) and
kept here; until the cursor's are known, the order of the run's last known effects stays on screen,
so the rows do not jump back to index order on every step.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from rnnviz.analysis.counterfactual import silencing_effects
from rnnviz.core.cells import GATE_COUNT
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.tui.state.modelview import ModelView

EFFECT_BUDGET = 4e9  # multiply-adds one cursor's effects may cost (~0.5 s on a busy 2-core machine)
DEFAULT_WINDOW = 256  # words back the silencing starts at most (the links window's default)
KEPT = 64  # cursors' effects kept


@dataclass(frozen=True)
class EffectJob:
    """One cursor's effects: every unit of `layer` silenced alone from `start` on, measured at `at`."""

    model: Model = field(compare=False)
    trace: Trace = field(compare=False)
    layer: int
    at: int
    start: int
    run: int  # id of the trace: the job's identity with layer, at and start

    @property
    def key(self) -> tuple[int, int, int, int]:
        return (self.run, self.layer, self.at, self.start)


def effect_window(model: Model, budget: float = EFFECT_BUDGET) -> int:
    """How many words (the cursor's included) the silencing may span for one cursor's ranking."""
    hidden = model.hidden_size
    inputs = model.embedding.shape[1]
    # Per word: every unit's column through one step of each layer from the silenced one up.
    per_word = hidden * GATE_COUNT[model.cell] * hidden * (hidden + inputs) * model.num_layers
    decoder = hidden * hidden * len(model.vocab)
    words = int((budget - decoder) // max(per_word, 1))
    return int(np.clip(words, 1, DEFAULT_WINDOW))


def effect_job(view: ModelView, cursor: int) -> EffectJob:
    """The job for a view at a cursor: silenced from the start of the window ending at the cursor."""
    at = min(cursor, view.steps - 1)
    start = max(0, at + 1 - effect_window(view.model))
    return EffectJob(view.model, view.trace, view.layer % view.model.num_layers, at, start, id(view.trace))


class EffectCache:
    """Computed effects by job key, and the last computed per (run, layer). Written from a worker
    thread, read on the event loop."""

    def __init__(self) -> None:
        # key -> (the run it was measured on, effects): the run is checked on every read, since an id
        # may be reused by a later run once the first is gone.
        self._found: OrderedDict[tuple[int, int, int, int], tuple[weakref.ref, np.ndarray]] = OrderedDict()
        self._last: dict[tuple[int, int], tuple[weakref.ref, np.ndarray]] = {}
        self._lock = threading.Lock()

    def get(self, job: EffectJob) -> np.ndarray | None:
        with self._lock:
            return _alive(self._found.get(job.key), job.trace)

    def last(self, view: ModelView) -> np.ndarray | None:
        """The most recent effects of this run and layer (another cursor's, perhaps)."""
        with self._lock:
            return _alive(self._last.get((id(view.trace), view.layer % view.model.num_layers)), view.trace)

    def compute(self, job: EffectJob, stop=None) -> np.ndarray | None:
        found = self.get(job)
        if found is not None:
            return found
        effects = silencing_effects(job.model, job.trace, job.at, job.start, job.layer, stop=stop)
        if effects is None:
            return None
        entry = (weakref.ref(job.trace), effects)
        with self._lock:
            self._found[job.key] = entry
            self._found.move_to_end(job.key)
            while len(self._found) > KEPT:
                self._found.popitem(last=False)
            self._last[(job.run, job.layer)] = entry
        return effects


def _alive(entry: tuple[weakref.ref, np.ndarray] | None, trace: Trace) -> np.ndarray | None:
    return entry[1] if entry is not None and entry[0]() is trace else None


EFFECTS = EffectCache()


def by_effect(view: ModelView, cursor: int) -> np.ndarray:
    """Units by their measured effect at the cursor, largest first (ties: index order); while the
    cursor's effects are computed, the run's last known order; index order before any."""
    effects = EFFECTS.get(effect_job(view, cursor))
    if effects is None:
        effects = EFFECTS.last(view)
    if effects is None or len(effects) != view.units:
        return np.arange(view.units)
    return np.argsort(-effects, kind="stable")
