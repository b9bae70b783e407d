"""GatesPanel: the gates at the cursor word, one column per gate, rows aligned with the heatmap.

Rows follow the heatmap's unit order, two units per row with `▀`, and scroll with it (ScrollSync).
Sigmoid gates use the sequential 0..1 scale; tanh-valued ones (LSTM g, GRU n) and an RNN's
pre-activation use the diverging scale.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rnnviz.render.colors import DIVERGING, SEQUENTIAL, diverging_index, sequential_index
from rnnviz.tui.state.modelview import GATE_LABELS, ModelView
from rnnviz.tui.widgets.halfblock import NO_UNIT, UPPER_HALF, HalfBlockStyles
from rnnviz.tui.widgets.heatmap import HEADER_ROWS
from rnnviz.tui.widgets.scrollsync import ScrollSync
from rnnviz.tui.widgets.styles import StyleLookup
from rnnviz.tui.widgets.textutil import fit

COLUMN_WIDTH = 4  # a gap and three colored cells, as in the heatmap


class GatesPanel(ScrollView, can_focus=True, inherit_bindings=False):
    """Gate activations of every unit at one word."""

    COMPONENT_CLASSES = {"gates--header", "gates--selected"}

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.view: ModelView | None = None
        self.step = 0
        self.order = np.zeros(1, dtype=np.intp)
        self.selected = 0
        self._columns: list[tuple[str, bool, np.ndarray]] = []  # (label, diverging?, color steps (H,))
        self._version = 0
        self._line_cache: LRUCache[tuple, Strip] = LRUCache(256)
        self._styles: dict[bool, HalfBlockStyles] = {}
        self._looks = StyleLookup(self)
        self.sync_y: list[ScrollSync] = []

    @property
    def columns_width(self) -> int:
        """Cells the panel's content needs: a marker, the gate columns and a closing gap."""
        gates = len(self.view.gates) if self.view else 1
        return 1 + gates * COLUMN_WIDTH + 1

    def show(self, view: ModelView, step: int, order: np.ndarray, selected: int) -> None:
        """Gates of `view` at word `step`, units listed in `order`."""
        order = np.asarray(order, dtype=np.intp)
        if view is not self.view or not np.array_equal(order, self.order):
            self._version += 1  # lines are keyed by step too, so only this invalidates them
            self._line_cache.clear()
        self.view = view
        self.step = step
        self.order = order
        self.selected = selected
        self._columns = []
        for name, values in view.gates.items():
            diverging, scale = view.gate_scale(name)
            at_step = values[step]
            steps = diverging_index(at_step, scale) if diverging else sequential_index(at_step)
            self._columns.append((GATE_LABELS.get(name, name), diverging, steps))
        rows = (view.units + 1) // 2
        self.virtual_size = Size(self.columns_width, HEADER_ROWS + rows)
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        for sync in self.sync_y:
            sync.moved(self, new_value)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self._looks.refresh():  # the theme or the CSS changed colors: redraw every line
            self._styles = {}
            self._version += 1
            self._line_cache.clear()

    def _half_blocks(self, diverging: bool) -> HalfBlockStyles:
        if diverging not in self._styles:
            table = DIVERGING if diverging else SEQUENTIAL
            self._styles[diverging] = HalfBlockStyles(table, self._looks.background)
        return self._styles[diverging]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._looks.base
        if self.view is None:
            return Strip.blank(width, base)
        units = self.view.units
        if y < HEADER_ROWS:
            key: tuple = ("header", width, self._version)
        else:
            row = self.scroll_offset.y + y - HEADER_ROWS
            if row >= (units + 1) // 2:
                return Strip.blank(width, base)
            upper = int(self.order[2 * row])
            lower = int(self.order[2 * row + 1]) if 2 * row + 1 < units else NO_UNIT
            picked = self.selected in (upper, lower)
            key = (row, width, self.step, picked, self._version)
        strip = self._line_cache.get(key)
        if strip is None:
            strip = self._header_line() if y < HEADER_ROWS else self._unit_line(upper, lower, picked)
            strip = strip.crop_extend(0, width, base)
            self._line_cache[key] = strip
        return strip

    def _header_line(self) -> Strip:
        base = self._looks.base
        header = self._looks["gates--header"]
        segments = [Segment(" ", base)]
        for label, _, _ in self._columns:
            segments.append(Segment(" ", base))
            segments.append(Segment(fit(label, COLUMN_WIDTH - 1), header))
        return Strip(segments)

    def _unit_line(self, upper: int, lower: int, picked: bool) -> Strip:
        base = self._looks.base
        marker = self._looks["gates--selected"]
        segments = [Segment("▸", marker) if picked else Segment(" ", base)]
        blocks = UPPER_HALF * (COLUMN_WIDTH - 1)
        for _, diverging, steps in self._columns:
            low = int(steps[lower]) if lower != NO_UNIT else NO_UNIT
            segments.append(Segment(" ", base))
            segments.append(Segment(blocks, self._half_blocks(diverging).get(int(steps[upper]), low, False)))
        return Strip(segments)
