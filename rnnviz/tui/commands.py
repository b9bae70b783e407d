"""ActionCommands: a command palette entry for every action that has a key."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


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
