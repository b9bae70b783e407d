"""Drive the app headless in pilot tests: run a scenario, and let workers settle after each key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from textual import events
from textual.app import App
from textual.command import CommandList, CommandPalette

from rnnviz.tui.app import RnnvizApp


def drive(app: RnnvizApp, scenario: Callable[..., Awaitable[None]], size=(120, 40)) -> RnnvizApp:
    """Run a scenario against the app in a headless terminal; returns the app for after-exit checks."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())
    return app


async def settle(pilot) -> None:
    """Let workers (model runs, links, rankings, flow) finish and their results reach the screen,
    including rows that wait for the cursor to rest (a timer, not a worker)."""
    app = pilot.app
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()
    for _ in range(1_000):  # a bound, so a bug that never settles fails instead of hanging
        if not app.busy:
            break
        await asyncio.sleep(0.01)
        await app.workers.wait_for_complete()
        await pilot.pause()


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def send_key(app: RnnvizApp, key: str, character: str | None = None) -> None:
    """A key as the terminal driver delivers it: no wait for idleness, as Pilot.press has after each."""
    event = events.Key(key, character)
    event.set_sender(app)
    app._driver.send_message(event)


async def until(
    pilot, condition: Callable[[], bool], what: str = "the condition", limit: float = 120.0
) -> None:
    """Let the app (and its worker threads) run until `condition()` holds. The limit only stops a
    hang: it is far beyond what any machine needs, and no test asserts the time it took."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never came true")
        await asyncio.sleep(0.005)  # the workers' threads get the interpreter meanwhile
        await pilot.pause()


def palette_offers(app: App, title: str | None = None) -> bool:
    """The command palette is open and its search has put `title` first (highlighted: enter runs it);
    with no title, it offers any command at all."""
    if not isinstance(app.screen, CommandPalette):
        return False
    commands = app.screen.query_one(CommandList)
    if commands.option_count == 0:
        return False
    if title is None:
        return True
    return commands.highlighted == 0 and str(commands.get_option_at_index(0).hit.text) == title
