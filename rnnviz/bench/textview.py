"""The viewer on a long text read by a character model: open → first frame, and cursor keys → frame.

The text is rnnviz's own source (20,000 characters; deterministic for a commit), the model a seeded
random character LSTM of CHAR_HIDDEN units. "open" runs from make_app (the model runs over the
whole text there) to the first frame rendered to the escape codes a terminal would receive, in this
process (Python and the imports are already loaded: `launch` measures those). The keys are the text
view's cursor moves — character, word and line, both ways — sent at random frame phases as a
person's keys arrive (rnnviz.bench.keypress.typing_latencies).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from time import perf_counter
from typing import Any

from rnnviz.bench.keypress import SIZE, _summary, typing_latencies
from rnnviz.bench.models import random_model
from rnnviz.core.model import Model

CHARS = {"default": 20_000, "quick": 4_000}
CHAR_HIDDEN = {"default": 192, "quick": 64}
CHAR_EMBEDDING = 32
SWEEP = (
    ["right"] * 6
    + ["ctrl+right"] * 3
    + ["ctrl+down"] * 3
    + ["left"] * 6
    + ["ctrl+left"] * 3
    + ["ctrl+up"] * 3
)


def source_text(count: int) -> str:
    """The first `count` characters of rnnviz's own Python source, files in name order."""
    root = Path(__file__).resolve().parent.parent
    parts: list[str] = []
    size = 0
    for path in sorted(root.rglob("*.py")):
        parts.append(path.read_text(encoding="utf-8"))
        size += len(parts[-1])
        if size >= count:
            break
    return "".join(parts)[:count]


def char_model(text: str, hidden: int, seed: int = 0) -> Model:
    """A seeded random character LSTM whose vocabulary is the text's characters."""
    vocab = ["<unk>", *sorted(set(text))]
    words = random_model("lstm", hidden, CHAR_EMBEDDING, len(vocab), vocab=vocab, seed=seed)
    return Model(words.weights, "lstm", vocab, tokenizer="chars")


async def open_seconds(model: Model, text: str) -> tuple[float, float]:
    """(seconds from make_app to the first frame, of which the model run in make_app)."""
    from rnnviz.tui.app import make_app

    start = perf_counter()
    app = make_app(model, text)
    made = perf_counter()
    seen: list[float] = []
    show = app._display  # the app's frame output (private, as in rnnviz.bench.latency)

    def display(screen: Any, update: Any) -> None:
        show(screen, update)
        if update is not None and not seen:
            update.render_segments(app.console)
            seen.append(perf_counter())

    app._display = display  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        while not seen:
            await pilot.pause()
    return seen[0] - start, made - start


def run(scope: str, repeats: int, threads: str) -> dict[str, Any]:
    from rnnviz.tui.app import make_app  # Textual only here

    size = "quick" if scope == "quick" else "default"
    text = source_text(CHARS[size])
    model = char_model(text, CHAR_HIDDEN[size])
    model.run("warm up")
    opens = [asyncio.run(open_seconds(model, text)) for _ in range(1 if scope == "quick" else 2)]
    best = min(opens)
    sweeps = 1 if scope == "quick" else 3
    keys = SWEEP * sweeps
    app = make_app(model, text)
    app.cursor = len(text) // 2
    # Every key moves the cursor, so every key draws a frame and the latencies line up with the keys.
    latencies = asyncio.run(typing_latencies(app, keys, SIZE, warmup=0))
    by_kind: dict[str, list[float]] = {}
    for key, seconds in zip(keys, latencies, strict=False):
        by_kind.setdefault(key, []).append(seconds)
    return {
        "chars": len(text),
        "hidden": model.hidden_size,
        "terminal": list(SIZE),
        "open_s": best[0],
        "model_run_s": best[1],
        "keys": _summary(latencies),
        "by_key": {key: _summary(found) for key, found in by_kind.items()},
    }
