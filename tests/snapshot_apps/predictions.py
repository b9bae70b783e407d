"""Predictions on a hand-made next-word distribution (probabilities k/1000, all different).

Guards: the most likely words first, a word longer than the column cut to twelve cells, a wide (CJK)
word measured in cells, probabilities with three decimals, bars filled in eighths of a cell, at most
ten words ("purred", the eleventh, is left out) and the title naming the word they follow.
"""

from __future__ import annotations

import numpy as np
from base import OneWidget, synthetic_view, zero_model

from rnnviz.tui.widgets.predictions import Predictions

WORDS = ["purred", "meowed", "猫", "extraordinarily", "slept", "sat", "ran", "sang", "hid", "ate", "left"]
PER_MILLE = [5, 350, 230, 150, 100, 60, 40, 30, 20, 10, 5.5]  # one per word; "purred" is last
TOKENS = ["the", "cat"]
UNITS = 4


class PredictionsApp(OneWidget):
    CSS = "Predictions { width: 40; height: 14; }"

    def make(self) -> Predictions:
        self.predictions = Predictions(classes="predictions")
        return self.predictions

    def on_mount(self) -> None:
        model = zero_model("lstm", WORDS, UNITS)
        probs = np.tile(np.array(PER_MILLE) / 1000, (len(TOKENS), 1))
        gates = {name: np.zeros((len(TOKENS), UNITS)) for name in ("input", "forget", "cell", "output")}
        self.predictions.show(synthetic_view(model, TOKENS, gates, probs), 1)


app = PredictionsApp()
