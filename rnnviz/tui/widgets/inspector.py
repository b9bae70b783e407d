"""UnitInspector: one unit over the whole sentence (a sparkline) and its gates at the cursor."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.content import Content

from rnnviz.render.colors import DIVERGING, SEQUENTIAL
from rnnviz.render.glyphs import SPARKS
from rnnviz.tui.state.modelview import GATE_LABELS, ModelView
from rnnviz.tui.widgets.predictions import bar
from rnnviz.tui.widgets.textlines import TextLines
from rnnviz.tui.widgets.textutil import fit, visible


def buckets(values: np.ndarray, cells: int) -> tuple[np.ndarray, int]:
    """Values squeezed into at most `cells` buckets (the mean of each), and the words per bucket."""
    count = len(values)
    per = max(1, -(-count // max(1, cells)))  # ceiling division
    starts = np.arange(0, count, per)
    sums = np.add.reduceat(values.astype(np.float64), starts)
    sizes = np.diff(np.append(starts, count))
    return sums / sizes, per


def sparkline(values: np.ndarray, scale: float) -> list[tuple[str, str]]:
    """(character, color) per value: height from −scale (lowest) to +scale (highest); the color
    gives the sign at full strength (the diverging scale's ends), so values near 0 stay visible."""
    heights = np.clip(np.rint((values / scale + 1) / 2 * (len(SPARKS) - 1)), 0, len(SPARKS) - 1)
    ends = (DIVERGING[0], DIVERGING[-1])
    return [(SPARKS[int(h)], ends[int(v >= 0)]) for h, v in zip(heights, values, strict=True)]


class UnitInspector(TextLines):
    """The selected unit's hidden value over the sentence, with the cursor marked, and its gates."""

    COMPONENT_CLASSES = {"inspector--label", "inspector--cursor"}

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.view: ModelView | None = None
        self.step = 0
        self.unit = 0
        self.note: tuple[str, ...] = ()  # lines under the gates: the unit's measured effect

    def show(self, view: ModelView, step: int, unit: int) -> None:
        self.view = view
        self.step = step
        self.unit = min(unit, view.units - 1)
        unknown = " · “" + visible(view.tokens[step]) + "” is <unk>" if step in view.unknown else ""
        self.border_title = Content(f"unit {self.unit}{unknown}")
        self.changed()

    def set_note(self, lines: tuple[str, ...]) -> None:
        """Lines shown under the gates (the effect of silencing the unit); () for none."""
        if lines != self.note:
            self.note = lines
            self.changed()

    def build(self, width: int) -> list[Text]:
        view = self.view
        if view is None:
            return []
        label, cursor = self.looks["inspector--label"], self.looks["inspector--cursor"]
        series = view.hidden[:, self.unit]
        values, per = buckets(series, width)
        lines = [Text("h over the sentence" + (f" ({per:,} words a cell)" if per > 1 else ""), label)]
        spark = Text()
        for char, color in sparkline(values, view.hidden_scale):
            spark.append(char, Style(color=color))
        lines.append(spark)
        at = self.step // per
        word = visible(view.tokens[self.step])
        if self.step in view.unknown:
            word += " (read as <unk>)"
        marker = Text(" " * at)
        marker.append("▲", cursor)
        marker.append(f" {word}" if at + len(word) + 2 <= width else "", label)
        lines.append(marker)
        values_line = f"h {series[self.step]:+.3f}"
        if view.cell_state is not None:
            values_line += f"   c {view.cell_state[self.step, self.unit]:+.3f}"
        lines.append(Text(values_line, label))
        bar_cells = max(1, width - 11)
        for name, gate in view.gates.items():
            value = float(gate[self.step, self.unit])
            diverging, scale = view.gate_scale(name)
            if diverging:
                color = DIVERGING[-1] if value >= 0 else DIVERGING[0]  # the sign, at full strength
                fraction = abs(value) / scale
            else:
                color = SEQUENTIAL[-1]  # the open end of the gate scale, bright on any background
                fraction = value
            line = Text(f"{fit(GATE_LABELS.get(name, name), 3)} {value:+.2f} ", label)
            line.append(bar(fraction, bar_cells), Style(color=color))
            lines.append(line)
        lines += [Text(note, label) for note in self.note]
        return lines
