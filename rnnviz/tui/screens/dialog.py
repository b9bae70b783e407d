"""Dialog: a modal screen that closes once.

Keys the terminal has already queued (a second enter, an escape pressed twice) reach a dialog after
it has decided to close; dismissing again would pop the screen underneath (or, with only the main
screen left, raise ScreenStackError). Every rnnviz dialog closes through `close`, which ignores
all but the first call.

Under a dialog the viewer shows dimmed. Textual draws that by rendering the whole screen underneath
again, tinted, every time the dialog's screen repaints (a few times per open, and on every resize):
hundreds of milliseconds for the heatmaps' thousands of colored cells. The dimmed viewer is rendered
once per dialog and size instead; it is a backdrop, and the keys that would change it are off while
the dialog is open.
"""

from __future__ import annotations

from typing import TypeVar

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from textual.renderables.background_screen import BackgroundScreen
from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A ModalScreen whose `close(result)` dismisses it the first time and does nothing after."""

    closing = False  # set by the first close: the result is on its way
    _backdrop: tuple[tuple[int, int], list[list[Segment]]] | None = None

    def on_screen_resume(self) -> None:
        # A dialog shown again (an installed one, as help) is a new open: it may close once more, and
        # the viewer under it may have changed since.
        self.closing = False
        self._backdrop = None

    def render(self) -> RenderableType:
        drawn = super().render()
        return _Backdrop(self, drawn) if isinstance(drawn, BackgroundScreen) else drawn

    def close(self, result: ResultT | None = None) -> None:
        if self.closing:
            return
        self.closing = True
        self.dismiss(result)

    def action_close(self) -> None:
        """A binding's way to close without a result."""
        self.close(None)


class _Backdrop:
    """The tinted screen under a dialog, rendered once per size and replayed (see the module docstring)."""

    def __init__(self, dialog: Dialog, tinted: BackgroundScreen) -> None:
        self.dialog = dialog
        self.tinted = tinted

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        size = (options.max_width, options.height or options.size.height)
        kept = self.dialog._backdrop
        if kept is None or kept[0] != size:
            lines = console.render_lines(self.tinted, options, pad=True, new_lines=False)
            kept = self.dialog._backdrop = (size, lines)
        newline = Segment.line()
        for k, line in enumerate(kept[1]):
            if k:
                yield newline
            yield from line
