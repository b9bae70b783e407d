"""Rich views of `rnnviz cells`: the table of found units, text tinted by one unit, pattern matches."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text

from rnnviz.analysis.cell_discovery import CellReport, UnitScore
from rnnviz.analysis.pattern_search import Match, PatternUnits
from rnnviz.render.colors import DIVERGING, LEVELS, diverging_index
from rnnviz.text import printable

# Whitespace made visible (dim): a tinted space or newline would otherwise show nothing to tint.
VISIBLE = {" ": "·", "\t": "→", "\n": "⏎", "\r": "␍"}
INK = "#f0f0f0"


def _score(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:.3f}"


def _unit(score: UnitScore | None) -> str:
    if score is None:
        return "—"
    return f"{score.name} ({'+' if score.sign > 0 else '−'})"


def cells_table(report: CellReport, top: int) -> Table:
    """One row per property: the best units chosen on the fitting part, their held-out scores, the
    untrained baseline's best and the gain over it."""
    where = "all layers" if report.layer is None else f"layer {report.layer}"
    table = Table(
        title=f"units that track the text ({report.state} state, {where})",
        caption=f"scores on {report.test_characters} held-out characters (units chosen on "
        f"{report.fit_characters} others) · AUC: max(AUC, 1−AUC), sign in brackets · baseline: untrained, "
        "same size",
    )
    table.add_column("property")
    table.add_column("metric", style="dim")
    table.add_column("best unit(s)")
    table.add_column("held-out", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("gain", justify="right")
    for result in report.properties:
        if not result.units:
            table.add_row(result.name, result.metric, Text(result.note, style="dim"), "—", "—", "—")
            continue
        best = result.units[:top]
        units = ", ".join(_unit(u) for u in best)
        held_out = " ".join(_score(u.score) for u in best)
        baseline = (
            "—" if result.baseline is None else f"{_score(result.baseline.score)} ({result.baseline.name})"
        )
        gain = result.gain
        style = "bold green" if gain >= 0.1 else ("yellow" if gain > 0 else "red")
        table.add_row(
            result.name,
            result.metric,
            units,
            held_out,
            baseline,
            Text("—" if not math.isfinite(gain) else f"{gain:+.3f}", style=style),
        )
    return table


def _styles() -> list[Style]:
    return [Style(color=INK, bgcolor=colour) for colour in DIVERGING]


def tinted_text(text: str, values: np.ndarray, scale: float, title: str) -> Group:
    """`text` with each character's background coloured by `values` on the diverging scale (±scale),
    whitespace shown dim (· → ⏎), control characters escaped, and a legend."""
    styles = _styles()
    levels = diverging_index(values, scale)
    body = Text()
    for ch, level in zip(text, levels.tolist(), strict=True):
        style = styles[level]
        if ch in VISIBLE:
            body.append(VISIBLE[ch], style=style + Style(dim=True))
            if ch == "\n":
                body.append("\n")
        else:
            body.append(printable(ch), style=style)
    return Group(Text(title, style="bold"), body, colour_legend(scale))


def colour_legend(scale: float) -> Text:
    """−scale … 0 … +scale on the diverging colours."""
    legend = Text("scale ")
    legend.append(f"{-scale:+.2f} ")
    for colour in DIVERGING[:: max(1, LEVELS // 16)]:
        legend.append(" ", style=Style(bgcolor=colour))
    legend.append(f" {scale:+.2f}")
    return legend


def _visible(text: str) -> str:
    return "".join(VISIBLE.get(ch, printable(ch)) for ch in text)


def pattern_units_table(pattern: PatternUnits, names: Sequence[str], span_text: str) -> Table:
    table = Table(
        title=f"units on across {pattern.start}:{pattern.end} “{_visible(span_text)}” and off just before"
    )
    table.add_column("unit")
    table.add_column("inside − before", justify="right")
    table.add_column("threshold", justify="right")
    for unit, score in zip(pattern.units.tolist(), pattern.scores.tolist(), strict=True):
        table.add_row(names[unit], f"{score:.3f}", f"{pattern.thresholds[unit]:.3f}")
    if not pattern.units.size:
        table.add_row(Text("no unit is on across the span and off before it", style="dim"), "—", "—")
    return table


def matches_table(matches: Sequence[Match], title: str) -> Table:
    table = Table(title=title)
    table.add_column("at", justify="right")
    table.add_column("score", justify="right")
    table.add_column("match in context")
    for match in matches:
        context = Text(_visible(match.before), style="dim")
        context.append(_visible(match.text), style="bold reverse")
        context.append(_visible(match.after), style="dim")
        table.add_row(f"{match.start}:{match.end}", f"{match.score:.2f}", context)
    if not matches:
        table.add_row("—", "—", Text("no other place turns the same units on", style="dim"))
    return table
