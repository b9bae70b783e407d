"""Keypress → repainted frame latency of the app, measured headless (used by benchmarks, not tests).

A key event is sent the way a terminal driver sends it; the clock stops when the next frame has been
rendered to the escape codes a terminal would receive. Textual paces frames at MAX_FPS (60 by
default), so a figure includes the wait for the next frame slot.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence
from time import perf_counter

from textual import events
from textual.app import App

from rnnviz.bench.frames import record_frames

FRAME_TIMEOUT = 2.0


async def keypress_latencies(
    app: App, keys: Sequence[str], size: tuple[int, int] = (120, 40), warmup: int = 3
) -> list[float]:
    """Seconds from each key to the end of the frame it caused (keys that change nothing are skipped)."""
    frames = record_frames(app)
    latencies: list[float] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        driver = app._driver
        assert driver is not None
        for k, key in enumerate(keys):
            await pilot.pause()
            seen = len(frames)
            start = perf_counter()
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            driver.send_message(event)
            deadline = start + FRAME_TIMEOUT
            while len(frames) == seen and perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            if len(frames) > seen and k >= warmup:
                latencies.append(frames[seen] - start)
    return latencies


def summary(latencies: Sequence[float]) -> str:
    """Median and 90th percentile in milliseconds."""
    if not latencies:
        return "no frames"
    ordered = sorted(latencies)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms, n={len(ordered)}"


def main() -> None:
    """python -m rnnviz.bench.latency: the demo LSTM, then a 1,024-unit × 1,000-word LSTM."""
    import numpy as np

    from rnnviz.core.cells import GATE_COUNT
    from rnnviz.core.model import Model
    from rnnviz.training.corpus import demo_vocab
    from rnnviz.tui.app import make_app

    steps = (["right"] * 13 + ["left"] * 13) * 3
    demo = asyncio.run(keypress_latencies(make_app("lstm"), steps))
    print("demo lstm (64 units, 14 words):", summary(demo))

    rng = np.random.default_rng(0)
    vocab = demo_vocab()
    hidden, embedding, gates = 1024, 32, GATE_COUNT["lstm"]
    weights = {
        "encoder.weight": rng.normal(0, 1, (len(vocab), embedding)),
        "rnn.weight_ih_l0": rng.uniform(-0.05, 0.05, (gates * hidden, embedding)),
        "rnn.weight_hh_l0": rng.uniform(-0.05, 0.05, (gates * hidden, hidden)),
        "rnn.bias_ih_l0": np.zeros(gates * hidden),
        "rnn.bias_hh_l0": np.zeros(gates * hidden),
        "decoder.weight": rng.uniform(-0.05, 0.05, (len(vocab), hidden)),
        "decoder.bias": np.zeros(len(vocab)),
    }
    big = Model(weights, "lstm", vocab)
    words = [vocab[i] for i in rng.integers(3, len(vocab), 1000)]
    start = perf_counter()
    app = make_app(big, text=words)
    print(f"1,024 × 1,000 lstm: model run {perf_counter() - start:.2f} s")
    large = asyncio.run(keypress_latencies(app, ["end"] + ["left"] * 20 + ["s"] + ["left"] * 10))
    print("1,024 units × 1,000 words:", summary(large))


if __name__ == "__main__":
    main()
