"""SentenceBar: the sentence on one line, the cursor word highlighted.

Only a window of words around the cursor is drawn, so a 100,000-word text costs what a short one
does. `links_row` is the hook for memory links: when it is set (one weight per word, for the words
up to the cursor), earlier words are tinted by how much the current prediction depends on them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from rnnviz.tui.widgets.textutil import visible, width

ELLIPSIS = "… "


def word_window(size: Callable[[int], int], count: int, cursor: int, room: int) -> range:
    """The range of words, containing the cursor, that fits in `room` cells (a space after each word).

    The cursor sits about a third of the way in, so the words just read stay visible. `size(t)` gives
    the cells of word t; only the words near the cursor are measured.
    """
    first = last = cursor
    used = size(cursor) + 1
    left_budget = room // 3
    while first > 0 and used + size(first - 1) + 1 <= left_budget + size(cursor) + 1:
        first -= 1
        used += size(first) + 1
    while last + 1 < count and used + size(last + 1) + 1 <= room:
        last += 1
        used += size(last) + 1
    while first > 0 and used + size(first - 1) + 1 <= room:
        first -= 1
        used += size(first) + 1
    return range(first, last + 1)


class SentenceBar(Widget):
    """The words around the cursor; the cursor word stands out; words not yet read are dim."""

    COMPONENT_CLASSES = {
        "sentence--cursor",
        "sentence--unread",
        "sentence--link",
        "sentence--more",
        "sentence--unknown",
    }

    cursor: reactive[int] = reactive(0)
    links_row: reactive[np.ndarray | None] = reactive(None, always_update=True)

    class WordClicked(Message):
        """A click on word `step` of the sentence."""

        def __init__(self, step: int):
            super().__init__()
            self.step = step

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.tokens: list[str] = [""]
        self.unknown: frozenset[int] = frozenset()  # positions of words the vocabulary read as <unk>
        self._spans: list[tuple[int, int, int]] = []  # (first cell, end cell, word) as last drawn

    def show(self, tokens: list[str], cursor: int, unknown: frozenset[int] = frozenset()) -> None:
        """A new sentence; clears the link tint, which belonged to the old one."""
        self.tokens = tokens
        self.unknown = unknown
        self.set_reactive(SentenceBar.links_row, None)
        self.set_reactive(SentenceBar.cursor, cursor)
        self._update_title()
        self.refresh()

    def watch_cursor(self) -> None:
        self._update_title()

    def _update_title(self) -> None:
        self.border_title = Content(f"word {self.cursor + 1:,} of {len(self.tokens):,}")

    def render(self) -> Text:
        room = max(1, self.size.width)
        count = len(self.tokens)
        cursor = min(self.cursor, count - 1)
        ellipsis = width(ELLIPSIS)
        # The cursor word is drawn in brackets: two cells more than the word.
        shown = word_window(
            lambda t: width(self.tokens[t]) + 2 * (t == cursor), count, cursor, max(1, room - 2 * ellipsis)
        )
        more = self.get_component_rich_style("sentence--more")
        unknown = self.get_component_rich_style("sentence--unknown")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        if shown.start > 0:
            text.append(ELLIPSIS, more)
        tints = self._tints(shown)
        spans: list[tuple[int, int, int]] = []
        for t in shown:
            if t == cursor:
                style = self.get_component_rich_style("sentence--cursor")
            elif t > cursor:
                style = self.get_component_rich_style("sentence--unread")
            else:
                style = tints.get(t, Style())
            if t in self.unknown:
                style = style + unknown
            # Text.append with a plain str never parses markup, so "[bold]" shows as typed.
            word = visible(self.tokens[t])
            start = text.cell_len
            text.append(f"[{word}]" if t == cursor else word, style)
            spans.append((start, text.cell_len, t))
            text.append(" ")
        self._spans = spans
        if shown.stop < count:
            text.append(ELLIPSIS, more)
        return text

    def word_at(self, x: int) -> int | None:
        """The word drawn at cell `x` of the content (None between words), as last drawn."""
        for start, end, t in self._spans:
            if start <= x < end:
                return t
        return None

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        step = self.word_at(offset.x)
        if step is not None:
            event.stop()
            self.post_message(self.WordClicked(step))

    def _tints(self, shown: range) -> dict[int, Style]:
        """Background tint of each shown word before the cursor, from links_row (none when unset)."""
        row = self.links_row
        if row is None:
            return {}
        upto = min(self.cursor + 1, len(row))
        start, stop = shown.start, min(shown.stop, upto)
        if stop <= start:
            return {}
        weights = np.nan_to_num(np.abs(np.asarray(row[start:stop], dtype=np.float64)))
        peak = float(np.abs(np.nan_to_num(np.asarray(row[:upto], dtype=np.float64))).max(initial=0.0))
        if peak <= 0:
            return {}
        link = self.get_component_rich_style("sentence--link", partial=True)
        tint = Color.from_rich_color(link.bgcolor) if link.bgcolor else Color(255, 170, 0)
        background = self.background_colors[1]
        return {
            start + k: link + Style(bgcolor=background.blend(tint, float(w / peak)).rich_color)
            for k, w in enumerate(weights)
            if w > 0
        }
