"""StateHeatmap: units (rows) × words (columns) of one state array, drawn with the Line API.

Each terminal row holds two units (`▀`: upper unit as foreground, lower as background). Row 0 is a
header of words that stays put while the rows scroll; a gutter of unit numbers stays put while the
words scroll. Only the visible columns of a row are built, and every built row is kept in an
LRUCache whose key holds every input of that row, so repaints that change nothing cost a lookup.

A word takes a column of COLUMN_WIDTH cells (a gap for the cursor marks, three colored cells). A
character model's text is shown a character per cell (`show(..., column_width=1)`): no gaps, the
header row reads as the text itself, and the cursor column is the last bright one (later columns
fade). Color steps are computed for blocks of columns as they come into view, so showing a
20,000-character run costs what a short one does.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rnnviz.render.colors import DIVERGING, diverging_index
from rnnviz.tui.state.textlayout import glyph
from rnnviz.tui.widgets.halfblock import NO_UNIT, UPPER_HALF, HalfBlockStyles
from rnnviz.tui.widgets.scrollsync import ScrollSync
from rnnviz.tui.widgets.styles import StyleLookup
from rnnviz.tui.widgets.textutil import fit

HEADER_ROWS = 1
LEVEL_BLOCK = 256  # columns whose color steps are computed together, on first sight


def unit_rows(order: np.ndarray) -> np.ndarray:
    """Row of each unit when units are drawn two per row in `order`."""
    rows = np.empty(len(order), dtype=np.intp)
    rows[order] = np.arange(len(order)) // 2
    return rows


class StateHeatmap(ScrollView, can_focus=True, inherit_bindings=False):
    """A (T, H) array as a heatmap with a cursor column; columns after the cursor are dimmed."""

    COLUMN_WIDTH = 4  # one gap cell (where the cursor markers go) and three colored cells per word
    CHARACTER_WIDTH = 1  # a character model's columns: one colored cell per character

    COMPONENT_CLASSES = {
        "heatmap--header",  # words above the columns
        "heatmap--unread",  # words after the cursor
        "heatmap--cursor",  # the cursor word in the header
        "heatmap--marker",  # the thin bars on both sides of the cursor column
        "heatmap--gutter",  # unit numbers
        "heatmap--selected",  # the selected unit's number
    }

    BINDINGS = [
        Binding("pageup", "scroll_rows(-1)", "Rows up", show=False),
        Binding("pagedown", "scroll_rows(1)", "Rows down", show=False),
        Binding("shift+left", "scroll_words(-1)", "Words left", show=False),
        Binding("shift+right", "scroll_words(1)", "Words right", show=False),
    ]

    cursor: reactive[int] = reactive(0, repaint=False)
    selected: reactive[int] = reactive(0, repaint=False)

    class CellClicked(Message):
        """A click on the heatmap: a word (column) and/or a unit (row), None where not hit."""

        def __init__(self, heatmap: StateHeatmap, step: int | None, unit: int | None):
            super().__init__()
            self.heatmap = heatmap
            self.step = step
            self.unit = unit

        @property
        def control(self) -> StateHeatmap:
            return self.heatmap

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.values = np.zeros((1, 1), dtype=np.float32)
        self.tokens: list[str] = [""]
        self.scale = 1.0
        self.column_width = self.COLUMN_WIDTH
        self._level_blocks: dict[int, np.ndarray] = {}  # block -> (H, LEVEL_BLOCK) color steps
        self.order = np.zeros(1, dtype=np.intp)
        self._row_of_unit = np.zeros(1, dtype=np.intp)
        self._version = 0  # bumped whenever something not in the line keys changes
        self._line_cache: LRUCache[tuple, Strip] = LRUCache(1024)
        self._styles: HalfBlockStyles | None = None
        self._looks = StyleLookup(self)
        self.sync_x: list[ScrollSync] = []
        self.sync_y: list[ScrollSync] = []

    # -- data --------------------------------------------------------------------------------
    @property
    def steps(self) -> int:
        return self.values.shape[0]

    @property
    def units(self) -> int:
        return self.values.shape[1]

    @property
    def rows(self) -> int:
        return (self.units + 1) // 2

    @property
    def gutter_width(self) -> int:
        digits = len(str(max(self.units - 1, 0)))
        return 2 * digits + 3  # marker, upper number, space, lower number, space

    @property
    def line_cache(self) -> LRUCache[tuple, Strip]:
        """The rendered-line cache (tests check that repaints hit it)."""
        return self._line_cache

    def show(
        self, values: np.ndarray, tokens: list[str], scale: float, column_width: int | None = None
    ) -> None:
        """Draw a new (T, H) array; tokens label the columns; ±scale spans the color scale;
        column_width is COLUMN_WIDTH (words, the default) or CHARACTER_WIDTH."""
        steps, units = values.shape
        if len(tokens) != steps:
            raise ValueError(f"{len(tokens)} words for {steps} columns")
        self.values = values
        self.tokens = tokens
        self.scale = scale
        self.column_width = column_width or self.COLUMN_WIDTH
        self._level_blocks = {}
        if len(self.order) != units:
            self.order = np.arange(units)
            self._row_of_unit = unit_rows(self.order)
        self.set_reactive(StateHeatmap.cursor, min(self.cursor, steps - 1))
        self.set_reactive(StateHeatmap.selected, min(self.selected, units - 1))
        self._invalidate()
        self.virtual_size = Size(self.gutter_width + steps * self.column_width + 1, HEADER_ROWS + self.rows)

    def _levels(self, unit: int, steps: range) -> list[int]:
        """DIVERGING steps of one unit over a range of columns, from blocks computed on first use."""
        out: list[int] = []
        start = steps.start
        while start < steps.stop:
            block = start // LEVEL_BLOCK
            levels = self._level_blocks.get(block)
            if levels is None:
                chunk = self.values[block * LEVEL_BLOCK : (block + 1) * LEVEL_BLOCK]
                levels = np.ascontiguousarray(diverging_index(chunk, self.scale).T.astype(np.uint8))
                self._level_blocks[block] = levels
            stop = min(steps.stop, (block + 1) * LEVEL_BLOCK)
            out += levels[unit, start - block * LEVEL_BLOCK : stop - block * LEVEL_BLOCK].tolist()
            start = stop
        return out

    def set_order(self, order: np.ndarray) -> None:
        """List units in this order (a permutation of 0..H-1), two per row."""
        if len(order) == len(self.order) and np.array_equal(order, self.order):
            return
        self.order = np.asarray(order, dtype=np.intp)
        self._row_of_unit = unit_rows(self.order)
        self._invalidate()

    def row_of(self, unit: int) -> int:
        return int(self._row_of_unit[unit])

    def _invalidate(self) -> None:
        self._version += 1
        self._line_cache.clear()
        self.refresh()

    def watch_cursor(self) -> None:
        self.refresh()

    def watch_selected(self) -> None:
        self.refresh()

    # -- keeping things in view ----------------------------------------------------------------
    def reveal_cursor(self) -> None:
        """Scroll sideways just enough to show the cursor column and its markers."""
        data_width = self.scrollable_content_region.width - self.gutter_width
        if data_width <= 0:
            return
        left = self.cursor * self.column_width
        right = left + self.column_width + 1
        if left < self.scroll_x:
            self.scroll_to(x=left, animate=False)
        elif right > self.scroll_x + data_width:
            self.scroll_to(x=right - data_width, animate=False)

    def reveal_unit(self, unit: int) -> None:
        """Scroll up or down just enough to show the row of a unit."""
        visible = self.scrollable_content_region.height - HEADER_ROWS
        if visible <= 0 or not 0 <= unit < self.units:
            return
        row = self.row_of(unit)
        if row < self.scroll_y:
            self.scroll_to(y=row, animate=False)
        elif row >= self.scroll_y + visible:
            self.scroll_to(y=row - visible + 1, animate=False)

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        for sync in self.sync_x:
            sync.moved(self, new_value)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        for sync in self.sync_y:
            sync.moved(self, new_value)

    def action_scroll_rows(self, pages: int) -> None:
        page = max(1, self.scrollable_content_region.height - HEADER_ROWS)
        self.scroll_to(y=self.scroll_y + pages * page, animate=False)

    def action_scroll_words(self, direction: int) -> None:
        self.scroll_to(x=self.scroll_x + direction * 4 * self.column_width, animate=False)

    # -- mouse ---------------------------------------------------------------------------------
    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        scroll_x, scroll_y = self.scroll_offset
        step: int | None = None
        unit: int | None = None
        data_x = offset.x - self.gutter_width
        if data_x >= 0:
            t = (scroll_x + data_x) // self.column_width
            step = t if t < self.steps else None
        if offset.y >= HEADER_ROWS:
            row = scroll_y + offset.y - HEADER_ROWS
            if row < self.rows:
                upper = int(self.order[2 * row])
                lower = int(self.order[2 * row + 1]) if 2 * row + 1 < self.units else upper
                # One click picks the upper unit of the row, a second click the lower one.
                unit = lower if self.selected == upper else upper
        self.post_message(self.CellClicked(self, step, unit))

    # -- drawing -------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self._looks.refresh():  # the theme or the CSS changed colors: redraw every line
            self._styles = None
            self._version += 1
            self._line_cache.clear()

    def _half_blocks(self) -> HalfBlockStyles:
        if self._styles is None:
            self._styles = HalfBlockStyles(DIVERGING, self._looks.background)
        return self._styles

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y < HEADER_ROWS:
            key: tuple = ("header", scroll_x, width, self.cursor, self._version)
        else:
            row = scroll_y + y - HEADER_ROWS
            if row >= self.rows:
                return Strip.blank(width, self._looks.base)
            upper = int(self.order[2 * row])
            lower = int(self.order[2 * row + 1]) if 2 * row + 1 < self.units else NO_UNIT
            picked = 1 if self.selected == upper else 2 if self.selected == lower else 0
            key = (row, scroll_x, width, self.cursor, picked, self._version)
        strip = self._line_cache.get(key)
        if strip is None:
            if y < HEADER_ROWS:
                strip = self._header_line(scroll_x, width)
            else:
                strip = self._unit_line(upper, lower, picked, scroll_x, width)
            self._line_cache[key] = strip
        return strip

    def _visible_steps(self, scroll_x: int, data_width: int) -> range:
        first = scroll_x // self.column_width
        last = min(self.steps, (scroll_x + data_width) // self.column_width + 1)
        return range(first, last)

    def _crop_data(self, segments: list[Segment], scroll_x: int, data_width: int, base: Style) -> Strip:
        start = scroll_x - (scroll_x // self.column_width) * self.column_width
        return Strip(segments).crop_extend(start, start + data_width, base)

    def _header_line(self, scroll_x: int, width: int) -> Strip:
        looks = self._looks
        base = looks.base
        gutter = self.gutter_width
        data_width = max(0, width - gutter)
        header, unread, cursor_style = (
            looks["heatmap--header"],
            looks["heatmap--unread"],
            looks["heatmap--cursor"],
        )
        label = Segment(fit("unit", gutter - 1) + " ", looks["heatmap--gutter"])
        segments: list[Segment] = []
        if self.column_width == self.CHARACTER_WIDTH:
            for t in self._visible_steps(scroll_x, data_width):
                style = cursor_style if t == self.cursor else unread if t > self.cursor else header
                segments.append(Segment(fit(glyph(self.tokens[t]), 1), style))
            data = self._crop_data(segments, scroll_x, data_width, base)
            return Strip.join([Strip([label], gutter), data]).crop_extend(0, width, base)
        for t in self._visible_steps(scroll_x, data_width):
            style = cursor_style if t == self.cursor else unread if t > self.cursor else header
            segments.append(Segment(" ", base))
            segments.append(Segment(fit(self.tokens[t], self.column_width - 1), style))
        segments.append(Segment(" ", base))
        data = self._crop_data(segments, scroll_x, data_width, base)
        return Strip.join([Strip([label], gutter), data]).crop_extend(0, width, base)

    def _unit_line(self, upper: int, lower: int, picked: int, scroll_x: int, width: int) -> Strip:
        looks = self._looks
        base = looks.base
        gutter = self.gutter_width
        data_width = max(0, width - gutter)
        digits = (gutter - 3) // 2
        number, chosen = looks["heatmap--gutter"], looks["heatmap--selected"]
        lower_text = str(lower).rjust(digits) if lower != NO_UNIT else " " * digits
        label = [
            Segment("▸" if picked else " ", chosen if picked else number),
            Segment(str(upper).rjust(digits), chosen if picked == 1 else number),
            Segment(" ", number),
            Segment(lower_text, chosen if picked == 2 else number),
            Segment(" ", number),
        ]
        styles = self._half_blocks()
        marker = looks["heatmap--marker"]
        steps = self._visible_steps(scroll_x, data_width)
        upper_levels = self._levels(upper, steps)
        lower_levels = self._levels(lower, steps) if lower != NO_UNIT else [NO_UNIT] * len(steps)
        cursor = self.cursor
        if self.column_width == self.CHARACTER_WIDTH:
            segments = self._character_cells(steps, upper_levels, lower_levels)
            data = self._crop_data(segments, scroll_x, data_width, base)
            return Strip.join([Strip(label, gutter), data]).crop_extend(0, width, base)
        blocks = UPPER_HALF * (self.column_width - 1)
        segments: list[Segment] = []
        for t, up, low in zip(steps, upper_levels, lower_levels, strict=True):
            if t == cursor:
                segments.append(Segment("▕", marker))
            elif t == cursor + 1:
                segments.append(Segment("▏", marker))
            else:
                segments.append(Segment(" ", base))
            segments.append(Segment(blocks, styles.get(up, low, t > cursor)))
        closing = steps.stop == cursor + 1  # the bar after the cursor column sits in the next gap
        segments.append(Segment("▏", marker) if closing else Segment(" ", base))
        data = self._crop_data(segments, scroll_x, data_width, base)
        return Strip.join([Strip(label, gutter), data]).crop_extend(0, width, base)

    def _character_cells(
        self, steps: range, upper_levels: list[int], lower_levels: list[int]
    ) -> list[Segment]:
        """One half-block cell per character, runs of one color joined into one segment."""
        styles = self._half_blocks()
        cursor = self.cursor
        segments: list[Segment] = []
        run, run_style = 0, None
        for t, up, low in zip(steps, upper_levels, lower_levels, strict=True):
            style = styles.get(up, low, t > cursor)
            if style is not run_style:
                if run:
                    segments.append(Segment(UPPER_HALF * run, run_style))
                run, run_style = 0, style
            run += 1
        if run:
            segments.append(Segment(UPPER_HALF * run, run_style))
        return segments
