"""Keypress → repainted frame in the TUI, headless, through the TUI's own latency probe."""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

from ..corpus import demo_vocab
from .models import corpus_words, random_model

SIZE = (120, 40)  # terminal columns × rows
# Large case of issue 9 (units × words), and a small stand-in for --quick.
LARGE = {"default": (1024, 1000), "quick": (256, 200)}
LARGE_EMBEDDING = 64


def run(scope: str, repeats: int, threads: str) -> dict[str, Any]:
    from ..tui.app import make_app  # Textual only here
    from ..tui.latency import keypress_latencies

    sweeps = 1 if scope == "quick" else max(2, repeats // 2)
    demo_keys = (["right"] * 12 + ["left"] * 12) * sweeps
    demo = asyncio.run(keypress_latencies(make_app("lstm"), demo_keys, size=SIZE))

    hidden, words = LARGE["quick" if scope == "quick" else "default"]
    vocab = demo_vocab()
    model = random_model("lstm", hidden, LARGE_EMBEDDING, len(vocab), vocab=vocab)
    large_keys = ["end"] + (["left"] * 12 + ["right"] * 12) * sweeps
    large = asyncio.run(keypress_latencies(make_app(model, text=corpus_words(words)), large_keys, size=SIZE))
    return {
        "terminal": list(SIZE),
        "demo": {"hidden": 64, **_summary(demo)},
        "large": {"hidden": hidden, "words": words, **_summary(large)},
    }


def _summary(latencies: list[float]) -> dict[str, Any]:
    if not latencies:
        return {"median_ms": None, "p90_ms": None, "n": 0}
    ordered = sorted(latencies)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {"median_ms": statistics.median(ordered) * 1e3, "p90_ms": p90 * 1e3, "n": len(ordered)}
