"""Legend: what every color and mark on screen means, one entry per kind of panel shown.

`legend_entries` lists the entries for what is on screen (the state heatmaps with their ranges, the
sigmoid gates, the tanh gates or pre-activation drawn on the state scale, the marks of the cursor,
link tint and unknown words, the saturation scatter's marks); `pack` fits them on lines of a width,
whole entries only. The widget shows as many lines as the layout gives it; `?` shows them all.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from rnnviz.core.cells import SIGMOID_GATES
from rnnviz.render.colors import DIVERGING, SEQUENTIAL
from rnnviz.tui.state.modelview import GATE_LABELS, ModelView

RAMP_CELLS = 7
GAP = "   "
TANH_GATES = {"cell": "g", "new": "n"}  # tanh-valued gates, drawn on the state's diverging scale


def ramp(table: list[str], cells: int = RAMP_CELLS) -> Text:
    """A strip of background colors sampled evenly from a color table."""
    text = Text()
    for k in range(cells):
        text.append(" ", Style(bgcolor=table[round(k * (len(table) - 1) / (cells - 1))]))
    return text


def _entry(*parts: str | Text) -> Text:
    text = Text()
    for part in parts:
        text.append_text(part) if isinstance(part, Text) else text.append(part)
    return text


def _number(value: float) -> str:
    return f"{value:.3g}"


def legend_entries(
    views: Sequence[ModelView],
    *,
    saturation: bool = False,
    cursor: Style | None = None,
    tint: Style | None = None,
) -> list[Text]:
    """One entry per kind of mark on screen, for these views (the first view's ranges come first);
    `cursor` and `tint` are the sentence bar's styles, so the samples look like the real thing."""
    entries: list[Text] = []
    for view in views:
        scale = _number(view.hidden_scale)
        state = _entry(f"{view.name} h −{scale} ", ramp(DIVERGING), f" +{scale}")
        if view.cell_state is not None and len(views) == 1:
            state.append(f" · c ±{_number(view.cell_scale)}")
        entries.append(state)
    names = {name for view in views for name in view.gates}
    gates = Text()
    sigmoid = [GATE_LABELS.get(n, n) for n in GATE_LABELS if n in names and n in SIGMOID_GATES]
    if sigmoid:
        gates = _entry(f"σ {'/'.join(sigmoid)} 0 ", ramp(SEQUENTIAL), " 1")
    diverging = [label for name, label in TANH_GATES.items() if name in names]
    diverging += [f"{view.name} pre" for view in views if "preactivation" in view.gates]
    if diverging:
        gates.append((" · " if gates else "") + f"{'/'.join(diverging)}: −…+ like h")
    if gates:
        entries.append(gates)
    marks = Text()
    marks.append("[w]", cursor or Style(reverse=True, bold=True))
    marks.append(" cursor · ")
    marks.append("w", tint or Style(bgcolor="#7a5200"))
    marks.append(" link tint · faded: unread · ")
    marks.append("w", Style(dim=True, underline=True))
    marks.append(" <unk> · ▀ 2 units")
    entries.append(marks)
    if saturation:
        entries.append(Text("scatter • a unit · 2–9 units · # 10+ · ·· all saturated"))
    return entries


def pack(entries: Sequence[Text], width: int) -> list[Text]:
    """Entries on lines of `width` cells, GAP between entries, an entry never split across lines
    (one wider than the line is cropped on a line of its own)."""
    lines: list[Text] = []
    line = Text()
    for entry in entries:
        if line.cell_len and line.cell_len + len(GAP) + entry.cell_len > width:
            lines.append(line)
            line = Text()
        if line.cell_len:
            line.append(GAP)
        line.append_text(entry)
    if line.cell_len:
        lines.append(line)
    return lines


class Legend(Widget):
    """The legend lines that the layout has room for."""

    COMPONENT_CLASSES = {"legend--label"}

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.entries: list[Text] = []

    def show(self, entries: list[Text]) -> None:
        if [e.plain for e in entries] != [e.plain for e in self.entries]:
            self.entries = entries
            self.refresh()

    def lines(self, width: int) -> list[Text]:
        """The legend on lines of `width` cells (the widget's content width)."""
        return pack(self.entries, max(1, width))

    def render(self) -> Text:
        label = self.get_component_rich_style("legend--label")
        shown = self.lines(self.size.width)[: max(1, self.size.height)]
        text = Text(no_wrap=True, overflow="crop", end="", style=label)
        for k, line in enumerate(shown):
            if k:
                text.append("\n")
            line.truncate(self.size.width, overflow="ellipsis")
            text.append_text(line)
        return text
