"""The orders in which the heatmaps list units. No Textual here.

SORT_MODES is a list on purpose: another view (e.g. "by memory") appends its own SortMode and the
`s` key cycles through it with the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnnviz.tui.state.causalsort import by_effect
from rnnviz.tui.state.memorysort import by_memory
from rnnviz.tui.state.modelview import ModelView
from rnnviz.tui.state.propertysort import by_property, is_character_view


@dataclass(frozen=True)
class SortMode:
    name: str  # shown in the title bar
    description: str  # shown in the help screen
    order: Callable[[ModelView, int], np.ndarray]  # (view, cursor) -> permutation of unit indices
    applies: Callable[[ModelView], bool] = lambda view: True  # `s` skips a mode that does not apply
    short: str = ""  # in the one-line list of orders (the `s` key's help): the name when empty


def by_index(view: ModelView, cursor: int) -> np.ndarray:
    return np.arange(view.units)


def by_magnitude_at_cursor(view: ModelView, cursor: int) -> np.ndarray:
    """Largest |h| at the cursor first; ties keep index order."""
    return np.argsort(-np.abs(view.hidden[cursor]), kind="stable")


SORT_MODES: list[SortMode] = [
    SortMode("index", "units in index order", by_index),
    SortMode("|h| at cursor", "largest |h| at the cursor word first", by_magnitude_at_cursor, short="|h|"),
    SortMode(
        "by memory (probe)",
        "units whose value at the last “it” best tells which animal the subject was (rnnviz units) first — "
        "a probe: what a unit's value tells, not what the model uses (compare its effect in the inspector)",
        by_memory,
        short="memory (probe)",
    ),
    SortMode(
        "by effect at cursor",
        "units whose silencing alone (from the start of the window on) moves the prediction after the "
        "cursor most first; the inspector shows each unit's measured effect",
        by_effect,
        lambda view: not view.model.bidirectional,  # a backward direction has no "from a word on"
        short="effect",
    ),
    SortMode(
        "by property",
        "character models: units that best track a property of the text (p picks it: in a string, "
        "line position, …) first, scored on the text on screen as rnnviz cells does",
        by_property,
        is_character_view,
        short="property",
    ),
]
