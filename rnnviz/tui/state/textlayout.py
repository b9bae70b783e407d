"""A long text wrapped into lines for the text pane, and cursor moves by word and line. No Textual here.

The pane shows tokens in reading order. For a character model every token is one character and sits
in its own cell, with whitespace drawn visibly (`·` a space, `⏎` a newline, which also ends the line,
`⇥` a tab); wrapping breaks anywhere, as a character model reads. For a word model tokens are
separated by a space and a line breaks between tokens. The layout is computed once per (text, width)
and kept as arrays, so the pane draws any line and the cursor moves to any line without a scan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rnnviz.text import printable

WHITESPACE_GLYPHS = {" ": "·", "\n": "⏎", "\t": "⇥", "\r": "␍"}


def glyph(token: str, chars: bool = True) -> str:
    """What a token looks like on screen: whitespace characters drawn visibly (for a character model),
    control characters as escapes."""
    if chars and token in WHITESPACE_GLYPHS:
        return WHITESPACE_GLYPHS[token]
    return printable(token)


def is_whitespace_glyph(token: str) -> bool:
    """Whether a token is drawn as a whitespace mark (the pane dims those)."""
    return token in WHITESPACE_GLYPHS


def _wordish(token: str) -> bool:
    return any(ch.isalnum() or ch == "_" for ch in token)


@dataclass(frozen=True, eq=False)
class TextLayout:
    """Where every token of a text sits when wrapped to `width` cells.

    `starts[k]` is the first token of line k (with `starts[-1] == len(tokens)`), `columns[t]` the
    cell token t starts at, `glyphs[t]` what is drawn for it.
    """

    tokens: tuple[str, ...]
    chars: bool  # a character model's text: one token per character, no separating spaces
    width: int
    glyphs: tuple[str, ...]
    starts: np.ndarray
    columns: np.ndarray

    @classmethod
    def build(
        cls, tokens: Sequence[str], width: int, chars: bool, measure: Callable[[str], int] = len
    ) -> TextLayout:
        """Wrap tokens to `width` cells; `measure` gives the cells a glyph takes (the widget passes the
        terminal's rule, where East Asian wide characters take two)."""
        width = max(1, width)
        tokens = tuple(tokens)
        shapes: dict[str, tuple[str, int]] = {}  # a character text repeats few tokens: measure each once
        glyphs: list[str] = []
        columns = np.empty(len(tokens), dtype=np.int32)
        starts = [0]
        gap = 0 if chars else 1
        column = 0
        for t, token in enumerate(tokens):
            shape = shapes.get(token)
            if shape is None:
                shown = glyph(token, chars)
                shape = shapes[token] = (shown, measure(shown))
            shown, cells = shape
            if column > 0 and column + cells > width:  # does not fit: next line (a too-wide token is cropped)
                starts.append(t)
                column = 0
            glyphs.append(shown)
            columns[t] = column
            column += cells + gap
            if token == "\n" and t + 1 < len(tokens):  # a newline ends its line
                starts.append(t + 1)
                column = 0
        starts.append(len(tokens))
        return cls(tokens, chars, width, tuple(glyphs), np.asarray(starts, dtype=np.int64), columns)

    @property
    def lines(self) -> int:
        return len(self.starts) - 1

    def line_of(self, t: int) -> int:
        """The line token t is on."""
        return int(np.searchsorted(self.starts, t, side="right")) - 1

    def line_tokens(self, line: int) -> range:
        return range(int(self.starts[line]), int(self.starts[line + 1]))

    def move_line(self, t: int, delta: int) -> int:
        """The token `delta` lines away from t, at the same column or the last one before it."""
        line = self.line_of(t)
        target = max(0, min(self.lines - 1, line + delta))
        if target == line:
            return 0 if delta < 0 else len(self.tokens) - 1 if delta > 0 else t
        span = self.line_tokens(target)
        columns = self.columns[span.start : span.stop]
        k = int(np.searchsorted(columns, self.columns[t], side="right")) - 1
        return span.start + max(0, k)

    @cached_property
    def word_starts(self) -> np.ndarray:
        """Tokens where a word begins: for characters, a letter, digit or _ after anything else; for
        word tokens, every token with a letter or digit in it."""
        wordish = np.fromiter((_wordish(tok) for tok in self.tokens), dtype=bool, count=len(self.tokens))
        if not self.chars:
            return np.flatnonzero(wordish)
        begins = wordish.copy()
        begins[1:] &= ~wordish[:-1]
        return np.flatnonzero(begins)

    def move_word(self, t: int, delta: int) -> int:
        """The start of the next (delta > 0) or previous (delta < 0) word; the text's end or start when
        there is none."""
        starts = self.word_starts
        if delta > 0:
            k = int(np.searchsorted(starts, t, side="right"))
            return int(starts[k]) if k < len(starts) else len(self.tokens) - 1
        k = int(np.searchsorted(starts, t, side="left")) - 1
        return int(starts[k]) if k >= 0 else 0
