"""SaturationPanel: how often each unit's gates sit shut (< 0.1) or wide open (> 0.9), per gate.

One scatter per gate (rnnviz.render.saturation.SaturationPlot: a mark per unit, x = share shut, y = share
open), for every gated model on screen; a plain RNN gets a one-line note. Modes, cycled by `G`: off,
over the sentence on screen, over CORPUS_SENTENCES demo-corpus sentences. Computed in a worker:
a corpus takes a few hundred model runs, and a 100,000-word sentence is a lot of gate values.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from rnnviz.analysis.saturation import (
    HIGH,
    LOW,
    Saturation,
    corpus_saturation,
    gate_saturation,
)
from rnnviz.core.cells import GATE_NAMES, SIGMOID_GATES
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import RnnvizError, first_line
from rnnviz.render.saturation import SaturationPlot
from rnnviz.tui.latest import Latest, cancelled
from rnnviz.tui.state.viewstate import EMPTY, ViewState

SATURATION_MODES = ("off", "the sentence", "the demo corpus")
CORPUS_SENTENCES = 200
CORPUS_SEED = 0
SCATTER_COLUMNS, SCATTER_ROWS = 15, 6  # small scatters: the panel shares the screen with the heatmaps
GATE_WIDTH = 27  # one scatter column of SaturationPlot, with its summary lines and the gap after it
RNN_NOTE = "a plain RNN has no gates to saturate: its state is rewritten at every word (try m or c)"


@dataclass(frozen=True)
class SaturationRequest:
    views: list[tuple[str, Model, Trace, int]]  # (name, model, run, layer)
    key: tuple  # the view state it belongs to


class SaturationPanel(Static, can_focus=False):
    """Saturation scatters of the gated models on screen (see the module docstring)."""

    DEFAULT_CSS = """
    SaturationPanel {
        height: auto;
        max-height: 24;
        width: 1fr;
        overflow-y: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__("", id=id, classes=classes)
        self.mode = 0
        self.state = EMPTY
        self.results: list[tuple[str, Saturation | str]] = []  # (model name, result or why there is none)
        self.shown_key: tuple | None = None
        self._asked_key: tuple | None = None
        self._corpus: dict[tuple[int, int], Saturation] = {}  # (id(model), layer) -> corpus result
        self.latest: Latest[SaturationRequest, list[tuple[str, Saturation | str]]] = Latest(
            self, self._compute, self._show, group="saturation", description="gate saturation"
        )

    @property
    def widest(self) -> int:
        """Cells the widest plot needs (its gates side by side), for a layout beside other panels."""
        gates = max((_sigmoid_gates(v.model) for v in self.state.views), default=0)
        return gates * GATE_WIDTH + 4 if gates else len(RNN_NOTE) // 2 + 4

    def cycle(self, state: ViewState) -> None:
        """Next mode: off → the sentence → the demo corpus → off."""
        self.mode = (self.mode + 1) % len(SATURATION_MODES)
        self.display = self.mode != 0
        if self.mode:
            if not self.results:
                self.border_title = Content("gate saturation")
                self.update(Text("computing…", style="dim"))
            self.follow(state)
        else:
            self.latest.cancel()
            self._asked_key = None

    def current_key(self) -> tuple:
        state = self.state
        return (self.mode, state.text, tuple(id(v) for v in state.views))

    def follow(self, state: ViewState) -> None:
        """Ask for the scatters of a view state, unless they are shown or asked for already."""
        self.state = state
        if not self.mode or not self.is_mounted:
            return
        key = self.current_key()
        if key == self.shown_key:
            if self.latest.busy:
                self.latest.cancel()
            self._asked_key = None
        elif key != self._asked_key:
            self._asked_key = key
            views = [(v.name, v.model, v.trace, v.layer) for v in state.views]
            self.latest.request(SaturationRequest(views, key))

    def on_latest_done(self, message: Latest.Done) -> None:
        message.latest.finish(message)

    def _compute(self, request: SaturationRequest) -> list[tuple[str, Saturation | str]]:
        """(worker thread) each model's result, or why there is none."""
        results: list[tuple[str, Saturation | str]] = []
        for name, model, trace, layer in request.views:
            if cancelled():
                break
            if model.cell == "rnn":
                results.append((name, RNN_NOTE))
                continue
            try:
                if request.key[0] == 1:
                    results.append((name, gate_saturation(trace, layer=layer)))
                else:
                    results.append((name, self._corpus_result(model, layer)))
            except RnnvizError as err:  # e.g. a model whose vocabulary cannot read the demo corpus
                results.append((name, first_line(err)))
        return results

    def _corpus_result(self, model: Model, layer: int) -> Saturation:
        cache_key = (id(model), layer)
        if cache_key not in self._corpus:
            self._corpus[cache_key] = corpus_saturation(
                model, n=CORPUS_SENTENCES, seed=CORPUS_SEED, layer=layer
            )
        return self._corpus[cache_key]

    def _show(self, request: SaturationRequest, results: list[tuple[str, Saturation | str]]) -> None:
        key = request.key
        self.shown_key, self._asked_key = key, None
        self.results = results
        measured = next((r for _, r in results if isinstance(r, Saturation)), None)
        over = SATURATION_MODES[key[0]] + (f" ({measured.words:,} words)" if measured else "")
        self.border_title = Content(
            f"gate saturation over {over} · a mark per unit: x share < {LOW:g}, y share > {HIGH:g}"
        )
        self.border_subtitle = Content(f"G: {SATURATION_MODES[(key[0] + 1) % len(SATURATION_MODES)]}")
        self.update(Group(*compact_plots(results)))


def compact_plots(results: list[tuple[str, Saturation | str]]) -> list[RenderableType]:
    """Each model's scatters side by side, without the explanations the panel's title already gives."""
    parts: list[RenderableType] = []
    for name, result in results:
        if len(results) > 1:
            parts.append(Text(name, style="bold"))
        if isinstance(result, str):
            parts.append(Text(result, style="dim"))
            continue
        plot = SaturationPlot(result, columns=SCATTER_COLUMNS, rows=SCATTER_ROWS)
        parts.append(Columns([plot.scatter(gate) for gate in result.gates.values()], padding=(0, 3)))
    return parts


def _sigmoid_gates(model: Model) -> int:
    return sum(name in SIGMOID_GATES for name in GATE_NAMES[model.cell])
