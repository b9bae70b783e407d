"""KeysFooter: Textual's Footer, rebuilt only when the keys it shows change.

The stock Footer recomposes itself (a dozen widgets, restyled) whenever the bindings might have
changed, which includes every focus change; here that happens only when the visible keys differ.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple(
            (key, active.binding.description, active.enabled)
            for key, active in screen.active_bindings.items()
            if active.binding.show
        )
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)
