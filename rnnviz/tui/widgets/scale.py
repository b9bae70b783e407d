"""ScaleColumn: the diverging color scale drawn upright, +max at the top and −max at the bottom.

It sits beside the cell-state heatmap, as wide as the gates panel beside the hidden-state one, so
both heatmaps have the same width and their word columns stay aligned when they scroll.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from rnnviz.render.colors import DIVERGING


class ScaleColumn(Widget):
    COMPONENT_CLASSES = {"scale--label"}

    def __init__(self, *, classes: str | None = None):
        super().__init__(classes=classes)
        self.scale = 1.0
        self.border_title = "colours of c"  # a key, not a panel of its own

    def show(self, scale: float) -> None:
        if scale != self.scale:
            self.scale = scale
            self.refresh()

    def render(self) -> Text:
        rows = max(1, self.size.height)
        label = self.get_component_rich_style("scale--label")
        text = Text(no_wrap=True, overflow="crop", end="")
        for row in range(rows):
            if row:
                text.append("\n")
            level = round((1 - row / max(1, rows - 1)) * (len(DIVERGING) - 1))  # top: +max
            text.append("  ")
            text.append("   ", Style(bgcolor=DIVERGING[level]))
            if row == 0:
                text.append(f" +{self.scale:.3g}", label)
            elif row == rows - 1:
                text.append(f" −{self.scale:.3g}", label)
            elif row == (rows - 1) // 2 and rows > 4:
                text.append("  0", label)
        return text
