"""HelpScreen: every key and what it does, built from the bindings so it never goes stale."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """A list of (key, description) rows; any of escape, ? or q closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close help"),
        Binding("question_mark", "dismiss", "Close help", show=False),
        Binding("q", "dismiss", "Close help", show=False),
    ]

    def __init__(self, rows: list[tuple[str, str]], intro: str = ""):
        super().__init__()
        self.rows = rows
        self.intro = intro
        self.closing = False  # a second queued escape must not dismiss twice

    def compose(self) -> ComposeResult:
        key_width = max((len(key) for key, _ in self.rows), default=1)
        text = Text(no_wrap=False, end="")
        if self.intro:
            text.append(self.intro + "\n\n", "italic")
        for k, (key, description) in enumerate(self.rows):
            if k:
                text.append("\n")
            text.append(key.rjust(key_width), "bold")
            text.append("  " + description)
        with VerticalScroll(id="help-body") as body:
            body.border_title = "keys"
            body.border_subtitle = "escape closes"
            yield Static(text, id="help-text")

    async def action_dismiss(self, result: None = None) -> None:
        if not self.closing:
            self.closing = True
            self.dismiss(result)
