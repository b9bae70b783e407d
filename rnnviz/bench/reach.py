"""How far a links row reaches on a big model, and how the viewer feels while it gets there.

The cursor goes to the last word of a 1,000-word text on a 1,024-unit LSTM and rests; its occlusion
row is capped at first (LINK_BUDGET) and then extended backwards by a worker. Two figures: the time
from the key until the cursor's row covers the full window, and the keypress → frame latency of
keys sent meanwhile (up/down: they select another unit and repaint, but keep the cursor, so the
extension goes on). Keys are sent at random moments of Textual's frame cycle, as in keypress.py.
"""

from __future__ import annotations

import asyncio
import random
from time import perf_counter
from typing import Any

from rnnviz.bench.frames import record_frames
from rnnviz.bench.keypress import FRAME_PERIOD, FRAME_TIMEOUT, LARGE_EMBEDDING, SIZE, _summary
from rnnviz.bench.models import corpus_words, random_model
from rnnviz.training.corpus import demo_vocab

CASES = {"default": (1024, 1000), "quick": (256, 300)}  # (units, words)
REACH_TIMEOUT = 600.0  # seconds: a bound, so a broken extension ends the bench


def run(scope: str, repeats: int, threads: str) -> dict[str, Any]:
    from rnnviz.tui.app import make_app  # Textual only here
    from rnnviz.tui.state.linkcache import link_window

    hidden, words = CASES["quick" if scope == "quick" else "default"]
    vocab = demo_vocab()
    model = random_model("lstm", hidden, LARGE_EMBEDDING, len(vocab), vocab=vocab)
    app = make_app(model, text=corpus_words(words))
    found = asyncio.run(_reach(app))
    return {
        "hidden": hidden,
        "words": words,
        "first_window": link_window(model, "occlusion"),
        **found,
    }


async def _reach(app: Any) -> dict[str, Any]:
    from textual import events

    from rnnviz.tui.state.linkcache import LinkJob

    frames = record_frames(app)

    def send(key: str) -> None:
        event = events.Key(key, None)
        event.set_sender(app)
        app._driver.send_message(event)

    phase = random.Random(0)
    latencies: list[float] = []
    reaches: list[tuple[float, int]] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.panels[0].view
        memory = app.memory
        step = view.steps - 1
        start = perf_counter()
        send("end")
        job = None
        keys = 0
        while perf_counter() < start + REACH_TIMEOUT:
            await asyncio.sleep(FRAME_PERIOD + phase.uniform(0, FRAME_PERIOD))
            if job is None and app.cursor == step:
                window = memory._link_jobs()[0]
                job = window if isinstance(window, LinkJob) else None
            reach = None if job is None else memory.link_cache.reach(job)
            if reach is not None and (not reaches or reaches[-1][1] != reach):
                reaches.append((perf_counter() - start, reach))
            if job is not None and reach == job.full_words:
                break
            if reach is None:
                continue
            seen = len(frames)
            sent = perf_counter()
            send("down" if keys % 2 == 0 else "up")
            keys += 1
            while len(frames) == seen and perf_counter() < sent + FRAME_TIMEOUT:
                await asyncio.sleep(0.0005)
            if len(frames) > seen:
                latencies.append(frames[seen] - sent)
        full = None if job is None else job.full_words
    return {
        "full_words": full,
        "reach_s": reaches[-1][0] if reaches and reaches[-1][1] == full else None,
        "pieces": [{"s": round(t, 3), "words": w} for t, w in reaches],
        "keys": {**_summary(latencies)},
    }
