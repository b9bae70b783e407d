"""Rich styles of a widget looked up once per style change: `rich_style` and component styles are
computed from the CSS on every call, too slow to repeat for every line of every frame."""

from __future__ import annotations

from rich.style import Style
from textual.color import Color
from textual.widget import Widget


class StyleLookup:
    """Cached base and component styles of one widget; call refresh() from notify_style_update."""

    def __init__(self, widget: Widget):
        self.widget = widget
        self._styles: dict[str, Style] = {}
        self._background: Color | None = None

    @property
    def base(self) -> Style:
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.widget.rich_style
        return style

    @property
    def background(self) -> Color:
        if self._background is None:
            self._background = self.widget.background_colors[1]
        return self._background

    def __getitem__(self, component: str) -> Style:
        style = self._styles.get(component)
        if style is None:
            style = self._styles[component] = self.widget.get_component_rich_style(component)
        return style

    def refresh(self) -> bool:
        """Forget the styles; True if they now differ from those looked up before. A focus change
        that only recolors a border leaves them equal, so lines drawn with them can be kept."""
        before, background = dict(self._styles), self._background
        self._styles.clear()
        self._background = None
        if not before or background is None:
            return True
        if self.background != background:
            return True
        return any((self.base if name == "" else self[name]) != style for name, style in before.items())
