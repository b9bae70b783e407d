"""Drive the app headless in pilot tests: run a scenario, and let workers settle after each key."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

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
    """Let workers (model runs, links, rankings, flow) finish and their results reach the screen."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)
