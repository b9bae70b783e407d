"""TextPane: a long text wrapped into lines, the cursor token highlighted, drawn with the Line API.

It stands in for the one-line SentenceBar on a character model's text (or any long text): the same
`show(tokens, cursor)`, `cursor` and `links_row` (memory links tint earlier tokens), plus a tint by
one unit's activation over the whole page (`show_tint`), Karpathy's figure of a cell that tracks
quotes or line length. Row 0 is a legend that stays put; the text lines scroll below it.

Only the visible lines are drawn. Every drawn line is kept in an LRUCache whose key holds every input
of that line: where the cursor is relative to it (before, after, or at a column), the tint's version,
and (for lines the links tint reaches) the links version. Moving the cursor inside a line therefore
redraws one line, and moving to another line two; the rest are cache hits.
"""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.color import Color
from textual.content import Content
from textual.events import Resize
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rnnviz.render.colors import DIVERGING, diverging_index
from rnnviz.tui.state.textlayout import TextLayout, is_whitespace_glyph
from rnnviz.tui.widgets.legend import ramp
from rnnviz.tui.widgets.styles import StyleLookup

LEGEND_ROWS = 1
LINK_STEPS = 16  # links weights are drawn in this many tint steps, so a style per step is cached
TINT_TEXT = Color(240, 240, 240)  # text on a tinted cell: light on every step of the scale
BEFORE, AFTER = -1, -2  # a line's place relative to the cursor, when the cursor is not on it


