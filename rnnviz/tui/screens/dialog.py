"""Dialog: a modal screen that closes once.

Keys the terminal has already queued (a second enter, an escape pressed twice) reach a dialog after
it has decided to close; dismissing again would pop the screen underneath (or, with only the main
screen left, raise ScreenStackError). Every rnnviz dialog closes through `close`, which ignores
all but the first call.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A ModalScreen whose `close(result)` dismisses it the first time and does nothing after."""

    closing = False  # set by the first close: the result is on its way

    def close(self, result: ResultT | None = None) -> None:
        if self.closing:
            return
        self.closing = True
        self.dismiss(result)

    def action_close(self) -> None:
        """A binding's way to close without a result."""
        self.close(None)
