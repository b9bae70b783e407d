"""A 100,000-word text through the bundled (demo-size) LSTM: Model.run time and peak memory.

Runs in its own process (the bench starts one per section), so the peak resident set size from
getrusage is this run's: it includes the interpreter and NumPy (reported separately as `baseline`).
tracemalloc's peak, from a second run, counts only what the run itself allocated.
"""

from __future__ import annotations

import resource
import sys
import tracemalloc
from time import perf_counter
from typing import Any

from rnnviz.bench.models import corpus_words
from rnnviz.io.weights import load

WORDS = {"default": 100_000, "quick": 10_000}


def _rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run(scope: str, repeats: int, threads: str) -> dict[str, Any]:
    count = WORDS["quick" if scope == "quick" else "default"]
    text = " ".join(corpus_words(count))
    model = load("lstm")
    model.run("the cat sat .")  # imports and first-call costs out of the way
    baseline = _rss_mib()
    start = perf_counter()
    trace = model.run(text)
    seconds = perf_counter() - start
    peak = _rss_mib()
    words = len(trace)
    del trace
    tracemalloc.start()
    model.run(text)
    traced = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    tracemalloc.stop()
    return {
        "words": words,
        "model": repr(model),
        "seconds": seconds,
        "peak_rss_mib": peak,
        "baseline_rss_mib": baseline,
        "traced_peak_mib": traced,
    }