class TextPane(ScrollView, can_focus=False):
    """Tokens wrapped into lines; the cursor token stands out; tokens not yet read are dim."""

    DEFAULT_CSS = """
    TextPane {
        height: 11;
        border: round $foreground 30%;
        border-title-color: $foreground 70%;
        padding: 0 1;
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
    }
    TextPane .textpane--cursor { background: $accent; color: $text; text-style: bold; }
    TextPane .textpane--unread { color: $foreground 45%; }
    TextPane .textpane--space { color: $foreground 35%; }
    TextPane .textpane--link { background: $warning; }
    TextPane .textpane--legend { color: $foreground 60%; }
    """

    COMPONENT_CLASSES = {
        "textpane--cursor",
        "textpane--unread",
        "textpane--space",
        "textpane--link",
        "textpane--legend",
    }

    cursor: reactive[int] = reactive(0, repaint=False)
    links_row: reactive[np.ndarray | None] = reactive(None, always_update=True, repaint=False)

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.tokens: list[str] = [""]
        self._tokens_key: tuple[str, ...] = ("",)  # the tokens as the layout holds them
        self.chars = True
        self._layout: TextLayout | None = None
        self._tint: np.ndarray | None = None  # (T,) DIVERGING step of each token, or None
        self._tint_label = ""
        self._tint_version = 0
        self._links_version = 0
        self._link_levels: np.ndarray | None = None  # (cursor + 1,) tint step of each token read
        self._version = 0  # bumped when the text, the width or the styles change
        self._line_cache: LRUCache[tuple, Strip] = LRUCache(512)
        self._looks = StyleLookup(self)
        self._style_cache: dict[tuple, Style] = {}

    # -- data ----------------------------------------------------------------------------------
    @property
    def line_cache(self) -> LRUCache[tuple, Strip]:
        """The rendered-line cache (tests check that repaints hit it)."""
        return self._line_cache

    @property
    def layout(self) -> TextLayout:
        """The text wrapped to the pane's width (built when the width is first known or changes)."""
        width = self.scrollable_content_region.width or 80
        layout = self._layout
        if layout is None or layout.width != width or layout.tokens is not self._tokens_key:
            layout = self._layout = TextLayout.build(self._tokens_key, width, self.chars, cell_len)
            self._version += 1
            self._line_cache.clear()
            self.virtual_size = Size(width, LEGEND_ROWS + layout.lines)
        return layout

    def show(self, tokens: list[str], cursor: int, chars: bool | None = None) -> None:
        """A new text (a character model's when `chars`); clears the links tint, which belonged to the
        old text, and the unit tint."""
        self.tokens = tokens
        if chars is not None:
            self.chars = chars
        self._tokens_key = tuple(tokens)
        self._tint = None
        self._tint_label = ""
        self._tint_version += 1
        self.set_reactive(TextPane.links_row, None)
        self._link_levels = None
        self.set_reactive(TextPane.cursor, min(cursor, len(tokens) - 1))
        self._layout = None
        self._update_title()
        if self.is_mounted:
            self.layout  # noqa: B018 — sizes the virtual area now, so the cursor can be scrolled to
            self.reveal_cursor()
        self.refresh()

    def show_tint(self, values: np.ndarray | None, scale: float = 1.0, label: str = "") -> None:
        """Tint every token by a value (one per token, ±scale on the diverging scale), or stop (None)."""
        if values is None:
            self._tint = None
            self._tint_label = ""
        else:
            self._tint = diverging_index(np.asarray(values), scale).astype(np.uint8)
            self._tint_label = label
        self._tint_version += 1
        self.refresh()

    @property
    def tinted(self) -> bool:
        return self._tint is not None

    def watch_cursor(self) -> None:
        self._update_title()
        if self.is_mounted:
            self.reveal_cursor()
        self.refresh()

    def watch_links_row(self) -> None:
        self._links_version += 1
        self._link_levels = self._links_levels()
        self.refresh()

    def _update_title(self) -> None:
        noun = "character" if self.chars else "word"
        self.border_title = Content(f"{noun} {self.cursor + 1:,} of {len(self.tokens):,}")

    def on_resize(self, event: Resize) -> None:
        self.layout  # noqa: B018 — rewrap to the new width
        self.reveal_cursor()

    def reveal_cursor(self) -> None:
        """Scroll just enough to show the cursor's line (a jump far away puts it a third of the way down)."""
        rows = self.scrollable_content_region.height - LEGEND_ROWS
        if rows <= 0:
            return
        line = self.layout.line_of(self.cursor)
        top = int(self.scroll_y)
        if top <= line < top + rows:
            return
        if line == top - 1 or line == top + rows:  # one line off: scroll by one
            self.scroll_to(y=max(0, line if line < top else line - rows + 1), animate=False)
        else:
            self.scroll_to(y=max(0, line - rows // 3), animate=False)

    # -- drawing -------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self._looks.refresh():
            self._style_cache.clear()
            self._version += 1
            self._line_cache.clear()

    def _links_levels(self) -> np.ndarray | None:
        row = self.links_row
        if row is None:
            return None
        upto = min(self.cursor + 1, len(row))
        weights = np.abs(np.nan_to_num(np.asarray(row[:upto], dtype=np.float64)))
        peak = float(weights.max(initial=0.0))
        if peak <= 0:
            return None
        return np.rint(weights / peak * LINK_STEPS).astype(np.uint8)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        layout = self.layout
        if y < LEGEND_ROWS:
            key: tuple = ("legend", width, self._tint_version, self._version)
        else:
            line = int(self.scroll_y) + y - LEGEND_ROWS
            if line >= layout.lines:
                return Strip.blank(width, self._looks.base)
            span = layout.line_tokens(line)
            place = BEFORE if self.cursor >= span.stop else AFTER if self.cursor < span.start else self.cursor
            linked = self._tint is None and self._link_levels is not None and span.start <= self.cursor
            links = self._links_version if linked else 0
            key = (line, place, self._tint_version, links, width, self._version)
        strip = self._line_cache.get(key)
        if strip is None:
            strip = self._legend_line(width) if y < LEGEND_ROWS else self._text_line(layout, line, width)
            self._line_cache[key] = strip
        return strip

    def _legend_line(self, width: int) -> Strip:
        label = self._looks["textpane--legend"]
        if self._tint is None:
            text = "tint: memory links of the cursor (l method) · u: tint the text by the selected unit"
            segments = [Segment(text, label)]
        else:
            segments = [Segment(f"text tint: {self._tint_label}, −1 blue ", label)]
            segments += [Segment(s.text, s.style) for s in ramp(DIVERGING).render(self.app.console)]
            segments.append(Segment(" +1 red · u: h, c, off", label))
        return Strip(segments).crop_extend(0, width, self._looks.base)

    def _style(self, kind: str, level: int, space: bool) -> Style:
        """The style of one token: kind is "cursor", "read", "unread", "tint" (level: DIVERGING step)
        or "link" (level: links step); `space` dims a whitespace mark."""
        key = (kind, level, space)
        style = self._style_cache.get(key)
        if style is not None:
            return style
        looks = self._looks
        base = looks.base
        if kind == "cursor":
            style = looks["textpane--cursor"]
        elif kind == "tint":
            text = TINT_TEXT.blend(Color.parse(DIVERGING[level]), 0.45) if space else TINT_TEXT
            style = Style(color=text.rich_color, bgcolor=DIVERGING[level])
        elif kind == "link":
            link = looks["textpane--link"]
            tint = Color.from_rich_color(link.bgcolor) if link.bgcolor else Color(255, 170, 0)
            background = looks.background.blend(tint, level / LINK_STEPS)
            style = base + Style(bgcolor=background.rich_color)
            if space:
                style += looks["textpane--space"]
        elif kind == "unread":
            style = base + looks["textpane--unread"]
            if space:
                style += looks["textpane--space"] + looks["textpane--unread"]
        else:
            style = base + looks["textpane--space"] if space else base
        self._style_cache[key] = style
        return style

    def _text_line(self, layout: TextLayout, line: int, width: int) -> Strip:
        span = layout.line_tokens(line)
        cursor = self.cursor
        tint, links = self._tint, self._link_levels
        base = self._looks.base
        gap = "" if layout.chars else " "
        glyphs, tokens = layout.glyphs, layout.tokens
        segments: list[Segment] = []
        run_text: list[str] = []
        run_style: Style | None = None
        for t in span:
            space = layout.chars and is_whitespace_glyph(tokens[t])
            if t == cursor:
                style = self._style("cursor", 0, space)
            elif tint is not None:
                style = self._style("tint", int(tint[t]), space)
            elif t > cursor:
                style = self._style("unread", 0, space)
            elif links is not None and t < len(links) and links[t] > 0:
                style = self._style("link", int(links[t]), space)
            else:
                style = self._style("read", 0, space)
            if style is not run_style:  # runs of one style become one segment
                if run_text:
                    segments.append(Segment("".join(run_text), run_style))
                run_text, run_style = [], style
            run_text.append(glyphs[t])
            if gap:
                segments.append(Segment("".join(run_text), run_style))
                segments.append(Segment(gap, base))
                run_text, run_style = [], None
        if run_text:
            segments.append(Segment("".join(run_text), run_style))
        return Strip(segments).crop_extend(0, width, base)
