"""TextLines: a small widget drawn from a few lines of rich Text through the Line API.

Each line is built as Text (easy to read), turned into a Strip once per change and kept; repaints
reuse the strips. This costs a fraction of returning the Text from render(), which Textual converts,
wraps and measures again on every frame.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from rnnviz.tui.widgets.styles import StyleLookup


class TextLines(Widget):
    """Subclasses implement build(width) -> list[Text], one Text per line, and call changed()."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.looks = StyleLookup(self)
        self._version = 0
        self._strips: tuple[tuple[int, int], list[Strip]] | None = None

    def build(self, width: int) -> list[Text]:
        raise NotImplementedError

    def changed(self) -> None:
        """The content changed: rebuild the lines (and the layout, if their number changed)."""
        before = len(self._strips[1]) if self._strips else -1
        self._version += 1
        after = len(self.strips(self.size.width)) if self.size.width else before
        self.refresh(layout=after != before)

    def strips(self, width: int) -> list[Strip]:
        key = (self._version, width)
        if self._strips is None or self._strips[0] != key:
            base = self.looks.base
            console = self.app.console
            lines = []
            for text in self.build(max(1, width)):
                text.no_wrap, text.overflow, text.end = True, "crop", ""
                strip = Strip(text.render(console)).crop_extend(0, width, base).apply_style(base)
                lines.append(strip)
            self._strips = (key, lines)
        return self._strips[1]

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.looks.refresh():
            self._strips = None

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.strips(width))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        strips = self.strips(width)
        return strips[y] if y < len(strips) else Strip.blank(width, self.looks.base)
