"""SentenceBar on a sentence longer than the bar, with a hand-made links row (weights k/8).

Guards: the window of words around the cursor (about a third of the way in) with … on both sides,
the word-count title, the cursor word highlighted, the words after it faded, and the earlier words
tinted by their link weight relative to the strongest, even when that word is out of the window
(none for a weight of 0).
"""

from __future__ import annotations

import numpy as np
from base import OneWidget

from rnnviz.tui.widgets.sentence import SentenceBar

WORDS = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
TOKENS = (WORDS + " sixteen seventeen eighteen nineteen twenty").split()
CURSOR = 12
LINKS = np.zeros(CURSOR + 1)
LINKS[[3, 9, 10, 11]] = [8 / 8, 2 / 8, 6 / 8, 4 / 8]  # the strongest link is out of the window


class SentenceApp(OneWidget):
    CSS = "SentenceBar { width: 70; }"

    def make(self) -> SentenceBar:
        self.bar = SentenceBar(id="sentence")
        return self.bar

    def on_mount(self) -> None:
        self.bar.show(TOKENS, CURSOR)
        self.bar.links_row = LINKS
        self.bar.border_subtitle = "tint: memory links"


app = SentenceApp()
