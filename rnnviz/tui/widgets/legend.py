"""Legend: what the colors and marks of the heatmaps and gates mean, on one line."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from rnnviz.render.colors import DIVERGING, SEQUENTIAL

RAMP_CELLS = 11


def ramp(table: list[str], cells: int = RAMP_CELLS) -> Text:
    """A strip of background colors sampled evenly from a color table."""
    text = Text()
    for k in range(cells):
        text.append(" ", Style(bgcolor=table[round(k * (len(table) - 1) / (cells - 1))]))
    return text


class Legend(Widget):
    """States −max…+max (the max of each heatmap is in its corner), gates 0…1, and the marks."""

    COMPONENT_CLASSES = {"legend--label"}

    def render(self) -> Text:
        label = self.get_component_rich_style("legend--label")
        text = Text(no_wrap=True, overflow="crop", end="")
        text.append("state −max ", label)
        text.append_text(ramp(DIVERGING))
        text.append(" +max   gate 0 ", label)
        text.append_text(ramp(SEQUENTIAL))
        text.append(" 1   ▀ upper/lower unit   ▕▀▀▀▏ cursor   faded: not yet read", label)
        return text
