"""Keypress → repainted frame in the TUI, headless.

Two figures per model. "back to back" is the TUI's own probe (rnnviz.bench.latency): each key is sent
right after the previous key's frame, so it also waits out most of Textual's 60 Hz frame period (the
screen repaints on a fixed 1/60 s grid). "typing" sends each key at a random moment of that cycle, as
a person's keys arrive; it is the figure the goal is checked against. Both stop the clock when the
frame has been rendered to the escape codes a terminal would receive.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections.abc import Sequence
from time import perf_counter
from typing import Any

from rnnviz.bench.frames import record_frames
from rnnviz.bench.models import corpus_words, random_model
from rnnviz.training.corpus import demo_vocab

SIZE = (120, 40)  # terminal columns × rows
# The large case the keypress goal is set for (units × words), and a small stand-in for --quick.
LARGE = {"default": (1024, 1000), "quick": (128, 100)}
LARGE_EMBEDDING = 64
FRAME_PERIOD = 1 / 60  # Textual's default MAX_FPS
FRAME_TIMEOUT = 2.0


def run(scope: str, repeats: int, threads: str) -> dict[str, Any]:
    from rnnviz.bench.latency import keypress_latencies
    from rnnviz.tui.app import make_app  # Textual only here

    # Words stepped right and back per sweep, and sweeps: enough keys (~90 demo, ~70 large) that the
    # median moves little between runs; the large model's setup (a 1,000-word run) dominates its time.
    span = 6 if scope == "quick" else 12
    sweeps = {"demo": 1 if scope == "quick" else 4, "large": 1 if scope == "quick" else 3}
    hidden, words = LARGE["quick" if scope == "quick" else "default"]
    vocab = demo_vocab()
    large_model = random_model("lstm", hidden, LARGE_EMBEDDING, len(vocab), vocab=vocab)
    large_text = corpus_words(words)
    cases = {
        "demo": (lambda: make_app("lstm"), (["right"] * span + ["left"] * span) * sweeps["demo"]),
        "large": (
            lambda: make_app(large_model, text=large_text),
            ["end"] + (["left"] * span + ["right"] * span) * sweeps["large"],
        ),
    }
    found: dict[str, Any] = {"terminal": list(SIZE)}
    for name, (make, keys) in cases.items():
        typing = asyncio.run(typing_latencies(make(), keys, SIZE))
        back_to_back = asyncio.run(keypress_latencies(make(), keys, size=SIZE))
        found[name] = {**_summary(typing), "back_to_back": _summary(back_to_back)}
    found["demo"]["hidden"] = 64
    found["large"].update(hidden=hidden, words=words)
    return found


async def typing_latencies(
    app: Any, keys: Sequence[str], size: tuple[int, int], warmup: int = 3
) -> list[float]:
    """Seconds from each key to the end of the frame it caused, keys sent at random frame phases."""
    from textual import events

    phase = random.Random(0)
    frames = record_frames(app)
    latencies: list[float] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for k, key in enumerate(keys):
            await pilot.pause()
            await asyncio.sleep(FRAME_PERIOD + phase.uniform(0, FRAME_PERIOD))
            seen = len(frames)
            start = perf_counter()
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            app._driver.send_message(event)
            while len(frames) == seen and perf_counter() < start + FRAME_TIMEOUT:
                await asyncio.sleep(0.0005)
            if len(frames) > seen and k >= warmup:
                latencies.append(frames[seen] - start)
    return latencies


def _summary(latencies: list[float]) -> dict[str, Any]:
    if not latencies:
        return {"median_ms": None, "p90_ms": None, "n": 0}
    ordered = sorted(latencies)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {"median_ms": statistics.median(ordered) * 1e3, "p90_ms": p90 * 1e3, "n": len(ordered)}
