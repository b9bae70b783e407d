"""The command palette: an entry for every action that has a key, in a palette that closes once."""

from __future__ import annotations

from functools import partial

from textual import on
from textual.await_complete import AwaitComplete
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.widgets import Button, Input, OptionList


class ActionCommands(Provider):
    """Lists the app's actions by title; choosing one runs it as its key would."""

    def _actions(self) -> list[tuple[str, str, str]]:
        app = self.app
        return app.palette_actions() if hasattr(app, "palette_actions") else []

    async def discover(self) -> Hits:
        for title, help_text, action in self._actions():
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in self._actions():
            score = matcher.match(title)
            if score > 0:
                run = partial(self.app.run_action, action)
                yield Hit(score, matcher.highlight(title), run, help=help_text)


class OncePalette(CommandPalette):
    """Textual's command palette, but it closes (and runs the chosen command) once.

    In Textual 8.2.8 each enter that reaches the palette's input selects the highlighted command, and
    each selection dismisses the palette and schedules the command. Two enters typed quickly (both
    queued before the first is handled) therefore dismiss it twice: the second pops the screen under
    it, or, with only the main screen left, raises ScreenStackError and ends the app. Once the
    palette has closed, this subclass drops the messages that would select again, and a second
    dismiss does nothing.
    """

    closing = False

    def dismiss(self, result: object = None) -> AwaitComplete:
        if self.closing:
            return AwaitComplete.nothing()
        self.closing = True
        return super().dismiss(result)

    # Handlers of a subclass run before the base class's; prevent_default keeps the base's from running.
    @on(Input.Submitted)
    @on(Button.Pressed)
    @on(OptionList.OptionSelected)
    def _drop_after_closing(self, message: Message) -> None:
        if self.closing:
            message.stop()
            message.prevent_default()
