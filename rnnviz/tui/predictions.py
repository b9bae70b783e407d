"""Predictions: the model's top-k next words after the cursor word, with probability bars."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.widget import Widget

from .modelview import ModelView
from .textutil import fit, visible, width

MAX_K = 10  # the panel shows as many as its height allows, up to this
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(fraction: float, cells: int) -> str:
    """A horizontal bar of `cells` cells filled to `fraction`, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * cells * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(cells)


class Predictions(Widget):
    """As many of the most likely next words as the panel has rows (up to MAX_K)."""

    COMPONENT_CLASSES = {"predictions--word", "predictions--bar", "predictions--number"}

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.view: ModelView | None = None
        self.step = 0

    def show(self, view: ModelView, step: int) -> None:
        self.view = view
        self.step = step
        self.border_title = Content(f"next word after “{visible(view.tokens[step])}”")
        self.refresh()

    def top(self) -> list[tuple[str, float]]:
        if self.view is None:
            return []
        k = max(1, min(MAX_K, self.size.height or MAX_K))
        return self.view.trace.top_next(self.step, k)

    def render(self) -> Text:
        rows = self.top()
        text = Text(no_wrap=True, overflow="crop", end="")
        if not rows:
            return text
        word_cells = min(12, max(width(word) for word, _ in rows))
        bar_cells = max(1, self.size.width - word_cells - 8)
        word_style = self.get_component_rich_style("predictions--word")
        bar_style = self.get_component_rich_style("predictions--bar")
        number_style = self.get_component_rich_style("predictions--number")
        for k, (word, p) in enumerate(rows):
            if k:
                text.append("\n")
            text.append(fit(word, word_cells), word_style)
            text.append(f" {p:5.3f} ", number_style)
            text.append(bar(p, bar_cells), bar_style)
        return text
