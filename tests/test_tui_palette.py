"""The command palette must never end the viewer by itself: Textual 8.2.8's palette dismisses itself
once per queued enter, so `ctrl+p down enter enter` raised ScreenStackError (exit 1) and `ctrl+p quit
enter enter` printed the same traceback on the way out. rnnviz's OncePalette closes once; a storm of
palette keys checks it, and a crash inside the app still ends with a non-zero status."""

from __future__ import annotations

import asyncio
import os
import random
import string

import pytest

pytest.importorskip("textual")

import textual.screen  # noqa: E402
from textual.command import CommandList, CommandPalette  # noqa: E402
from tui_driver import palette_offers, send_key, until  # noqa: E402

from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.commands import OncePalette  # noqa: E402

STORM_KEYS = 10_000 if os.environ.get("RNNVIZ_FULL_STORM") == "1" else 2_000
BURST = 200  # keys between two looks at the app


async def quick(app, keys: list[str]) -> None:
    """Keys as a terminal delivers a fast typist's: queued without waiting for the app in between."""
    for key in keys:
        send_key(app, key, key if len(key) == 1 else None)


async def idle(pilot, rounds: int = 40) -> None:
    """Let the queued keys and what they scheduled (a closing palette, a command) play out."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        if not app.is_running or all(node._message_queue.empty() for node in [app, *app.screen_stack]):
            break
    await pilot.pause()


def highlighted(app, title: str) -> bool:
    """The open palette's highlighted command is `title`."""
    if not isinstance(app.screen, CommandPalette):
        return False
    commands = app.screen.query_one(CommandList)
    index = commands.highlighted
    return index is not None and str(commands.get_option_at_index(index).hit.text) == title


def run(app, scenario) -> None:
    async def main() -> None:
        async with app.run_test() as pilot:
            await pilot.pause()
            await scenario(pilot)

    asyncio.run(main())  # run_test re-raises an exception the app died of


def test_down_enter_enter_in_the_palette_runs_one_command_and_leaves_the_viewer_open():
    app = make_app("lstm")
    seen: list[str] = []

    async def scenario(pilot):
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, OncePalette)
        # Down to a command that keeps the viewer open (the list fills as its providers answer, so
        # each down waits for the list), then both enters queued at once, as a fast typist's.
        for _ in range(40):  # the list is shorter: a wrong order fails below instead of looping
            if highlighted(app, "Next word"):
                break
            await until(pilot, lambda: palette_offers(app), "the palette listed its commands")
            await quick(app, ["down"])
            await idle(pilot)
        assert highlighted(app, "Next word")
        await quick(app, ["enter", "enter"])
        await idle(pilot)
        assert app.is_running and app.return_code is None
        assert app.cursor == 1  # Next word ran, once
        assert not CommandPalette.is_open(app)
        assert len(app.screen_stack) >= 1
        seen.append(type(app.screen).__name__)

    run(app, scenario)
    assert seen and not app.crashed


def test_quit_enter_enter_in_the_palette_quits_cleanly_with_status_zero():
    app = make_app("lstm")

    async def scenario(pilot):
        await pilot.press("ctrl+p")
        await quick(app, [*"quit"])
        await until(pilot, lambda: palette_offers(app, "Quit"), "the palette offered Quit")
        await quick(app, ["enter", "enter"])
        await idle(pilot)
        for _ in range(50):
            if not app.is_running:
                break
            await asyncio.sleep(0.02)

    run(app, scenario)
    assert not app.crashed
    assert app.return_code == 0


def test_a_command_chosen_with_two_enters_runs_once():
    app = make_app("lstm")

    async def scenario(pilot):
        await pilot.press("ctrl+p")
        await quick(app, [*"next word"])
        await until(pilot, lambda: palette_offers(app, "Next word"), "the palette offered Next word")
        await quick(app, ["enter", "enter"])
        await idle(pilot)
        assert not CommandPalette.is_open(app)
        assert app.cursor == 1

    run(app, scenario)


def test_an_exit_queued_behind_a_crash_keeps_the_crash_status():
    app = make_app("lstm")

    async def scenario(pilot):
        def boom() -> None:
            app.exit(0)  # as a quit command scheduled just before the crash
            raise RuntimeError("boom")

        app.call_later(boom)
        app.call_later(app.exit, None, 0)
        await pilot.pause()

    with pytest.raises(RuntimeError):
        run(app, scenario)
    assert app.crashed and app.return_code == 1


def palette_keys(rng: random.Random, count: int, palette_open: bool) -> list[str]:
    """Palette keys, most of them typed into an open palette; `q` only there (on the main screen it
    quits, and the storm would spend its time starting the app again)."""
    letters = string.ascii_lowercase if palette_open else string.ascii_lowercase.replace("q", "")
    keys = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.12:
            keys.append("ctrl+p")
        elif roll < 0.32:
            keys.append("enter")
        elif roll < 0.45:
            keys.append(rng.choice(["down", "up"]))
        elif roll < 0.55:
            keys.append("escape")
        elif roll < 0.58:
            keys.append("backspace")
        else:
            keys.append(rng.choice(letters))
    return keys


def test_a_storm_of_palette_keys_never_crashes(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the palette's "Save screenshot" writes into the working directory
    monkeypatch.setattr(textual.screen, "UPDATE_PERIOD", 1 / 20)  # fewer frames: the keys are the test
    rng = random.Random(19)
    pressed, sessions = 0, 0
    while pressed < STORM_KEYS:  # a storm that types "quit" ends a session: the next one starts afresh
        app = make_app("lstm", "the cat sat on the mat .")
        sessions += 1

        async def storm(pilot, app=app) -> None:
            nonlocal pressed
            while pressed < STORM_KEYS and app.is_running:
                burst = min(BURST, STORM_KEYS - pressed)
                await quick(app, palette_keys(rng, burst, CommandPalette.is_open(app)))
                pressed += burst
                await idle(pilot, rounds=200)

        run(app, storm)
        assert not app.crashed, f"session {sessions} crashed"
        assert app.return_code in (None, 0)
    assert pressed == STORM_KEYS
