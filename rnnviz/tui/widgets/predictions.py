"""Predictions: the model's top-k next words after the cursor word, with probability bars."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from rnnviz.tui.state.modelview import ModelView
from rnnviz.tui.widgets.textlines import TextLines
from rnnviz.tui.widgets.textutil import fit, visible
from rnnviz.tui.widgets.textutil import width as cell_width

MAX_K = 10  # the panel shows as many as its height allows, up to this
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(fraction: float, cells: int) -> str:
    """A horizontal bar of `cells` cells filled to `fraction`, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * cells * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(cells)


class Predictions(TextLines):
    """The MAX_K most likely next words (the panel's height may show fewer)."""

    COMPONENT_CLASSES = {"predictions--word", "predictions--bar", "predictions--number"}

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.view: ModelView | None = None
        self.step = 0

    def show(self, view: ModelView, step: int) -> None:
        self.view = view
        self.step = step
        self.border_title = Content(f"next word after “{visible(view.tokens[step])}”")
        self.changed()

    def top(self) -> list[tuple[str, float]]:
        return [] if self.view is None else self.view.trace.top_next(self.step, MAX_K)

    def build(self, width: int) -> list[Text]:
        rows = self.top()
        if not rows:
            return []
        word_cells = min(12, max(cell_width(word) for word, _ in rows))
        bar_cells = max(1, width - word_cells - 8)
        looks = self.looks
        word_style, number_style = looks["predictions--word"], looks["predictions--number"]
        bar_style = looks["predictions--bar"]
        lines = []
        for word, p in rows:
            line = Text()
            line.append(fit(word, word_cells), word_style)
            line.append(f" {p:5.3f} ", number_style)
            line.append(bar(p, bar_cells), bar_style)
            lines.append(line)
        return lines
