"""GatesPanel of an LSTM on hand-made gates at one word (12 units, steps k/16 or k/32).

Guards: one column per gate with its three-letter header (in, fgt, g, out), the sequential 0..1 scale
for the sigmoid gates and the diverging ±1 scale for g, rows in the heatmap's unit order with two
units per row, and the ▸ marker on the row of the selected unit.
"""

from __future__ import annotations

import numpy as np
from base import OneWidget, synthetic_view, zero_model

from rnnviz.tui.widgets.gates import GatesPanel

UNITS, STEP = 12, 1
TOKENS = ["the", "cat", "sat"]
RISING = np.arange(UNITS) / 16  # 0 … 11/16
GATES_AT_STEP = {
    "input": RISING,
    "forget": 1 - RISING,
    "cell": (np.arange(UNITS) - 6) / 8,  # −0.75 … +0.625
    "output": (np.arange(UNITS) % 2).astype(float),
}
ORDER = np.arange(UNITS)[::-1]


def gate_arrays() -> dict[str, np.ndarray]:
    """(T, H) per gate: the values above at STEP, zeros at the other words."""
    arrays = {}
    for name, values in GATES_AT_STEP.items():
        array = np.zeros((len(TOKENS), UNITS))
        array[STEP] = values
        arrays[name] = array
    return arrays


class GatesApp(OneWidget):
    CSS = "GatesPanel { width: 20; height: 9; }"

    def make(self) -> GatesPanel:
        self.gates = GatesPanel(classes="gates")
        self.gates.border_title = "gates at “cat”"
        return self.gates

    def on_mount(self) -> None:
        model = zero_model("lstm", TOKENS, UNITS)
        probs = np.full((len(TOKENS), len(model.vocab)), 1 / len(model.vocab))
        view = synthetic_view(model, TOKENS, gate_arrays(), probs)
        self.gates.show(view, STEP, ORDER, selected=4)


app = GatesApp()
