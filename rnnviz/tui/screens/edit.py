"""EditScreen: type a new sentence. A sentence the models cannot read keeps the dialog open."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from rnnviz.tui.screens.dialog import Dialog

PREFILL_LIMIT = 5_000  # longer texts are not copied into the input line: typing in it would crawl


class CheckedInputScreen(Dialog[str | None]):
    """A one-line dialog whose text is checked before it closes; returns the result, or None.

    `check(text)` says in one line why a text cannot be used (or None): the dialog then shows that
    as a notification and stays open with the text as typed, so nothing is lost.
    """

    BINDINGS = [Binding("escape", "close", "Cancel")]

    def __init__(self, check: Callable[[str], str | None]):
        super().__init__()
        self.check = check

    def result_of(self, text: str) -> str:
        """What the dialog returns for an accepted text."""
        return text

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.closing:
            return
        problem = self.check(event.value)
        if problem:
            self.notify(problem, severity="error", timeout=4)
            return
        self.close(self.result_of(event.value))


class EditScreen(CheckedInputScreen):
    """Returns the new sentence, or None when cancelled."""

    def __init__(self, text: str, check: Callable[[str], str | None]):
        super().__init__(check)
        self.initial = text if len(text) <= PREFILL_LIMIT else ""
        self.hint = "" if len(text) <= PREFILL_LIMIT else f"the current text has {len(text):,} characters"

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-box") as box:
            box.border_title = "edit the sentence"
            box.border_subtitle = "enter runs the model · escape cancels"
            yield Input(value=self.initial, placeholder=self.hint or "type a sentence", id="edit-input")
            yield Static("words the model does not know are read as <unk>", id="edit-note", markup=False)
