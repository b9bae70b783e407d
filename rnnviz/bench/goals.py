"""Issue 9's figures to reach, checked against a bench report."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rnnviz.bench.forward import HEADLINE
from rnnviz.bench.keypress import LARGE
from rnnviz.bench.links import SIZES as LINK_SIZES
from rnnviz.bench.longtext import WORDS
from rnnviz.bench.reach import CASES as REACH_CASES
from rnnviz.bench.sections import DEFAULT, SINGLE
from rnnviz.bench.textview import CHARS
from rnnviz.bench.train import BUNDLED as TRAIN_BUNDLED

MODE_LABEL = {SINGLE: "1 thread", DEFAULT: "default threads"}


@dataclass(frozen=True)
class Goal:
    figure: str
    measured: float | None
    limit: float
    unit: str

    @property
    def met(self) -> bool | None:
        return None if self.measured is None else self.measured <= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


def _result(sections: dict[str, Any], name: str, mode: str) -> dict[str, Any] | None:
    entry = sections.get(name, {}).get(mode)
    return None if entry is None or "result" not in entry else entry["result"]


def check(sections: dict[str, Any]) -> list[Goal]:
    """Every goal whose figure the report measured at the goal's own size."""
    goals: list[Goal] = []
    # The forward pass has a goal on one thread only: with default threads torch splits each step's
    # product over the cores inside one compiled loop, which rnnviz's per-step Python loop does not
    # (the figure is still measured and shown in the forward table).
    for mode in (SINGLE,):
        forward = _result(sections, "forward", mode)
        for row in forward["rows"] if forward else []:
            if row["label"] == HEADLINE.label and "ratio" in row:
                figure = f"forward {HEADLINE.label} float32, rnnviz / torch ({MODE_LABEL[mode]})"
                goals.append(Goal(figure, row["ratio"], 1.5, "×"))
    keypress = _result(sections, "keypress", DEFAULT)
    if keypress:
        goals.append(Goal("keypress → frame, demo (typing, median)", keypress["demo"]["median_ms"], 16, "ms"))
        large = keypress["large"]
        if (large["hidden"], large["words"]) == LARGE["default"]:
            figure = f"keypress → frame, H={large['hidden']} × T={large['words']} (typing, median)"
            goals.append(Goal(figure, large["median_ms"], 33, "ms"))
    settle = _result(sections, "settle", DEFAULT)
    if settle:
        every = settle["all"]
        goals.append(Goal("key → settled screen, every binding (median)", every.get("median_ms"), 50, "ms"))
        goals.append(Goal("key → settled screen, every binding (p90)", every.get("p90_ms"), 120, "ms"))
        storm = settle["storm"]
        seconds = storm["seconds"] if storm["settled"] else None
        goals.append(Goal(f"{storm['keys']} random keys drain", seconds, 3, "s"))
    launch = _result(sections, "launch", DEFAULT)
    if launch:
        goals.append(Goal("launch → first frame (median)", launch["median_s"], 0.8, "s"))
    limits = {
        "occlusion": ("occlusion, all rows", 300),
        "gradient": ("gradient, all rows", 200),
        "integrated": ("integrated gradients, one row", 100),
    }
    for mode in (SINGLE, DEFAULT):
        found = _result(sections, "links", mode)
        if (
            not found
            or (found["steps"], found["hidden"], found["embedding"], found["vocab"]) != LINK_SIZES["default"]
        ):
            continue
        for method, (label, limit) in limits.items():
            size = f"T={found['steps']}, H={found['hidden']}, V={found['vocab']:,}"
            goals.append(
                Goal(f"links {label} ({size}, {MODE_LABEL[mode]})", found[method]["median_ms"], limit, "ms")
            )
    for mode in (SINGLE, DEFAULT):
        reach = _result(sections, "reach", mode)
        if not reach or (reach["hidden"], reach["words"]) != REACH_CASES["default"]:
            continue
        size = f"{reach['hidden']:,}-unit LSTM, T={reach['words']:,}"
        figure = f"links reach: {size}: time until the cursor's row covers {reach['full_words']} words"
        goals.append(Goal(f"{figure} ({MODE_LABEL[mode]})", reach["reach_s"], 5, "s"))
        figure = f"links reach: {size}: keypress repaint median while it extends ({MODE_LABEL[mode]})"
        goals.append(Goal(figure, reach["keys"]["median_ms"], 33, "ms"))
    goals.extend(train_goals(_result(sections, "train", DEFAULT)))
    long = _result(sections, "long", DEFAULT)
    if long and long["words"] == WORDS["default"]:
        goals.append(Goal(f"{long['words']:,} words: Model.run time", long["seconds"], 10, "s"))
        goals.append(Goal(f"{long['words']:,} words: peak memory (RSS)", long["peak_rss_mib"], 1024, "MiB"))
    text = _result(sections, "textview", DEFAULT)
    if text and text["chars"] == CHARS["default"]:
        size = f"{text['chars']:,} characters, H={text['hidden']}"
        goals.append(Goal(f"text view open → first frame ({size})", text["open_s"], 2.0, "s"))
        goals.append(
            Goal(
                f"text view cursor key → frame ({size}, typing, median)", text["keys"]["median_ms"], 33, "ms"
            )
        )
    return goals


def train_goals(train: dict[str, Any] | None) -> list[Goal]:
    """A training step is never slower than PyTorch's (one thread, and default threads each side),
    and rnnviz's default threads are never slower than one thread, free or with one core busy: the
    bundled size on its own, then the worst case of the grid."""
    if not train:
        return []
    goals: list[Goal] = []
    figures = {
        "ratio_single": "rnnviz / torch (1 thread)",
        "ratio_default": "rnnviz / torch (default threads)",
        "default_vs_single": "rnnviz default threads / 1 thread",
    }
    for rows, where in ((train["rows"], ""), (train.get("busy_rows", []), ", one core busy")):
        bundled = [row for row in rows if row["label"] == TRAIN_BUNDLED.label]
        for key, text in figures.items():
            for row in bundled:
                if key in row:
                    goals.append(Goal(f"train step {row['label']}: {text}{where}", row[key], 1.0, "×"))
            measured = [row for row in rows if key in row]
            if len(measured) > 1:
                worst = max(measured, key=lambda row: row[key])
                figure = f"train step, worst of {len(measured)} cases ({worst['label']}): {text}{where}"
                goals.append(Goal(figure, worst[key], 1.0, "×"))
    return goals
