"""Memory-links figures: all rows by occlusion and by gradient, one row by integrated gradients."""

from __future__ import annotations

from typing import Any

from rnnviz.analysis.links import DEFAULT_STEPS, link_rows, links
from rnnviz.bench.models import random_model, random_words
from rnnviz.bench.timing import time_rounds

# (T, H, E, V) of the links goals, and a small stand-in for --quick.
SIZES = {"default": (100, 256, 256, 10_000), "quick": (30, 64, 64, 2_000)}


def run(scope: str, repeats: int, threads: str) -> dict[str, Any]:
    steps, hidden, embedding, vocab = SIZES["quick" if scope == "quick" else "default"]
    model = random_model("lstm", hidden, embedding, vocab, layers=1)
    trace = model.run(random_words(model, steps))
    timings = time_rounds(
        {
            "occlusion": lambda: links(model, trace, "occlusion"),
            "gradient": lambda: links(model, trace, "gradient"),
            "integrated": lambda: link_rows(model, trace, [steps - 1], "integrated", steps=DEFAULT_STEPS),
        },
        repeats,
        warmup=1,
    )
    return {
        "cell": "lstm",
        "steps": steps,
        "hidden": hidden,
        "embedding": embedding,
        "vocab": vocab,
        "integrated_steps": DEFAULT_STEPS,
        **{name: timing.as_dict() for name, timing in timings.items()},
    }
