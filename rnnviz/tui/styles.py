"""Rich styles of a widget looked up once per style change: `rich_style` and component styles are
computed from the CSS on every call, too slow to repeat for every line of every frame."""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


class StyleLookup:
    """Cached base and component styles of one widget; call clear() from notify_style_update."""

    def __init__(self, widget: Widget):
        self.widget = widget
        self._styles: dict[str, Style] = {}

    def clear(self) -> None:
        self._styles.clear()

    @property
    def base(self) -> Style:
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.widget.rich_style
        return style

    def __getitem__(self, component: str) -> Style:
        style = self._styles.get(component)
        if style is None:
            style = self._styles[component] = self.widget.get_component_rich_style(component)
        return style
