"""TitleBar: one line naming the app, the models and the unit order.

Textual's Header asks for a new layout of the whole screen each time its title changes; this
line only repaints itself.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class TitleBar(Widget):
    COMPONENT_CLASSES = {"titlebar--name", "titlebar--detail"}

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.detail = ""

    def show(self, detail: str) -> None:
        if detail != self.detail:
            self.detail = detail
            self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", justify="center", end="")
        text.append("rnnviz", self.get_component_rich_style("titlebar--name"))
        if self.detail:
            # A plain str appended to Text is never parsed as markup: file names show as they are.
            text.append(" — " + self.detail, self.get_component_rich_style("titlebar--detail"))
        return text
