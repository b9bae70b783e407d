"""The "by property" unit order: units that best track a property of the text on screen first. No Textual.

For a character model, every unit is scored against one property of the current text (in a string,
line position, … from rnnviz.analysis.char_properties) the way `rnnviz cells` scores it: AUC for a
yes/no property, |Pearson r| for a count, on the LSTM cell state c (the hidden state h for other
cells). Scoring a long text takes a fraction of a second, so the app computes it in a worker
(`rank_units`) and publishes the result for the run it belongs to (`publish`); `by_property` reads
what was published for a view's run and keeps index order until then (and for word models).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

from rnnviz.analysis.cell_discovery import signed_scores, strength
from rnnviz.analysis.char_properties import PROPERTIES, YES_NO, char_properties
from rnnviz.core.trace import Trace
from rnnviz.tui.state.modelview import ModelView

DEFAULT_PROPERTY = "in_string"


@dataclass(frozen=True)
class PropertyRanking:
    """Units of one run ordered by how well they track a property (best first), with their scores."""

    property: str
    state: str  # "cell" | "hidden": which state was scored
    order: np.ndarray  # permutation of the unit indices
    scores: np.ndarray  # (H,) AUC (0.5 … 1) or |r| (0 … 1) of each unit; NaN where undefined

    @property
    def metric(self) -> str:
        return "AUC" if PROPERTIES[self.property].kind == YES_NO else "|r|"

    def describe(self) -> str:
        """One line for the title: the property and the best unit's score."""
        best = int(self.order[0])
        score = self.scores[best]
        if not np.isfinite(score):
            return f"{self.property}: not in this text"
        return f"{self.property}: unit {best} best, {self.metric} {score:.2f}"


def is_character_view(view: ModelView) -> bool:
    return view.model.tokenizer == "chars"


def rank_units(view: ModelView, name: str) -> PropertyRanking | str:
    """Score every unit of a character model's run against a property (slow on a long text: call from
    a worker); a one-line reason instead when there is nothing to score."""
    if not is_character_view(view):
        return f"“by property” reads characters: {view.name} reads {view.model.tokenizer}"
    spec = PROPERTIES[name]
    text = "".join(view.tokens)
    target = char_properties(text, [name])[name]
    state = "cell" if view.cell_state is not None else "hidden"
    values = view.cell_state if view.cell_state is not None else view.hidden
    scores = strength(signed_scores(values, target, spec.kind), spec.kind)
    ranked = np.nan_to_num(scores, nan=-1.0)
    order = np.lexsort((np.arange(len(scores)), -ranked))
    return PropertyRanking(name, state, order.astype(np.intp), scores)


# The published ranking of each run: id(trace) -> (a weak reference to the trace, its ranking). The
# weak reference tells a live run from a new one that reuses a dead one's id.
_published: dict[int, tuple[weakref.ref[Trace], PropertyRanking]] = {}
_lock = threading.Lock()


def publish(trace: Trace, ranking: PropertyRanking) -> None:
    """Make `ranking` the order `by_property` gives for this run."""
    with _lock:
        for key, (ref, _) in list(_published.items()):
            if ref() is None:
                del _published[key]
        _published[id(trace)] = (weakref.ref(trace), ranking)


def published(trace: Trace) -> PropertyRanking | None:
    """The ranking published for a run, or None."""
    with _lock:
        found = _published.get(id(trace))
    if found is None or found[0]() is not trace:
        return None
    return found[1]


def by_property(view: ModelView, cursor: int) -> np.ndarray:
    """The published property ranking of the view's run; index order while there is none."""
    ranking = published(view.trace)
    if ranking is not None and len(ranking.order) == view.units:
        return ranking.order
    return np.arange(view.units)
