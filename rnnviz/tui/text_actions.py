"""TextActions: the app's long-text tools — the wrapped text pane, moves by word and line, the tint
by one unit, and the "by property" unit order. The app owns one (`app.text_view`), calls
`state_changed()` after every change of cursor, unit, order or views, and routes its keys to it.

The pane replaces the one-line sentence bar for a character model (`v` switches for any model).
Tinting reads the run already made; the property ranking runs in a worker (the latest request wins),
so no key re-runs the model or waits for a score.
"""

from __future__ import annotations

from typing import Protocol

from rnnviz.analysis.char_properties import PROPERTIES
from rnnviz.tui.host import MemoryHost
from rnnviz.tui.latest import Latest, cancelled
from rnnviz.tui.state.modelview import ModelView
from rnnviz.tui.state.propertysort import (
    DEFAULT_PROPERTY,
    PropertyRanking,
    by_property,
    is_character_view,
    publish,
    published,
    rank_units,
)
from rnnviz.tui.state.textlayout import TextLayout
from rnnviz.tui.widgets.textpane import TextPane

TINTS = ("hidden", "cell")  # what `u` cycles through (then off); "cell" only for an LSTM
TINT_LABEL = {"hidden": "h", "cell": "c"}

RankRequest = tuple[tuple[ModelView, ...], str]  # the runs to score, and the property
Ranked = list[tuple[ModelView, PropertyRanking | str]]


class TextHost(MemoryHost, Protocol):
    def update_title(self) -> None: ...

    def show_text(self) -> None:
        """Show the text in the sentence bar or the pane, whichever is on."""
        ...

    def choose_sort(self, order: object) -> None:
        """Switch to the sort mode with this order function."""
        ...


class TextActions:
    """The long-text tools of one app (see the module docstring)."""

    def __init__(self, host: TextHost, pane: TextPane) -> None:
        self.host = host
        self.pane = pane
        self.pane_wanted: bool | None = None  # None: the pane for character models; else as `v` chose
        self.tint: str | None = None  # "hidden" | "cell" while the text is tinted by the selected unit
        self.property = DEFAULT_PROPERTY
        self._tinted: tuple = ()  # what the pane's tint shows: (trace, unit, state)
        self.ranker: Latest[RankRequest, Ranked] = Latest(
            host, self._rank, self._ranked, group="property-sort", description="rank units by a property"
        )
        self._asked: tuple = ()

    @property
    def busy(self) -> bool:
        return self.ranker.busy

    @property
    def pane_on(self) -> bool:
        """Whether the text pane stands in for the sentence bar."""
        if self.pane_wanted is not None:
            return self.pane_wanted
        return is_character_view(self.host.view)

    # -- moves ---------------------------------------------------------------------------------
    def word_from(self, cursor: int, delta: int) -> int:
        return self._layout_of_current_text(cursor).move_word(cursor, delta)

    def line_from(self, cursor: int, delta: int) -> int:
        return self._layout_of_current_text(cursor).move_line(cursor, delta)

    def _layout_of_current_text(self, cursor: int) -> TextLayout:
        """The pane's layout, for the text the viewer shows now: a hidden pane keeps the text it was
        last given, so a new sentence is handed to it first (the storm found a move past its end)."""
        tokens = self.host.tokens
        if self.pane.tokens != tokens:
            self.pane.show(tokens, cursor, chars=self.host.view.model.tokenizer == "chars")
        return self.pane.layout

    # -- tint by unit --------------------------------------------------------------------------
    def next_tint(self) -> None:
        """`u`: tint by the selected unit's h, then its c (an LSTM), then no tint."""
        has_cell = self.host.view.cell_state is not None
        choices = [t for t in TINTS if t != "cell" or has_cell]
        position = choices.index(self.tint) if self.tint in choices else -1
        self.tint = choices[position + 1] if position + 1 < len(choices) else None
        if self.tint is not None and not self.pane_on:
            self.pane_wanted = True  # the tint is drawn on the pane: show it
            self.host.show_text()
        self._show_tint()

    def _show_tint(self) -> None:
        view, unit = self.host.view, self.host.selected_unit
        state = self.tint
        if state == "cell" and view.cell_state is None:
            state = self.tint = None
        wanted = (id(view.trace), unit, state) if state is not None else ()
        if wanted == self._tinted and self.pane.tinted == (state is not None):
            return
        self._tinted = wanted
        if state is None:
            self.pane.show_tint(None)
            return
        values = view.hidden if state == "hidden" else view.cell_state
        scale = view.hidden_scale if state == "hidden" else view.cell_scale
        assert values is not None
        unit = min(unit, view.units - 1)
        self.pane.show_tint(values[:, unit], scale, f"unit {unit} {TINT_LABEL[state]}")

    # -- "by property" order -------------------------------------------------------------------
    def next_property(self) -> None:
        """`p`: the next text property for the "by property" order (and switch to that order)."""
        names = list(PROPERTIES)
        self.property = names[(names.index(self.property) + 1) % len(names)]
        self.host.notify(f"by property: {self.property} — {PROPERTIES[self.property].description}", timeout=3)
        if self.host.sort_mode.order is not by_property:
            self.host.choose_sort(by_property)
        else:
            self._request_ranking()

    def sort_detail(self) -> str:
        """What the title adds to "sort: by property": the property and the best unit, or that it is
        being computed."""
        if self.host.sort_mode.order is not by_property:
            return ""
        view = self.host.view
        if not is_character_view(view):
            return " (character models only)"
        ranking = published(view.trace)
        if ranking is None or ranking.property != self.property:
            return f" ({self.property}: scoring…)"
        return f" ({ranking.describe()})"

    def _request_ranking(self) -> None:
        if self.host.sort_mode.order is not by_property:
            return
        needed = []
        for view in self.host.views:
            ranking = published(view.trace)
            if is_character_view(view) and (ranking is None or ranking.property != self.property):
                needed.append(view)
        key = tuple((id(view.trace), self.property) for view in needed)
        if needed and key != self._asked:
            self._asked = key
            self.ranker.request((tuple(needed), self.property))
            self.host.update_title()

    @staticmethod
    def _rank(request: RankRequest) -> Ranked:
        views, name = request
        ranked: Ranked = []
        for view in views:
            if cancelled():
                break
            ranked.append((view, rank_units(view, name)))
        return ranked

    def _ranked(self, request: RankRequest, ranked: Ranked) -> None:
        self._asked = ()
        for view, ranking in ranked:
            if isinstance(ranking, str):
                self.host.notify(ranking, severity="warning", timeout=6)
            else:
                publish(view.trace, ranking)
        self.host.update_title()
        self.host.publish_state()  # the new order

    # -- every change --------------------------------------------------------------------------
    def state_changed(self) -> None:
        """Bring the tint and the property ranking up to date (cheap: reads the run and caches)."""
        if self.tint is not None:
            self._show_tint()
        self._request_ranking()
