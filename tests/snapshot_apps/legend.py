"""Legend: what the colors and marks mean, on one line.

Guards: both color ramps (diverging −max…+max sampled evenly, sequential 0…1) and the labels of the
marks; a change of the color tables shows up here before it shows up in every heatmap.
"""

from __future__ import annotations

from base import OneWidget

from rnnviz.tui.widgets.legend import Legend


class LegendApp(OneWidget):
    def make(self) -> Legend:
        return Legend(id="legend")


app = LegendApp()
