"""KeysFooter: Textual's Footer, rebuilt only when the keys it shows change.

The stock Footer recomposes itself (a dozen widgets, restyled) whenever the bindings might have
changed, which includes every focus change; here that happens only when the visible keys differ.
"""

from __future__ import annotations

from itertools import groupby

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

FIRST = ("help", "quit")  # always on screen: a narrow terminal crops the footer's end


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

    def compose(self) -> ComposeResult:
        """As the stock footer (a key per action, grouped keys together), help and quit first."""
        if not self._bindings_ready:
            return
        by_action: dict[str, tuple[Binding, bool, str]] = {}
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                by_action.setdefault(binding.action, (binding, enabled, tooltip))
        ordered = sorted(by_action.values(), key=lambda item: item[0].action not in FIRST)  # stable
        self.styles.grid_size_columns = len(ordered)
        for group, members in groupby(ordered, lambda item: item[0].group):
            keys = list(members)
            if group is not None and len(keys) > 1:
                with KeyGroup(classes="-compact" if group.compact else ""):
                    for binding, enabled, tooltip in keys:
                        yield self._key(binding, enabled, tooltip or binding.description, "", "-grouped")
                yield FooterLabel(group.description)
            else:
                for binding, enabled, tooltip in keys:
                    yield self._key(binding, enabled, tooltip, binding.description)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            yield from self._palette_key()

    def _key(self, binding: Binding, enabled: bool, tooltip: str, description: str, classes: str = ""):
        key = FooterKey(
            binding.key,
            self.app.get_key_display(binding),
            description,
            binding.action,
            disabled=not enabled,
            tooltip=tooltip,
            classes=classes,
        )
        return key.data_bind(compact=Footer.compact)

    def _palette_key(self) -> ComposeResult:
        """ctrl+p, docked at the right as in the stock footer."""
        found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if found is not None:
            _, binding, enabled, tooltip = found
            description = binding.description
            yield self._key(binding, enabled, binding.tooltip or description, description, "-command-palette")
