"""FlowPanel: the vanishing gradient at the cursor, ‖∂h_cursor/∂h_s‖ against distance on a log scale.

The panel draws curves it is given (`show_curves`); `FlowWatcher` keeps them in step with the app:
on a cursor move or a new model/sentence it computes them in a worker thread (flowview.cursor_flow
on the runs the app holds), so a keypress never waits. Modes, cycled by `g`: off, the models on
screen (compare mode: both), and the bundled RNN, LSTM and GRU together on the same sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rich.console import RenderableType
from rich.text import Text
from textual.content import Content
from textual.widget import Widget

from rnnviz.analysis.flow import FlowCurve
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import RnnvizError
from rnnviz.render.flowplot import FlowPlot
from rnnviz.tui.latest import Latest, cancelled
from rnnviz.tui.state.flowview import FlowSource, bundled_model, by_cell, cursor_flow, plan_flow
from rnnviz.tui.state.viewstate import EMPTY, ViewState
from rnnviz.tui.widgets.textutil import visible

FLOW_MODES = ("off", "models on screen", "rnn, lstm and gru")
BUNDLED_CELLS = ("rnn", "lstm", "gru")


class FlowPanel(Widget):
    """A FlowPlot of some curves under a title naming the cursor word.

    New curves repaint the panel; only a change in its number of lines asks for a new layout of
    the screen (Static.update would ask for one every time, i.e. on every cursor move).
    """

    DEFAULT_CSS = """
    FlowPanel {
        height: auto;
        width: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.curves: list[FlowCurve] = []
        self._drawing: RenderableType = Text("")
        self._lines = 1

    def render(self) -> RenderableType:
        return self._drawing

    def show_curves(self, curves: Sequence[FlowCurve], subtitle: str = "") -> None:
        self.curves = list(curves)
        if not self.curves:
            self.show_note("no gradient flow to show")
            return
        first = self.curves[0]
        word = visible(first.tokens[-1]) if first.tokens else str(first.position)
        self.border_title = Content(f"gradient flow at “{word}” · ‖∂state_t/∂state_s‖ by distance, log scale")
        self.border_subtitle = Content(subtitle)
        height = 3 if len(self.curves) <= 2 else 2
        self._draw(FlowPlot(self.curves, height=height, title=False))

    def show_note(self, note: str) -> None:
        self.curves = []
        self.border_title = Content("gradient flow")
        self._draw(Text(note, style="dim"))

    def _draw(self, drawing: RenderableType) -> None:
        self._drawing = drawing
        lines = self._count_lines(drawing)
        self.refresh(layout=lines != self._lines)
        self._lines = lines

    def _count_lines(self, drawing: RenderableType) -> int:
        width = self.content_region.width if self.is_mounted else 0
        if width <= 0:
            return -1  # not laid out yet: the first layout measures it
        console = self.app.console
        return len(console.render_lines(drawing, console.options.update_width(width), pad=False))


@lru_cache(maxsize=4)
def bundled_trace(name: str, text: str) -> Trace:
    """A bundled model's run over the app's text, for the all-three mode (kept for the next cursor)."""
    return bundled_model(name).run(text, decode=False)


@dataclass(frozen=True)
class FlowRequest:
    """Everything one computation of the curves needs, taken on the event loop."""

    sources: list[tuple[str, Model, Trace | None, int]]  # (label, model, trace or None: run it, layer)
    text: str
    cursor: int
    key: tuple  # the view state it belongs to


class FlowWatcher(FlowPanel):
    """A FlowPanel that follows the view state it is given (`follow`): the models, sentence and cursor.

    The curves are computed off the event loop, the latest request winning (rnnviz.tui.latest): keys
    pressed meanwhile replace the request instead of starting computations that would pile up (a
    thread cannot be stopped midway, and on a 1,024-unit model one cursor's flow takes about a second).
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.mode = 0
        self.state = EMPTY
        self.shown_key: tuple | None = None  # the state the curves on screen belong to
        self._asked_key: tuple | None = None  # the state of the newest request
        self.latest: Latest[FlowRequest, tuple[list[FlowCurve], str]] = Latest(
            self, self._curves, self._deliver, group="flow", description="gradient flow at the cursor"
        )

    def cycle(self, state: ViewState) -> None:
        """Next mode: off → models on screen → rnn, lstm and gru → off."""
        self.set_mode((self.mode + 1) % len(FLOW_MODES), state)

    def set_mode(self, mode: int, state: ViewState) -> None:
        """Show the flow in a mode of FLOW_MODES (0: off) for a view state."""
        self.mode = mode % len(FLOW_MODES)
        self.display = self.mode != 0
        if self.mode:
            self.follow(state)
        else:
            self.latest.cancel()
            self._asked_key = None

    def sources(self) -> list[tuple[str, Model, Trace | None, int]]:
        """(label, model, trace or None when it must still be run, layer) for the current mode."""
        views = self.state.views
        found = [(v.name, v.model, v.trace, v.layer) for v in views]
        if self.mode == 2:
            cells = {v.model.cell for v in views}
            found += [(name, bundled_model(name), None, -1) for name in BUNDLED_CELLS if name not in cells]
        return found

    def current_key(self) -> tuple:
        state = self.state
        return (self.mode, state.cursor, state.text, tuple(id(v) for v in state.views))

    def follow(self, state: ViewState) -> None:
        """Ask for the curves of a view state, unless they are shown or asked for already."""
        self.state = state
        if not self.mode or not self.is_mounted:
            return
        key = self.current_key()
        if key == self.shown_key:  # back where the curves on screen belong: what was asked is stale
            if self.latest.busy:
                self.latest.cancel()
            self._asked_key = None
            return
        if key == self._asked_key:
            return
        if self.shown_key is None or self.shown_key[:1] + self.shown_key[2:] != key[:1] + key[2:]:
            # The curves on screen belong to another sentence, model or mode: never show them as
            # this one's while the new ones are computed. (Another cursor word of the same sentence
            # may stay: the title names the word they are for.)
            self.shown_key = None
            self.show_note("computing…")
        self._asked_key = key
        self.latest.request(FlowRequest(self.sources(), state.text, state.cursor, key))

    def on_latest_done(self, message: Latest.Done) -> None:
        message.latest.finish(message)

    def _deliver(self, request: FlowRequest, result: tuple[list[FlowCurve], str]) -> None:
        self.shown_key, self._asked_key = request.key, None
        self.show_curves(*result)

    @staticmethod
    def _curves(request: FlowRequest) -> tuple[list[FlowCurve], str]:
        curves: list[FlowCurve] = []
        notes: list[str] = []
        runs = []
        for label, model, trace, layer in request.sources:
            if cancelled():
                break
            try:
                trace = trace if trace is not None else bundled_trace(label, request.text)
            except RnnvizError as err:  # a text the bundled model cannot read
                notes.append(f"{label}: {err}")
                continue
            runs.append(FlowSource(label, model, trace, layer))
        mode = request.key[0]
        for source in by_cell(runs) if mode == 2 else runs:
            if cancelled():
                break
            position = min(request.cursor, len(source.trace) - 1)
            plan = plan_flow(source.model, position)
            curves += cursor_flow(source.model, source.trace, position, source.layer, plan, source.label)
            if plan.describe():
                notes.append(f"{source.label}: {plan.describe()}")
        subtitle = " · ".join([*notes, f"g: {FLOW_MODES[(mode + 1) % len(FLOW_MODES)]}"])
        return curves, subtitle
