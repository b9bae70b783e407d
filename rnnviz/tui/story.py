"""The story strip: the gradient-flow and gate-saturation panels under the heatmaps.

The strip is mounted the first time `g` or `G` is pressed (an app that never asks pays nothing) and
hidden again when both panels are off. Side by side, the saturation scatters take the width they
need and the flow plot the rest.
"""

from __future__ import annotations

from textual.app import App
from textual.containers import Horizontal

from rnnviz.tui.widgets.flow_panel import FlowWatcher
from rnnviz.tui.widgets.saturation_panel import SaturationPanel

STRIP_ID = "story-strip"


class StoryStrip(Horizontal):
    DEFAULT_CSS = """
    StoryStrip {
        height: auto;
        max-height: 60%;
        display: none;
    }
    """

    def __init__(self) -> None:
        super().__init__(id=STRIP_ID)
        self.flow = FlowWatcher(classes="story-flow")
        self.saturation = SaturationPanel(classes="story-saturation")
        self.flow.display = False
        self.saturation.display = False

    def compose(self):
        yield self.flow
        yield self.saturation

    def relayout(self) -> None:
        """Show the strip while a panel is on; beside the flow plot, the scatters keep their width."""
        self.display = self.flow.mode != 0 or self.saturation.mode != 0
        both = self.flow.mode != 0 and self.saturation.mode != 0
        self.saturation.styles.width = max(self.saturation.widest, 40) if both else "1fr"


def story_strip(app: App) -> StoryStrip:
    """The app's strip, mounted above the legend on first use."""
    found = app.query(f"#{STRIP_ID}")
    if found:
        return found.first(StoryStrip)
    strip = StoryStrip()
    main = app.query_one("#main")
    anchor = main.query("Legend")
    main.mount(strip, before=anchor.first() if anchor else None)
    return strip


def cycle_flow(app: App) -> None:
    """`g`: gradient flow off → models on screen → rnn, lstm and gru → off."""
    strip = story_strip(app)
    strip.call_after_refresh(_cycle, strip, "flow")


def cycle_saturation(app: App) -> None:
    """`G`: gate saturation off → over the sentence → over the demo corpus → off."""
    strip = story_strip(app)
    strip.call_after_refresh(_cycle, strip, "saturation")


def _cycle(strip: StoryStrip, which: str) -> None:
    panel = strip.flow if which == "flow" else strip.saturation
    panel.cycle()
    strip.relayout()
