"""The story strip: the gradient-flow and gate-saturation panels under the heatmaps.

The strip is mounted the first time `g` or `G` is pressed (an app that never asks pays nothing) and
hidden again when both panels are off. Side by side, the saturation scatters take the width they
need and the flow plot the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.containers import Horizontal
from textual.widget import Widget

from rnnviz.tui.state.viewstate import ViewState
from rnnviz.tui.widgets.flow_panel import FlowWatcher
from rnnviz.tui.widgets.saturation_panel import SaturationPanel

STRIP_ID = "story-strip"


class StoryStrip(Horizontal):
    DEFAULT_CSS = """
    StoryStrip {
        height: auto;
        display: none;
    }
    """

    def __init__(self, state: ViewState) -> None:
        super().__init__(id=STRIP_ID)
        self.state = state
        self.room = 0  # rows the layout gives the strip; set by fit
        self.flow = FlowWatcher(classes="story-flow")
        self.saturation = SaturationPanel(classes="story-saturation")
        self.flow.display = False
        self.saturation.display = False

    def compose(self):
        yield self.flow
        yield self.saturation

    def follow(self, state: ViewState) -> None:
        """The app's new view state: the panels that are on bring themselves up to date."""
        self.state = state
        self.flow.follow(state)
        self.saturation.follow(state)

    def cycle(self, which: str, then: Callable[[], None] | None = None) -> None:
        """`g` (which="flow") or `G` (which="saturation"): the panel's next mode; `then` runs after
        (the app lays the screen out again)."""
        self.call_after_refresh(self._cycle, which, then)  # a strip mounted just now is laid out first

    def _cycle(self, which: str, then: Callable[[], None] | None) -> None:
        panel = self.flow if which == "flow" else self.saturation
        panel.cycle(self.state)
        self.relayout()
        if then is not None:
            then()

    def fit(self, rows: int) -> None:
        """The rows the layout gives the strip (0: none; it hides, and the status line says so)."""
        self.room = rows
        self.styles.max_height = max(rows, 1)
        self.relayout()

    def set_flow_mode(self, mode: int) -> None:
        """The flow panel in a given mode (0 off, 1 the models on screen, 2 rnn, lstm and gru)."""
        self.call_after_refresh(self._set_flow_mode, mode)

    def _set_flow_mode(self, mode: int) -> None:
        self.flow.set_mode(mode, self.state)
        self.relayout()

    def relayout(self) -> None:
        """Show the strip while a panel is on and it has room; beside the flow plot, the scatters keep
        their width."""
        self.display = (self.flow.mode != 0 or self.saturation.mode != 0) and self.room > 0
        both = self.flow.mode != 0 and self.saturation.mode != 0
        self.saturation.styles.width = max(self.saturation.widest, 40) if both else "1fr"


def mount_strip(main: Widget, state: ViewState) -> StoryStrip:
    """A new strip, mounted in `main` above its legend."""
    strip = StoryStrip(state)
    anchor = main.query("#status")
    main.mount(strip, before=anchor.first() if anchor else None)
    return strip
