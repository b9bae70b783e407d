"""LinksPanel: the three earlier words the prediction after the cursor word leans on most, with shares.

It only draws what it is given: the app computes the row (memory links of the cursor word) in a
worker and calls `show` with the row, or with None while it is being computed, or with a one-line
reason when there is none.
"""

from __future__ import annotations

import textwrap

import numpy as np
from rich.text import Text
from textual.content import Content

from rnnviz.analysis.links import top_links
from rnnviz.tui.widgets.predictions import bar
from rnnviz.tui.widgets.textlines import TextLines
from rnnviz.tui.widgets.textutil import fit, visible

TOP = 3
WORD_CELLS = 9


class LinksPanel(TextLines):
    """Top-3 memory links of the cursor word: word, how many words back, share of the row."""

    DEFAULT_CSS = """
    LinksPanel {
        height: auto;
        padding: 0 1;
    }
    LinksPanel .links--word { color: $foreground; }
    LinksPanel .links--number { color: $foreground 60%; }
    LinksPanel .links--bar { color: $warning; }
    LinksPanel .links--note { color: $foreground 60%; text-style: italic; }
    """
    COMPONENT_CLASSES = {"links--word", "links--number", "links--bar", "links--note"}

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.tokens: list[str] = []
        self.step = 0
        self.method = ""
        self.row: np.ndarray | str | None = None
        self.reach: int | None = None
        self.goal: int | None = None

    def show(
        self,
        tokens: list[str],
        step: int,
        method: str,
        row: np.ndarray | str | None,
        reach: int | None = None,
        goal: int | None = None,
    ) -> None:
        """The links of word `step` by `method`: a row over the words, None (computing) or a reason.
        `reach`: how many words back the row looks when that stops short of the first word; `goal`:
        how far it will look once a worker has extended it (None: it is not being extended)."""
        unchanged = (step, method, reach, goal) == (self.step, self.method, self.reach, self.goal)
        if unchanged and tokens is self.tokens and row is self.row:
            return
        self.tokens, self.step, self.method, self.row = tokens, step, method, row
        self.reach, self.goal = reach, goal
        word = visible(tokens[step]) if 0 <= step < len(tokens) else ""
        self.border_title = Content(f"links at “{word}”")
        # "last N words" would not fit a narrow panel
        if reach is None:
            limit = ""
        elif goal is None:
            limit = f" · {reach} words"
        else:
            limit = f" · {reach} of {goal} words"
        self.border_subtitle = Content(f"{method}{limit} · l")
        self.changed()

    def top(self) -> list[tuple[int, str, float]]:
        """(position, word, share) of the strongest links shown, strongest first."""
        if not isinstance(self.row, np.ndarray):
            return []
        return top_links(self.row[: self.step + 1], self.tokens, TOP)

    def build(self, width: int) -> list[Text]:
        note = self.looks["links--note"]
        if self.row is None:
            lines = [Text("computing…", note)]
        elif isinstance(self.row, str):
            lines = [Text(part, note) for part in textwrap.wrap(visible(self.row), max(8, width))]
        else:
            links = self.top()
            lines = [self._line(s, word, share, width) for s, word, share in links]
            if not links:
                lines = [Text("no earlier word has any influence", note)]
        # Always TOP lines under the column labels: a panel that changes height would move the ones below.
        return [self._labels()] + (lines + [Text("")] * TOP)[:TOP]

    def _labels(self) -> Text:
        """The columns' names: the word, how many words back it is ("here": the cursor word), its share."""
        # 19 cells, as a row's word, distance and share: "share" starts a cell left of "98%".
        return Text(f"{'word':<{WORD_CELLS - 1}}{'back':>5} share", self.looks["links--number"])

    def _line(self, position: int, word: str, share: float, width: int) -> Text:
        looks = self.looks
        back = self.step - position
        line = Text()
        line.append(fit(word, WORD_CELLS), looks["links--word"])
        line.append(f"{('−' + str(back)) if back else 'here':>5} {share:4.0%} ", looks["links--number"])
        line.append(bar(share, max(1, width - WORD_CELLS - 11)), looks["links--bar"])
        return line
