"""The guided tour (`t` in the viewer, `rnnviz tour`): six screens on why plain RNNs forget and gates
remember, each with the live views set up to show one idea.

The steps are measured in a worker when the tour opens (tour_steps.build_steps, on the bundled
models) and shown as they arrive; ←/→ move between steps, enter leaves the tour for the viewer on the
step's model and sentence, escape or q leaves it. The views are the viewer's own widgets (ModelPanel,
FlowPanel), so what the tour shows is what the viewer shows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed, get_current_worker

from rnnviz.errors import RnnvizError, first_line
from rnnviz.tui.screens.dialog import Dialog
from rnnviz.tui.state.layout import plan_tour
from rnnviz.tui.state.modelview import ModelView
from rnnviz.tui.state.sorting import SortMode
from rnnviz.tui.state.tour_steps import TOTAL, TourStep, build_steps
from rnnviz.tui.widgets.flow_panel import FlowPanel
from rnnviz.tui.widgets.panel import ModelPanel
from rnnviz.tui.widgets.scrollsync import ScrollSync
from rnnviz.tui.widgets.textutil import visible


class _Measuring:
    """The tour's steps as measured so far in this process, and the measurement that goes on.

    A tour closed before every step is measured (escape a second after `t`) must not throw the work
    away: the next open carries on from the step it reached instead of measuring from the start. One
    generator of steps, taken from by one worker at a time (the lock).
    """

    def __init__(self) -> None:
        self.steps: list[TourStep] = []
        self._source: Iterator[TourStep] | None = None
        self._lock = threading.Lock()

    def next_step(self) -> TourStep | None:
        """(worker thread) The next step, measured now; None when all are measured."""
        with self._lock:
            if len(self.steps) >= TOTAL:
                return None
            if self._source is None:
                self._source = build_steps()
            step = next(self._source, None)
            if step is not None:
                self.steps.append(step)
            return step


_measuring = _Measuring()


@dataclass(frozen=True)
class Explore:
    """What the viewer should show when the user leaves the tour with enter: the step's model,
    sentence and cursor, and what the step set up — its unit order, selected unit and flow panel."""

    model: str
    text: str
    cursor: int
    selected: int = 0
    order: tuple[int, ...] | None = None  # None: the viewer's own order
    order_name: str = ""
    flow_mode: int = 0  # as the viewer's `g`: 0 off, 1 the models on screen, 2 rnn, lstm and gru

    @classmethod
    def of(cls, step: TourStep) -> Explore:
        view = step.views[-1]
        order = None if step.order is None else tuple(int(u) for u in step.order)
        others = {curve.cell for curve in step.flow} - {view.model.cell}
        flow_mode = 0 if not step.flow else 2 if others else 1
        name = f"tour step {step.number}"
        return cls(view.model.cell, " ".join(view.tokens), step.cursor, step.selected, order, name, flow_mode)


class TourSentence(Widget):
    """The whole sentence, wrapped; the cursor word stands out, earlier words are tinted by weight."""

    DEFAULT_CSS = """
    TourSentence {
        height: auto;
        max-height: 6;
        border: round $foreground 30%;
        border-title-color: $foreground 70%;
        padding: 0 1;
    }
    TourSentence .tour-sentence--cursor { text-style: bold reverse; }
    TourSentence .tour-sentence--unread { color: $foreground 45%; }
    TourSentence .tour-sentence--tint { background: $warning; }
    """
    COMPONENT_CLASSES = {"tour-sentence--cursor", "tour-sentence--unread", "tour-sentence--tint"}

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.tokens: list[str] = []
        self.cursor = 0
        self.tint: np.ndarray | None = None

    def show(self, tokens: list[str], cursor: int, tint: np.ndarray | None, label: str) -> None:
        self.tokens, self.cursor, self.tint = tokens, cursor, tint
        where = f"word {cursor + 1} of {len(tokens)}"
        self.border_title = Content(f"{where} · tint: {label}" if label else where)
        self.refresh(layout=True)

    def render(self) -> Text:
        text = Text(end="")
        tint = self.get_component_rich_style("tour-sentence--tint", partial=True)
        tint_color = Color.from_rich_color(tint.bgcolor) if tint.bgcolor else Color(255, 170, 0)
        background = self.background_colors[1]
        for t, token in enumerate(self.tokens):
            if t == self.cursor:
                style = self.get_component_rich_style("tour-sentence--cursor")
            elif t > self.cursor:
                style = self.get_component_rich_style("tour-sentence--unread")
            elif self.tint is not None and t < len(self.tint) and self.tint[t] > 0:
                weight = float(np.clip(self.tint[t], 0.0, 1.0))
                style = Style(bgcolor=background.blend(tint_color, weight).rich_color)
            else:
                style = Style()
            text.append(f"[{visible(token)}]" if t == self.cursor else visible(token), style)
            text.append(" ")
        return text


class TourScreen(Dialog[Explore | None]):
    """One tour step at a time (see the module docstring)."""

    DEFAULT_CSS = """
    TourScreen { background: $background; }
    #tour-title { height: 1; background: $panel; text-align: center; color: $accent; text-style: bold; }
    #tour-text {
        height: auto;
        /* height: set by fit (state.layout.plan_tour); a tiny terminal scrolls the text */
        overflow-y: auto;
        border: round $accent;
        border-title-color: $accent;
        padding: 0 1;
    }
    #tour-text.-borderless { border: none; padding: 0 1; }
    #tour-facts { color: $foreground 85%; }
    #tour-stage { height: 1fr; }
    #tour-stage ModelPanel { height: 1fr; }
    #tour-keys { height: 1; color: $foreground 60%; padding: 0 1; }
    """
    BINDINGS = [
        Binding("right", "move(1)", "Next step"),
        Binding("left", "move(-1)", "Previous step"),
        Binding("enter", "explore", "Explore this step in the viewer"),
        Binding("escape", "leave", "Leave the tour"),
        Binding("q", "leave", "Leave the tour", show=False),
    ]
    AUTO_FOCUS = ""  # nothing focused: the arrows belong to the tour, not to a heatmap

    def __init__(self, leave_note: str = "leave the tour"):
        super().__init__()
        self.steps: list[TourStep] = list(_measuring.steps)
        self.index = 0
        self.leave_note = leave_note
        self.words_sync = ScrollSync("x")
        self.panels: list[ModelPanel] = []
        self.flow_panel = FlowPanel(id="tour-flow")
        self.sentence = TourSentence(id="tour-sentence")

    def compose(self) -> ComposeResult:
        yield Static("", id="tour-title")
        with Vertical(id="tour-text"):
            yield Static("", id="tour-prose")
            yield Static("", id="tour-facts")
        yield self.sentence
        yield Vertical(self.flow_panel, id="tour-stage")
        keys = f"← previous · → next · enter: explore this in the viewer · escape: {self.leave_note}"
        yield Static(keys, id="tour-keys", markup=False)

    def on_mount(self) -> None:
        self.flow_panel.display = False
        self.show_step()
        if len(self.steps) < TOTAL:
            self.measure()
        self._shown_once = True

    def on_screen_resume(self) -> None:
        """Shown again (the tour is built once per app and kept): at the step it was left on, with the
        steps measured meanwhile; the measurement carries on if it had not finished."""
        if not getattr(self, "_shown_once", False):
            return  # the first open: on_mount does it
        for step in _measuring.steps[len(self.steps) :]:
            self.steps.append(step)
        self.show_step()
        measuring = any(w.node is self and w.group == "tour" and not w.is_finished for w in self.workers)
        if len(self.steps) < TOTAL and not measuring:
            self.measure()

    @property
    def current(self) -> TourStep | None:
        return self.steps[self.index] if self.index < len(self.steps) else None

    # -- measuring -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="tour", description="measure the tour")
    def measure(self) -> None:
        """Measure the steps on the bundled models, handing each over as soon as it is done."""
        worker = get_current_worker()
        try:
            for step in list(_measuring.steps[len(self.steps) :]):  # measured while this tour opened
                self.app.call_from_thread(self._arrived, step)
            while not worker.is_cancelled:
                step = _measuring.next_step()
                if step is None:
                    return
                self.app.call_from_thread(self._arrived, step)
        except (RnnvizError, OSError) as err:  # e.g. bundled models missing from a broken install
            message = first_line(err)
            self.app.call_from_thread(self.notify, f"the tour cannot measure: {message}", severity="error")

    def _arrived(self, step: TourStep) -> None:
        if step.number <= len(self.steps) or not self.is_attached:  # known already, or the tour has closed
            return
        self.steps.append(step)
        if self.index == len(self.steps) - 1:
            self.show_step()

    # -- showing -------------------------------------------------------------------------------
    def show_step(self) -> None:
        if not self.is_attached:
            return
        step = self.current
        try:
            title = self.query_one("#tour-title", Static)
        except NoMatches:  # a step arrived while the screen was being dismissed: its widgets are gone
            return
        marks = " ".join("●" if k == self.index else "○" for k in range(TOTAL))
        if step is None:
            title.update(f"rnnviz tour · {self.index + 1} of {TOTAL}   {marks}")
            self.query_one("#tour-prose", Static).update(Text("measuring on the bundled models…", "italic"))
            self.query_one("#tour-facts", Static).update("")
            return
        title.update(f"rnnviz tour · {step.number} of {TOTAL} · {step.title}   {marks}")
        self.query_one("#tour-prose", Static).update(Text(step.text))
        facts = Text("\n" + "\n".join(f"• {fact}" for fact in step.facts))  # a blank line after the prose
        # How to read the views, on screen only (the text-only tour has none): on the text box's
        # border, so it takes no line from the facts.
        self.query_one("#tour-text").border_subtitle = step.view_note
        self.query_one("#tour-facts", Static).update(facts)
        self.sentence.show(step.tokens, step.cursor, step.tint, step.tint_label)
        self._show_panels(step)
        if step.flow:
            self.flow_panel.show_curves(step.flow, "bar height: log10 of the norm at each distance")
        self.flow_panel.display = bool(step.flow)
        self.call_after_refresh(self.fit)

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Size the explanation and the views by the layout rules (state.layout.plan_tour)."""
        step = self.current
        width, height = self.size
        if step is None or not width or not self.is_attached:
            return
        try:
            box = self.query_one("#tour-text")
        except NoMatches:  # resized while being dismissed: its widgets are gone
            return
        console = self.app.console
        options = console.options.update_width(max(1, width - 5))  # border, padding and a scrollbar
        text = Text(step.text + "\n\n" + "\n".join(f"• {fact}" for fact in step.facts))
        lines = len(console.render_lines(text, options, pad=False))
        flow_rows = self.flow_panel.outer_size.height if step.flow else 0
        heatmaps = sum(1 + (step.show_cell and view.cell_state is not None) for view in step.views)
        plan = plan_tour(height, lines, self.sentence.outer_size.height or 3, heatmaps, flow_rows)
        box.set_class(not plan.bordered, "-borderless")
        box.styles.height = plan.text_rows
        box.styles.max_height = plan.text_rows
        for k, panel in enumerate(self.panels):
            shown = k < len(step.views) and plan.heatmap_rows > 0
            if panel.display != shown:
                panel.display = shown

    def _show_panels(self, step: TourStep) -> None:
        stage = self.query_one("#tour-stage")
        while len(self.panels) < len(step.views):
            panel = ModelPanel(
                step.views[len(self.panels)], show_cell=step.show_cell, words_sync=self.words_sync
            )
            self.panels.append(panel)
            stage.mount(panel, before=self.flow_panel)
        for k, panel in enumerate(self.panels):
            shown = k < len(step.views)
            if panel.display != shown:
                panel.display = shown
            if shown:
                self._fill_panel(panel, step, step.views[k])

    @staticmethod
    def _fill_panel(panel: ModelPanel, step: TourStep, view: ModelView) -> None:
        if panel.is_mounted:
            panel.show_view(view, step.show_cell)
        else:  # a new panel draws its view, cursor and order when it mounts
            panel.view, panel.show_cell = view, step.show_cell
        order = step.order if step.order is not None else np.arange(view.units)
        panel.update(step.cursor, order, step.selected)
        panel.links_wanted = False  # the viewer's links panel: the tour tints the sentence instead
        panel.fit()

    # -- keys ----------------------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        self.index = max(0, min(TOTAL - 1, self.index + delta))
        self.show_step()

    def action_explore(self) -> None:
        step = self.current
        if step is None:
            return
        self.close(Explore.of(step))

    def action_leave(self) -> None:
        self.close(None)

    def on_state_heatmap_cell_clicked(self, message) -> None:
        message.stop()  # a click in the tour must not move the viewer's cursor underneath


