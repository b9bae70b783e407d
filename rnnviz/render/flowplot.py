"""FlowPlot: gradient-flow curves (rnnviz.analysis.flow) drawn as a log-scale bar chart with Rich, for
`rnnviz render --flow/--compare` and the TUI's flow panel.

Kept apart from rnnviz.analysis.flow so the math (and `import rnnviz`) does not load Rich.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.text import Text

from rnnviz.analysis.flow import FlowCurve, compare_flow, flow_curve
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import InputError
from rnnviz.render.glyphs import EIGHTHS
from rnnviz.text import printable

CURVE_COLORS = {"rnn": "#ea4335", "lstm": "#4285f4", "gru": "#34a853"}
CELL_PATH_COLOR = "#a0c4ff"  # an LSTM's cell path: paler than its hidden path
_NICE_STEPS = [m * 10**k for k in range(7) for m in (1, 2, 5)]
MAX_DECADES = 30.0  # a plot spans at most this many powers of ten, so one collapse cannot flatten the rest


def _format_norm(value: float) -> str:
    if np.isnan(value):
        return "—"
    if value == 0:
        return "0"
    return f"{value:.0e}" if value < 0.01 or value >= 1000 else f"{value:.2f}"


class FlowPlot:
    """A log-scale bar chart of flow against distance: one block of rows per curve, all on one
    vertical scale so models compare at a glance. It fits the width it is given: a few columns per
    distance when there is room, bins of distances (their largest value) when there is not."""

    def __init__(
        self,
        curves: Sequence[FlowCurve],
        height: int = 3,
        plain: bool = False,
        marks: Sequence[int] = (10, 30),
        title: bool = True,
    ):
        if not curves:
            raise InputError("nothing to plot: give at least one flow curve")
        self.curves = list(curves)
        self.height = max(1, height)
        self.plain = plain
        self.marks = tuple(marks)
        self.title = title
        self.top, self.bottom = self._scale()
        self.longest = max(c.norms.shape[0] for c in self.curves)

    def _scale(self) -> tuple[float, float]:
        """Whole powers of ten around every finite value, spanning at most MAX_DECADES."""
        finite = np.concatenate([c.log10_norms[np.isfinite(c.log10_norms)] for c in self.curves])
        if finite.size == 0:
            return 1.0, 0.0
        top = float(np.ceil(finite.max()))
        bottom = float(np.floor(max(finite.min(), top - MAX_DECADES)))
        return top, min(bottom, top - 1)

    def _columns(self, curve: FlowCurve, room: int) -> np.ndarray:
        """The log10 value drawn in each column (NaN: not computed; −inf: nothing arrives)."""
        logs = np.full(self.longest, -np.inf)  # a shorter sentence has no words that far back
        logs[: curve.norms.shape[0]] = curve.log10_norms
        if self.longest <= room:
            return np.repeat(logs, room // self.longest)
        edges = np.linspace(0, self.longest, room + 1).astype(int)
        out = np.empty(room)
        for j in range(room):
            chunk = logs[edges[j] : max(edges[j + 1], edges[j] + 1)]
            out[j] = np.nan if np.isnan(chunk).all() else np.nanmax(chunk)
        return out

    def _eighths(self, value: float) -> int:
        """Bar height in eighths of a character, 0 … 8·height."""
        if not np.isfinite(value):
            return 0
        share = (value - self.bottom) / (self.top - self.bottom)
        return int(np.clip(np.rint(share * 8 * self.height), 0, 8 * self.height))

    def _summary(self, curve: FlowCurve) -> list[str]:
        # d = 0 is always √H, so the summary starts at the first mark.
        lines = [f"d={d} {_format_norm(curve.at(d))}" for d in self.marks if d <= curve.position]
        slope = curve.decades_per_word()
        if np.isfinite(slope):
            lines.append(f"{slope:+.2f} dec/word")
        return lines

    def _color(self, curve: FlowCurve) -> Style:
        if self.plain:
            return Style()
        if curve.of == "cell":
            return Style(color=CELL_PATH_COLOR)
        return Style(color=CURVE_COLORS.get(curve.cell))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        label_width = max(len(printable(c.label)) for c in self.curves) + 1
        axis_labels = (f"1e{int(self.top):+d}", f"1e{int(self.bottom):+d}")
        axis_width = max(map(len, axis_labels)) + 2
        summaries = [self._summary(c) for c in self.curves]
        summary_width = max((len(line) for lines in summaries for line in lines), default=0) + 2
        room = options.max_width - label_width - axis_width
        beside = summary_width > 2 and all(len(s) <= self.height for s in summaries)
        if beside and room - summary_width >= min(self.longest, 24):
            room -= summary_width
        else:
            beside = False
        room = max(room, 4)
        if self.title:
            first = self.curves[0]
            word = printable(first.tokens[-1]) if first.tokens else str(first.position)
            yield Text(
                f"gradient flow at “{word}” (word {first.position + 1}): ‖∂state_t/∂state_s‖ "
                "by distance t − s, log scale",
                style="bold underline",
            )
        for curve, summary in zip(self.curves, summaries, strict=True):
            columns = self._columns(curve, room)
            for row in range(self.height):
                line = Text((printable(curve.label) if row == 0 else "").ljust(label_width), style="bold")
                axis = axis_labels[0] if row == 0 else (axis_labels[1] if row == self.height - 1 else "")
                line.append(axis.rjust(axis_width - 2) + " ┤", style="dim")
                line.append_text(self._bar_row(columns, row, self._color(curve)))
                if beside and row < len(summary):
                    line.append(" " * (room - len(columns)) + "  " + summary[row], style="dim")
                yield line
        yield self._x_axis(label_width + axis_width, room, options.max_width)
        if not beside:
            for curve, summary in zip(self.curves, summaries, strict=True):
                yield Text(f"{printable(curve.label)}: " + " · ".join(summary), style="dim")

    def _bar_row(self, columns: np.ndarray, row: int, style: Style) -> Text:
        """One character row of the bars; `row` 0 is the top. Not-computed columns show a dim dot."""
        below = (self.height - 1 - row) * 8  # eighths drawn by the rows under this one
        text = Text()
        for value in columns:
            if np.isnan(value):
                text.append("·" if row == self.height - 1 else " ", style="dim")
            else:
                text.append(EIGHTHS[int(np.clip(self._eighths(value) - below, 0, 8))], style=style)
        return text

    def _x_axis(self, indent: int, room: int, width: int) -> Text:
        """Distance ticks under the bars, 0 at the left, every ten words (or a multiple of ten)."""
        per_distance = room // self.longest if self.longest <= room else room / self.longest
        columns = int(self.longest * per_distance) if self.longest <= room else room
        ticks = [" "] * columns
        step = next(s for s in _NICE_STEPS if s * per_distance >= 5)  # room for a label and a gap
        for distance in range(0, self.longest, step):
            col = int(distance * per_distance)
            label = str(distance)
            free = all(c == " " for c in ticks[max(0, col - 1) : col + len(label)])
            if free and col + len(label) <= columns:
                ticks[col : col + len(label)] = list(label)
        name = "  distance →"
        fits = indent + columns + len(name) <= width
        return Text(" " * indent + "".join(ticks) + (name if fits else ""), style="dim")


def flow_section(compare: Sequence[str] | None = None, position: int = -1):
    """A render section (model, trace, opts) → FlowPlot; with `compare`, those models on the same words."""

    def section(model: Model, trace: Trace, opts) -> FlowPlot:
        if compare:
            from rnnviz.io.weights import load

            models = {name: load(name) for name in compare}
            curves = compare_flow(models, trace.tokens, position, layer=opts.layer)
        else:
            curves = [flow_curve(model, trace, position, layer=opts.layer)]
            if model.spec.has_cell_state:
                curves.append(flow_curve(model, trace, position, of="cell", layer=opts.layer))
        return FlowPlot(curves, plain=opts.plain)

    return section
