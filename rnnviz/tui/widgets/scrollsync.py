"""Keep several scrolling views at the same offset along one axis (heatmaps and gates share rows)."""

from __future__ import annotations

from typing import Literal

from textual.widget import Widget


class ScrollSync:
    """When one member scrolls along the axis, the others follow at once (no message round trip,
    so a stale offset can never bounce back)."""

    def __init__(self, axis: Literal["x", "y"]):
        self.axis = axis
        self.members: list[Widget] = []
        self._moving = False

    def add(self, widget: Widget) -> None:
        if widget not in self.members:
            self.members.append(widget)

    def remove(self, widget: Widget) -> None:
        if widget in self.members:
            self.members.remove(widget)

    def moved(self, source: Widget, offset: float) -> None:
        if self._moving:
            return
        self._moving = True
        try:
            for member in self.members:
                if member is not source and member.is_mounted:
                    setattr(member, f"scroll_{self.axis}", offset)
        finally:
            self._moving = False