async def _land(app: App, worker: Worker, explore: Explore) -> None:
    """Once the new sentence is on screen, set up what the step showed: its unit order, selected unit
    and flow panel, then move the cursor to the explored word (as a cursor move, after the new
    sentence's width is laid out, so the heatmaps scroll to it)."""
    try:
        await worker.wait()
    except (WorkerCancelled, WorkerFailed):  # a newer run replaced it, or the run failed (and said so)
        return

    def arrive() -> None:
        pin = getattr(app, "pin_order", None)
        if pin is not None:
            order = explore.order
            pin(None if order is None else pinned_mode(explore.order_name, order))
        if hasattr(app, "selected_unit"):
            app.selected_unit = explore.selected
        flow = getattr(app, "set_flow_mode", None)
        if flow is not None:
            flow(explore.flow_mode)
        app.cursor = explore.cursor

    app.call_after_refresh(arrive)


def pinned_mode(name: str, order: tuple[int, ...]) -> SortMode:
    """A unit order fixed by a tour step, as a sort mode of the viewer (units the model lacks last)."""
    fixed = np.asarray(order, dtype=np.int64)

    def ordered(view: ModelView, cursor: int) -> np.ndarray:
        if len(fixed) == view.units:
            return fixed
        return np.arange(view.units)

    return SortMode(f"as in {name} (s: back to the usual orders)", "the order the tour step set up", ordered)


def open_tour(app: App, quit_on_leave: bool = False) -> None:
    """Open the tour over the viewer; enter brings the step into the viewer, escape/q closes the
    tour (and with `quit_on_leave`, as for `rnnviz tour`, the program)."""

    def done(result: Explore | None) -> None:
        run: Callable | None = getattr(app, "run_models", None)
        if result is not None and run is not None:
            worker: Worker = run([result.model], result.text, cursor=0)
            app.run_worker(_land(app, worker, result), group="tour-explore", exclusive=True)
        elif quit_on_leave:
            app.exit(0)

    note = "quit" if quit_on_leave else "back to the viewer"
    name = f"tour: {note}"  # built on the first open and kept: its panels are not composed again
    if not app.is_screen_installed(name):
        app.install_screen(TourScreen(note), name)
    screen = app.get_screen(name)
    opener = getattr(app, "open_dialog", None)
    if opener is not None:
        opener(screen, done)
    else:
        app.push_screen(screen, done)
