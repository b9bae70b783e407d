"""StateHeatmap on a hand-made (10 words × 13 units) array of steps k/16 (each on an exact color step).

Guards: two units per row (upper unit as the ▀ foreground, lower as background; an odd count leaves
the last lower half empty), the unit order (not by index), the gutter numbers with the selected unit
marked, the cursor column between its ▕ ▏ bars, the words after the cursor faded, and header words
cut to three cells ("because" → "bec").
"""

from __future__ import annotations

import numpy as np
from base import OneWidget

from rnnviz.tui.widgets.heatmap import StateHeatmap

TOKENS = ["the", "cat", "sat", "on", "the", "mat", "because", "it", "was", "tired"]
STEPS, UNITS = len(TOKENS), 13
# Unit u after word t: a ramp over the units, shifted one step per word, folded into −1..+1.
RAMP = (np.arange(UNITS)[None, :] * 3 + np.arange(STEPS)[:, None] * 5) % 33 - 16
VALUES = (RAMP / 16).astype(np.float32)
ORDER = np.array([12, 0, 11, 1, 10, 2, 9, 3, 8, 4, 7, 5, 6])


class HeatmapApp(OneWidget):
    CSS = "StateHeatmap { width: 60; height: 10; }"

    def make(self) -> StateHeatmap:
        self.heatmap = StateHeatmap(classes="hidden")
        self.heatmap.border_title = "synthetic · hidden state h"
        return self.heatmap

    def on_mount(self) -> None:
        heatmap = self.heatmap
        heatmap.show(VALUES, TOKENS, 1.0)
        heatmap.set_order(ORDER)
        heatmap.cursor = 4
        heatmap.selected = 9


app = HeatmapApp()
