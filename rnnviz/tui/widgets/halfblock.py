"""Styles for half-block cells: `▀` with the upper unit as foreground and the lower as background,
so one terminal row carries two units. Shared by the heatmaps and the gates panel."""

from __future__ import annotations

from rich.style import Style
from textual.color import Color

UPPER_HALF = "▀"
NO_UNIT = -1  # the lower half of the last row when the number of units is odd
DIM_AMOUNT = 0.72  # how far "not yet read" colors fade toward the background


class HalfBlockStyles:
    """One rich Style per (upper step, lower step, dimmed), built on first use.

    `colors` is a color table from rnnviz.render.colors (the data scale, independent of the theme); the
    background comes from the theme, so a theme change needs a new instance.
    """

    def __init__(self, colors: list[str], background: Color):
        self.background = background
        bright = [Color.parse(c) for c in colors]
        self._colors = {
            False: [c.rich_color for c in bright],
            True: [c.blend(background, DIM_AMOUNT).rich_color for c in bright],
        }
        self._styles: dict[tuple[int, int, bool], Style] = {}

    def get(self, upper: int, lower: int, dim: bool) -> Style:
        key = (upper, lower, dim)
        style = self._styles.get(key)
        if style is None:
            table = self._colors[dim]
            bgcolor = self.background.rich_color if lower == NO_UNIT else table[lower]
            style = self._styles[key] = Style(color=table[upper], bgcolor=bgcolor)
        return style
