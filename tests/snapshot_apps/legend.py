"""Legend for the compare mode of an LSTM and an RNN with the saturation scatter on, at 80 columns.

Guards: one state entry per model (named, with its ±range), the gates entry (the sequential ramp for
σ gates, the diverging one for g and the RNN's pre-activation), the marks (cursor, link tint,
unread, <unk>, two units per ▀) and the scatter's key, packed onto lines without splitting an entry;
a change of the color tables shows up here before it shows up in every heatmap.
"""

from __future__ import annotations

import numpy as np
from base import OneWidget, synthetic_view, zero_model

from rnnviz.tui.widgets.legend import Legend, legend_entries

TOKENS = ["the", "cat"]
UNITS = 4
GATES = {
    "lstm": ("input", "forget", "cell", "output"),
    "rnn_tanh": ("preactivation",),
}


def view(cell: str, name: str):
    model = zero_model(cell, TOKENS, UNITS)
    gates = {gate: np.zeros((len(TOKENS), UNITS)) for gate in GATES[cell]}
    probs = np.full((len(TOKENS), len(TOKENS)), 0.5)
    return synthetic_view(model, TOKENS, gates, probs, name=name)


class LegendApp(OneWidget):
    CSS = "Legend { width: 80; height: 4; }"

    def make(self) -> Legend:
        self.legend = Legend(id="legend")
        return self.legend

    def on_mount(self) -> None:
        self.legend.show(legend_entries([view("lstm", "lstm"), view("rnn_tanh", "rnn")], saturation=True))


app = LegendApp()
