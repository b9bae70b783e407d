"""Launch to first frame: a fresh Python process that opens the app headless on the bundled LSTM
and the demo sentence; the clock runs from starting the process to the first rendered frame."""

from __future__ import annotations

import statistics
import subprocess
import sys
from time import perf_counter
from typing import Any

# The child: the same app the `rnnviz` command opens, driven headless; it reports its first frame.
CHILD = """
import sys
from rnnviz.tui.app import make_app

app = make_app("lstm")
shown = app._display

def display(screen, update):
    shown(screen, update)
    if update is not None and not getattr(app, "_bench_seen", False):
        update.render_segments(app.console)
        app._bench_seen = True
        sys.stdout.write("frame\\n")
        sys.stdout.flush()
        app.exit()

app._display = display
app.run(headless=True, size=(120, 40))
"""
TIMEOUT = 60.0


def run(scope: str, repeats: int, threads: str) -> dict[str, Any]:
    count = 1 if scope == "quick" else max(3, repeats)
    seconds = [first_frame() for _ in range(count + 1)][1:]  # the first launch warms the file cache
    return {"median_s": statistics.median(seconds), "min_s": min(seconds), "runs": len(seconds)}


def first_frame() -> float:
    start = perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        elapsed = perf_counter() - start
        _, errors = child.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise RuntimeError("the app did not draw a first frame within a minute") from None
    if line.strip() != "frame":
        last = errors.strip().splitlines()[-1] if errors.strip() else f"exit code {child.returncode}"
        raise RuntimeError(f"the app did not draw a frame: {last}")
    return elapsed
