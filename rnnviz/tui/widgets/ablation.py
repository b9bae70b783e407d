"""Unit ablation in the TUI: silence units from a word on and show how the prediction changes.

`Ablation` is the state (which units, from which word, and the silenced run once computed);
`silence` computes that run (call it from a worker: it steps through the text one word at a time);
`AblationPanel` shows, at the cursor, the next-word probabilities before → after.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.content import Content

from rnnviz.analysis.counterfactual import ablate, compare_predictions
from rnnviz.core.trace import Trace
from rnnviz.numbers import percent
from rnnviz.tui.state.modelview import ModelView
from rnnviz.tui.widgets.textlines import TextLines
from rnnviz.tui.widgets.textutil import fit, visible

SPAN = 2_000  # words silenced after the start: ablation steps one word at a time, so the span is bounded
SHOWN = 3  # words compared in the panel


@dataclass(frozen=True)
class Ablation:
    """Units of the view's drawn layer silenced from word `start` on."""

    view: ModelView
    units: tuple[int, ...]
    start: int
    silenced: Trace | None = None  # the run with the units silenced, words 0 .. stop − 1

    @property
    def stop(self) -> int:
        return self.start if self.silenced is None else len(self.silenced)

    def describe(self) -> str:
        """Which units are silenced (the panel's title)."""
        return f"silenced: unit{'s' if len(self.units) > 1 else ''} {', '.join(str(u) for u in self.units)}"


def silence(ablation: Ablation) -> Ablation:
    """The ablation with its silenced run: SPAN words from the start (the words before run as usual)."""
    view = ablation.view
    ids = np.asarray(view.trace.ids)[: ablation.start + SPAN]
    silenced = ablate(view.model, ids, ablation.units, ablation.start, layer=view.layer)
    return Ablation(view, ablation.units, ablation.start, silenced)


def total_variation(before: np.ndarray, after: np.ndarray) -> float:
    """½ Σ |p − q|: the share of the prediction that moved to other words."""
    return 0.5 * float(np.abs(before.astype(np.float64) - after).sum())


class AblationPanel(TextLines):
    """Before → after next-word probabilities at the cursor while units are silenced."""

    DEFAULT_CSS = """
    AblationPanel {
        display: none;
        height: auto;
        padding: 0 1;
        border: round $warning;
        border-title-color: $warning;
        border-subtitle-color: $foreground 60%;
        background: $surface;
    }
    AblationPanel .ablation--word { color: $foreground; }
    AblationPanel .ablation--number { color: $foreground 70%; }
    AblationPanel .ablation--up { color: $success; }
    AblationPanel .ablation--down { color: $error; }
    AblationPanel .ablation--note { color: $foreground 60%; text-style: italic; }
    """
    COMPONENT_CLASSES = {
        "ablation--word",
        "ablation--number",
        "ablation--up",
        "ablation--down",
        "ablation--note",
    }

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.ablation: Ablation | None = None
        self.step = 0

    def show(self, ablation: Ablation | None, step: int) -> None:
        if ablation is self.ablation and step == self.step:
            return
        self.ablation, self.step = ablation, step
        if ablation is not None:
            self.border_title = Content(ablation.describe())
            self.border_subtitle = Content("a clears · A adds unit")
        self.changed()

    def rows(self) -> list[tuple[str, float, float]]:
        """(word, p before, p after) at the cursor, most likely first; empty when nothing to compare."""
        ablation = self.ablation
        if ablation is None or ablation.silenced is None or not ablation.start <= self.step < ablation.stop:
            return []
        return compare_predictions(ablation.view.trace, ablation.silenced, self.step, SHOWN)[:SHOWN]

    def build(self, width: int) -> list[Text]:
        ablation = self.ablation
        if ablation is None:
            return []
        looks = self.looks
        note = looks["ablation--note"]
        start = visible(ablation.view.tokens[ablation.start])
        lines: list[Text]
        if ablation.silenced is None:
            lines = [Text("silencing…", note)]
        elif self.step < ablation.start:
            lines = [Text(f"silenced from “{start}” on:", note), Text("move on to see the effect", note)]
        elif self.step >= ablation.stop:
            lines = [
                Text(f"silenced for {SPAN:,} words only:", note),
                Text("move back to see its effect", note),
            ]
        else:
            lines = [Text(f"from “{start}” on · before → after", note)]
            for name, before, after in self.rows():
                line = Text()
                line.append(fit(name, 9), looks["ablation--word"])
                line.append(f" {before:.3f} → {after:.3f} ", looks["ablation--number"])
                if after > before + 5e-4:
                    line.append("▲", looks["ablation--up"])
                elif after < before - 5e-4:
                    line.append("▼", looks["ablation--down"])
                lines.append(line)
            moved = total_variation(ablation.view.trace.probs[self.step], ablation.silenced.probs[self.step])
            lines.append(Text(f"{percent(moved)} of the prediction moved", note))
        # A fixed height: the panels below stay put as the cursor moves.
        return (lines + [Text("")] * (SHOWN + 2))[: SHOWN + 2]
