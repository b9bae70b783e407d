"""Key → settled screen, for every binding of the viewer, headless.

"Settled" means the key has had its whole effect: Textual has processed the key and every refresh
and repaint it caused (`pilot.pause()`), no worker of the app is pending or running, and the app has
no slow work waiting (`RnnvizApp.busy`: a links row waiting for the cursor to rest, the flow curves,
a ranking). That is what a person sees as "the screen stopped changing", which a figure to the first
frame misses (a dialog's first frame may be empty, a panel may show "computing…" for a second).

The figure is the time from the key to the screen's last change: frames are recorded as the app
hands them to the terminal driver (as rnnviz.bench.latency does), and once the app has settled the
last frame since the key is when the screen stopped changing. (Detecting "settled" costs time of its
own — Pilot.pause waits for the process to be idle for 20 ms — which the figure leaves out; a key
that changes nothing on screen — left on the first word, escape with nothing silenced — is counted
apart, as "unchanged", and has no figure.)

Each key is pressed `repeats` times on the demo LSTM; a key that opens a dialog is followed by
escape (timed apart, as "escape (close)"). The tour (`t`) measures its later steps in a background
worker that the settle figure includes. Then a storm: `STORM` keys drawn at random from the key table
are sent as fast as a terminal would deliver them, and the clock runs until the app has settled.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from time import perf_counter
from typing import Any

from textual import events
from textual.worker import WorkerState

from rnnviz.bench.frames import record_frames

SIZE = (120, 40)
STORM = 300
SETTLE_TIMEOUT = 30.0
SKIPPED = {"quit"}  # quitting ends the app
ACTIVE = (WorkerState.PENDING, WorkerState.RUNNING)


def busy(app: Any) -> bool:
    """Work still changing the screen: a running worker, or slow work the app waits for."""
    if any(worker.state in ACTIVE for worker in app.workers):
        return True
    return bool(getattr(app, "busy", False))


async def settle(pilot: Any, timeout: float = SETTLE_TIMEOUT) -> bool:
    """Wait until the app has settled (see the module docstring); False when it did not in time."""
    app = pilot.app
    deadline = perf_counter() + timeout
    while True:
        await pilot.pause()
        if not busy(app):
            await pilot.pause()  # what the last worker posted has been handled and drawn
            if not busy(app):
                return True
        if perf_counter() > deadline:
            return False
        await asyncio.sleep(0.002)


def _send(app: Any, key: str) -> None:
    """A key as the terminal driver delivers it (no waiting for it to be handled)."""
    character = "?" if key == "question_mark" else key if len(key) == 1 else None
    event = events.Key(key, character)
    event.set_sender(app)
    app._driver.send_message(event)


def _dialog_open(app: Any) -> bool:
    return len(app.screen_stack) > 1


async def settled_after(pilot: Any, frames: list[float], key: str) -> float | None:
    """Send a key, wait until the app has settled; seconds from the key to the last frame since
    (None: the key changed nothing on screen)."""
    seen = len(frames)
    start = perf_counter()
    _send(pilot.app, key)
    await settle(pilot)
    return frames[-1] - start if len(frames) > seen else None


async def key_settle_times(make_app: Any, repeats: int) -> dict[str, list[float | None]]:
    """Seconds from each binding's key to the screen's last change, `repeats` times each (None: a
    press that changed nothing)."""
    from rnnviz.tui.app import ACTIONS

    times: dict[str, list[float | None]] = {}
    app = make_app()
    frames = record_frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(repeats):
            for action in ACTIONS:
                if action.action in SKIPPED:
                    continue
                times.setdefault(action.key, []).append(await settled_after(pilot, frames, action.key))
                while _dialog_open(app):
                    closing = await settled_after(pilot, frames, "escape")
                    times.setdefault("escape (close)", []).append(closing)
                await settle(pilot)
    return times


async def storm_seconds(make_app: Any, keys: int = STORM, seed: int = 0) -> tuple[float, bool]:
    """Seconds for `keys` random keys from the key table to drain, and whether the app settled."""
    from rnnviz.tui.app import ACTIONS

    table = [a.key for a in ACTIONS if a.action not in SKIPPED] + ["escape"]
    draws = random.Random(seed).choices(table, k=keys)
    app = make_app()
    frames = record_frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = perf_counter()
        for key in draws:
            _send(app, key)
        settled = await settle(pilot)
        return (frames[-1] if frames else perf_counter()) - start, settled


def _summary(seconds: list[float | None]) -> dict[str, Any]:
    """Median and p90 of the presses that changed the screen; `unchanged` counts the others."""
    ordered = sorted(t for t in seconds if t is not None)
    found: dict[str, Any] = {"n": len(ordered), "unchanged": len(seconds) - len(ordered)}
    if ordered:
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        found.update(median_ms=statistics.median(ordered) * 1e3, p90_ms=p90 * 1e3)
    return found


def run(scope: str, repeats: int, threads: str) -> dict[str, Any]:
    from rnnviz.tui.app import make_app  # Textual only here

    rounds = 2 if scope == "quick" else max(3, repeats)
    times = asyncio.run(key_settle_times(lambda: make_app("lstm"), rounds))
    storm, settled = asyncio.run(storm_seconds(lambda: make_app("lstm")))
    every = [t for values in times.values() for t in values]
    return {
        "terminal": list(SIZE),
        "keys": {key: _summary(values) for key, values in times.items()},
        "all": _summary(every),
        "storm": {"keys": STORM, "seconds": storm, "settled": settled},
    }


def main() -> None:
    """python -m rnnviz.bench.settle: the table, printed."""
    found = run("default", 3, "default")
    for key, row in found["keys"].items():
        if row["n"]:
            print(f"{key:>16}  median {row['median_ms']:7.1f} ms  p90 {row['p90_ms']:7.1f} ms  n={row['n']}")
        else:
            print(f"{key:>16}  changed nothing on screen ({row['unchanged']} presses)")
    every = found["all"]
    print(f"{'every key':>16}  median {every['median_ms']:7.1f} ms  p90 {every['p90_ms']:7.1f} ms")
    storm = found["storm"]
    print(f"storm of {storm['keys']} keys: {storm['seconds']:.2f} s (settled: {storm['settled']})")


if __name__ == "__main__":
    main()
