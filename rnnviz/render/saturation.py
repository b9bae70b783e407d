"""Gate saturation drawn with Rich: one character-grid scatter per gate, and the render section."""

from __future__ import annotations

import numpy as np
from rich.columns import Columns
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.style import Style
from rich.text import Text

from rnnviz.analysis.saturation import GateSaturation, Saturation, corpus_saturation, gate_saturation
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.numbers import percent

GATE_COLORS = {
    "input": "#fbbc05",
    "forget": "#4285f4",
    "output": "#34a853",
    "cell": "#ea4335",
    "reset": "#ea4335",
    "update": "#4285f4",
    "new": "#fbbc05",
}


class SaturationPlot:
    """One character-grid scatter per gate (x: share left-saturated, y: share right-saturated, one
    mark per unit; a digit where several units share a cell), with the summary numbers under it."""

    def __init__(self, saturation: Saturation, columns: int = 21, rows: int = 11, plain: bool = False):
        self.saturation = saturation
        self.columns = max(columns, 3)
        self.rows = max(rows, 3)
        self.plain = plain

    def grid_counts(self, gate: GateSaturation) -> np.ndarray:
        """(rows, columns) units per cell; row 0 is the top (all right-saturated)."""
        cols = np.rint(gate.left * (self.columns - 1)).astype(int)
        rows = self.rows - 1 - np.rint(gate.right * (self.rows - 1)).astype(int)
        counts = np.zeros((self.rows, self.columns), dtype=int)
        np.add.at(counts, (rows, cols), 1)
        return counts

    def scatter(self, gate: GateSaturation) -> Group:
        counts = self.grid_counts(gate)
        s = self.saturation
        style = Style() if self.plain else Style(color=GATE_COLORS.get(gate.name), bold=True)
        name = gate.name + (" (tanh, as (v+1)/2)" if gate.rescaled else "")
        lines = [Text(name, style="bold underline"), Text(f"right >{s.high:g}", style="dim")]
        for row in range(self.rows):
            axis = "1 ┤" if row == 0 else ("0 ┼" if row == self.rows - 1 else "  │")
            line = Text(axis, style="dim")
            for col in range(self.columns):
                k = counts[row, col]
                if k:
                    line.append("•" if k == 1 else (str(k) if k < 10 else "#"), style=style)
                elif self._on_diagonal(row, col):
                    line.append("·", style="dim")  # left + right = 1: every value saturated
                else:
                    line.append(" ")
            lines.append(line)
        lines.append(Text("  " + "─" * self.columns, style="dim"))
        lines.append(Text("  0" + f"left <{s.low:g}".center(self.columns - 2) + "1", style="dim"))
        lines.extend(self.summary(gate))
        return Group(*lines)

    def _on_diagonal(self, row: int, col: int) -> bool:
        """The cell nearest the line left + right = 1 in this row (all values saturated)."""
        return col == round(row * (self.columns - 1) / (self.rows - 1))

    @staticmethod
    def summary(gate: GateSaturation) -> list[Text]:
        """Mean shares over units, and how many units are mostly open or mostly shut."""
        left, middle, right = (percent(float(part.mean())) for part in (gate.left, gate.between, gate.right))
        shares = f"L {left} · mid {middle} · R {right}"
        units = f"open {gate.mostly_right()}/{gate.units} · shut {gate.mostly_left()}/{gate.units}"
        return [Text(shares), Text(units, style="dim")]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        s = self.saturation
        layer = "top layer" if s.layer == -1 else f"layer {s.layer}"
        yield Text(
            f"gate saturation · {s.cell} · {layer} · over {s.source} ({s.words} words)",
            style="bold underline",
        )
        yield Text(
            f"per unit: share of gate values <{s.low:g} (left-saturated) vs >{s.high:g} (right-saturated)",
            style="dim",
        )
        yield Columns([self.scatter(g) for g in s.gates.values()], padding=(0, 3))
        yield Text(
            "• one unit · 2–9 that many units in one cell · # ten or more · L/mid/R: mean shares over units"
            " · open/shut: units right/left-saturated more than half the time",
            style="dim",
        )


def saturation_section(corpus: int | None = None, seed: int = 0):
    """A render section (model, trace, opts): the sentence's gate saturation, or over `corpus`
    demo sentences; a plain RNN gets a one-line note (it has no gates)."""

    def section(model: Model, trace: Trace, opts) -> Text | SaturationPlot:
        if not model.spec.sigmoid_gates:
            return Text("gate saturation: a plain RNN has no gates (try lstm or gru)", style="dim")
        if corpus:
            result = corpus_saturation(model, n=corpus, seed=seed, layer=opts.layer)
        else:
            result = gate_saturation(trace, layer=opts.layer)
        return SaturationPlot(result, plain=opts.plain)

    return section
