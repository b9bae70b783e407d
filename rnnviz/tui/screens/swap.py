"""Counterfactual swap in the TUI: replace the cursor word (cat → dog) and see what follows change.

`SwapDialog` asks for the new word (a word the model does not know keeps the dialog open with a
one-line notification). `SwapScreen` shows the result: the next-word predictions of both
sentences at a word after the swap (←/→ pick it), how far the prediction moved, and the per-unit
difference of the state from the swapped word on as a heatmap (units that changed most on top),
with a strip of its size word by word — fading for a network that forgets, persisting for one that
remembers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from rnnviz.analysis.counterfactual import (
    StateDifference,
    compare_predictions,
    counterfactual,
    state_difference,
)
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.numbers import percent
from rnnviz.render.colors import state_scale
from rnnviz.render.glyphs import SPARKS
from rnnviz.tui.screens.dialog import Dialog
from rnnviz.tui.screens.edit import CheckedInputScreen
from rnnviz.tui.widgets.heatmap import StateHeatmap
from rnnviz.tui.widgets.inspector import buckets
from rnnviz.tui.widgets.predictions import bar
from rnnviz.tui.widgets.sentence import word_window
from rnnviz.tui.widgets.textlines import TextLines
from rnnviz.tui.widgets.textutil import fit, visible, width

COMPARED = 5  # words in the predictions table
STRIP_LABEL = "size of the difference, word by word: "
BAR_CELLS = 24  # widest probability bar


def swap_problem(model: Model, word: str) -> str | None:
    """Why `word` cannot replace a word of the sentence (one line), or None."""
    words = model.tokenizer_spec.split(word)  # split as the model splits the sentence
    if len(words) != 1:
        return f"type exactly one word, like 'dog' (got {len(words)})"
    if not model.known(words[0]):
        return f"'{visible(words[0])}' is not in the model's vocabulary: type a word the model knows"
    return None


SEARCHED = 2_000  # words after the swap searched for the largest change of the prediction
CHUNK = 256  # rows of probabilities compared at once


@dataclass(frozen=True)
class Swap:
    """A sentence and its copy with the word at `position` replaced."""

    original: Trace
    swapped: Trace
    position: int
    layer: int = -1
    differences: dict[str, StateDifference] = field(default_factory=dict, compare=False)

    @property
    def states(self) -> list[str]:
        return ["hidden", "cell"] if self.original.cell_state is not None else ["hidden"]

    def difference(self, state: str) -> StateDifference:
        """swapped − original of `state` ("hidden" or "cell"), computed once."""
        if state not in self.differences:
            found = state_difference(self.original, self.swapped, self.position, self.layer, state)
            self.differences[state] = found
        return self.differences[state]

    def moved(self, start: int, stop: int | None = None) -> np.ndarray:
        """Total variation between the two next-word distributions after words start .. stop − 1."""
        a, b = self.original.probs, self.swapped.probs
        stop = start + 1 if stop is None else stop
        parts = []
        for k in range(start, stop, CHUNK):
            rows = slice(k, min(k + CHUNK, stop))
            parts.append(0.5 * np.abs(a[rows].astype(np.float64) - b[rows]).sum(axis=1))
        return np.concatenate(parts)

    def most_changed(self) -> int:
        """The word after which the prediction moved most (the swapped word or up to SEARCHED later)."""
        stop = min(len(self.original), self.position + SEARCHED)
        return self.position + int(np.argmax(self.moved(self.position, stop)))


def make_swap(model: Model, tokens: list[str], position: int, word: str, layer: int = -1) -> Swap:
    """Run the sentence and its swapped copy (slow for long texts: call from a worker)."""
    original, swapped = counterfactual(model, tokens, position, word)
    swap = Swap(original, swapped, position, layer)
    for state in swap.states:  # here, off the event loop: long texts make big arrays
        swap.difference(state)
    return swap


class SwapDialog(CheckedInputScreen):
    """Type the word that replaces the cursor word; returns it, or None when cancelled."""

    DEFAULT_CSS = """
    SwapDialog { align: center middle; }
    SwapDialog #swap-dialog {
        width: 72;
        max-width: 100%;
        height: auto;
        border: round $accent;
        background: $panel;
        padding: 0 1;
    }
    SwapDialog #swap-note { color: $foreground 60%; }
    """

    def __init__(self, word: str, position: int, check: Callable[[str], str | None]):
        super().__init__(check)
        self.word = word
        self.position = position

    def compose(self) -> ComposeResult:
        with Vertical(id="swap-dialog") as box:
            box.border_title = f"swap “{visible(self.word)}” (word {self.position + 1}) for another word"
            box.border_subtitle = "enter swaps · escape cancels"
            yield Input(placeholder="a word the model knows, like dog", id="swap-input")
            yield Static(
                "both sentences run; you see how the prediction and the state change from that word on",
                id="swap-note",
                markup=False,
            )

    def result_of(self, text: str) -> str:
        return text  # one known token (checked); counterfactual splits it as the model does


class SwapPredictions(TextLines):
    """Next-word probabilities after one word, in the original sentence and in the swapped one."""

    DEFAULT_CSS = """
    SwapPredictions { height: auto; }
    SwapPredictions .swap--word { color: $foreground; }
    SwapPredictions .swap--number { color: $foreground 60%; }
    SwapPredictions .swap--original { color: $foreground 50%; }
    SwapPredictions .swap--swapped { color: $success; }
    SwapPredictions .swap--note { color: $foreground 70%; }
    """
    COMPONENT_CLASSES = {"swap--word", "swap--number", "swap--original", "swap--swapped", "swap--note"}

    def __init__(self, swap: Swap, *, id: str | None = None):
        super().__init__(id=id)
        self.swap = swap
        self.step = swap.position

    def show(self, step: int) -> None:
        self.step = step
        self.changed()

    def rows(self) -> list[tuple[str, float, float]]:
        """(word, p original, p swapped), most likely first."""
        return compare_predictions(self.swap.original, self.swap.swapped, self.step, COMPARED)[:COMPARED]

    def build(self, width: int) -> list[Text]:
        looks = self.looks
        swap = self.swap
        before = visible(swap.original.tokens[self.step])
        after = visible(swap.swapped.tokens[self.step])
        word = before if before == after else f"{before}/{after}"
        head = Text(f"next word after “{word}”", looks["swap--note"])
        head.append(
            f"   {percent(float(swap.moved(self.step)[0]))} of the prediction moved", looks["swap--note"]
        )
        bar_cells = max(1, min(BAR_CELLS, (width - 26) // 2))
        header = Text(fit("", 12) + " " + fit("original", bar_cells + 7) + " swapped", looks["swap--note"])
        lines = [head, header]
        for name, p, q in self.rows():
            line = Text()
            line.append(fit(name, 12), looks["swap--word"])
            line.append(f" {p:5.3f} ", looks["swap--number"])
            line.append(bar(p, bar_cells), looks["swap--original"])
            line.append(f" {q:5.3f} ", looks["swap--number"])
            line.append(bar(q, bar_cells), looks["swap--swapped"])
            lines.append(line)
        return (lines + [Text("")] * (COMPARED + 2))[: COMPARED + 2]


def strip_line(difference: StateDifference, cursor: int, cells: int) -> Text:
    """‖Δ‖ over the words from the swap on as block heights (relative to the largest), in at most
    `cells` marks (a long text averages several words a mark), the cursor's mark underlined."""
    values, per = buckets(difference.norm, max(1, cells))
    peak = float(values.max())
    heights = np.zeros(len(values)) if peak <= 0 else values / peak
    marks = "".join(SPARKS[int(round(h * (len(SPARKS) - 1)))] for h in heights)
    at = min(cursor // per, len(marks) - 1)
    text = Text(STRIP_LABEL if per == 1 else f"size of the difference, {per:,} words a mark: ")
    text.append(marks[:at])
    text.append(marks[at], Style(underline=True, bold=True))
    text.append(marks[at + 1 :])
    return text


class SwapScreen(Dialog[str | None]):
    """The result of a swap; returns the swapped sentence to keep it (enter), or None (escape)."""

    DEFAULT_CSS = """
    SwapScreen { align: center middle; }
    SwapScreen #swap-box {
        width: 1fr;
        height: 1fr;
        margin: 1 2;
        border: round $accent;
        background: $panel;
        padding: 0 1;
    }
    SwapScreen #swap-sentence { height: 1; margin-bottom: 1; }
    SwapScreen #swap-summary { height: auto; margin: 1 0 0 0; color: $foreground 80%; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("left", "step(-1)", "Previous word"),
        Binding("right", "step(1)", "Next word"),
        Binding("home", "first", "First word", show=False),
        Binding("end", "last", "Last word", show=False),
        Binding("c", "toggle_state", "Hidden/cell"),
        Binding("enter", "keep", "Keep the swapped sentence"),
    ]

    def __init__(self, swap: Swap, model_name: str):
        super().__init__()
        self.swap = swap
        self.model_name = model_name
        self.cursor = swap.most_changed()
        self.state = "hidden"
        self.predictions = SwapPredictions(swap, id="swap-predictions")
        self.heatmap = StateHeatmap(id="swap-map")
        self.sentence = Static("", id="swap-sentence", markup=False)
        self.summary = Static("", id="swap-summary", markup=False)

    @property
    def difference(self) -> StateDifference:
        return self.swap.difference(self.state)

    def compose(self) -> ComposeResult:
        swap = self.swap
        old, new = (visible(trace.tokens[swap.position]) for trace in (swap.original, swap.swapped))
        with Vertical(id="swap-box") as box:
            box.border_title = f"swap “{old}” → “{new}” · {visible(self.model_name)}"
            keys = "←/→ word · c hidden/cell · " if len(swap.states) > 1 else "←/→ word · "
            box.border_subtitle = keys + "enter keeps the swapped sentence · escape goes back"
            yield self.sentence
            yield self.predictions
            yield self.summary
            yield self.heatmap

    def on_mount(self) -> None:
        self._show_state()
        self.heatmap.focus()

    def _show_state(self) -> None:
        difference = self.difference
        scale = state_scale(difference.per_unit)
        self.heatmap.show(difference.per_unit.astype(np.float32), difference.tokens, scale)
        # Units whose difference was ever largest first: the ones carrying the swapped word.
        self.heatmap.set_order(np.argsort(-np.abs(difference.per_unit).max(axis=0), kind="stable"))
        self.heatmap.selected = -1  # no unit is selected here
        name = "hidden state h" if self.state == "hidden" else "cell state c"
        self.heatmap.border_title = Content(f"{name}: swapped − original, from the swapped word on")
        self.heatmap.border_subtitle = Content(f"±{scale:.3g}")
        self._show_cursor()

    def _show_cursor(self) -> None:
        swap, t = self.swap, self.cursor
        tokens = swap.swapped.tokens
        room = max(10, (self.sentence.size.width or self.app.size.width - 6) - 4)
        shown = word_window(lambda k: width(tokens[k]), len(tokens), t, room)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append("… " if shown.start > 0 else "")
        for k in shown:
            style = Style(reverse=True) if k == swap.position else Style()
            if k == t:
                style += Style(bold=True, underline=True)
            line.append(visible(tokens[k]), style)
            line.append(" ")
        line.append("…" if shown.stop < len(tokens) else "")
        self.sentence.update(line)
        self.predictions.show(t)
        self.heatmap.cursor = t - swap.position
        self.heatmap.reveal_cursor()
        summary = Text(self.difference.summary())
        summary.append("\n")
        room = (self.summary.size.width or self.app.size.width - 8) - len(STRIP_LABEL) - 12
        summary.append_text(strip_line(self.difference, t - swap.position, room))
        self.summary.update(summary)

    def action_step(self, delta: int) -> None:
        self.cursor = max(self.swap.position, min(len(self.swap.original) - 1, self.cursor + delta))
        self._show_cursor()

    def action_first(self) -> None:
        self.cursor = self.swap.position
        self._show_cursor()

    def action_last(self) -> None:
        self.cursor = len(self.swap.original) - 1
        self._show_cursor()

    def action_toggle_state(self) -> None:
        states = self.swap.states
        self.state = states[(states.index(self.state) + 1) % len(states)]
        self._show_state()

    def on_state_heatmap_cell_clicked(self, message: StateHeatmap.CellClicked) -> None:
        if message.step is not None:
            self.cursor = self.swap.position + message.step
            self._show_cursor()

    def action_keep(self) -> None:
        self.close(" ".join(self.swap.swapped.tokens))

    def action_back(self) -> None:
        self.close(None)
