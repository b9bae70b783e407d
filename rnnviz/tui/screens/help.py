"""HelpScreen: every key and what it does, built from the bindings so it never goes stale."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from rnnviz.tui.screens.dialog import Dialog


class HelpScreen(Dialog[None]):
    """A list of (key, description) rows; any of escape, ? or q closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close help"),
        Binding("question_mark", "close", "Close help", show=False),
        Binding("q", "close", "Close help", show=False),
    ]

    def __init__(
        self,
        rows: list[tuple[str, str]],
        intro: str = "",
        legend: list[Text] | None = None,
        note: str = "",
    ):
        super().__init__()
        self.rows = rows
        self.intro = intro
        self.legend = legend or []  # what every color and mark on screen means, one entry a line
        self.note = note  # the panels the layout hid, and the size that shows them

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", style="bold", no_wrap=True)
        table.add_column()  # wraps under itself, not under the keys
        for key, description in self.rows:
            table.add_row(Text(key), Text(description))
        with VerticalScroll(id="help-body") as body:
            body.border_title = "keys"
            body.border_subtitle = "escape closes"
            if self.intro:
                yield Static(Text(self.intro, "italic"), id="help-intro")
            if self.note:
                yield Static(Text(self.note), id="help-note")
            yield Static(table, id="help-text")
            if self.legend:  # after the keys: what a newcomer looks for first is what to press
                yield Static(Text("\n").join([Text("On screen:", "bold"), *self.legend]), id="help-legend")
