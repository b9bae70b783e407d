"""Forward-pass figures: Model.run without and with the decoder, beside PyTorch on the same weights."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rnnviz.bench.models import random_model, random_words
from rnnviz.bench.sections import SINGLE
from rnnviz.bench.timing import time_blocks, time_rounds
from rnnviz.bench.torchside import TorchTwin, import_torch

CELLS = ("lstm", "gru", "rnn")
VOCAB_SIZE = 1000
RUN_BUDGET = 8.0  # seconds per case at most, once three rounds are in


@dataclass(frozen=True)
class Case:
    cell: str
    hidden: int
    steps: int
    layers: int

    @property
    def label(self) -> str:
        return f"{self.cell} H={self.hidden} T={self.steps} L={self.layers}"


HEADLINE = Case("lstm", 256, 512, 2)  # the forward figure with a goal


def cases(scope: str) -> list[Case]:
    """quick: the headline and two small cases; default: each cell at the headline size plus the
    smallest and largest LSTM; full: every cell × H {64, 256, 1024} × T {100, 512, 1000} × 1–2 layers."""
    if scope == "quick":
        return [HEADLINE, Case("gru", 64, 100, 1), Case("rnn", 64, 100, 1)]
    if scope == "full":
        grid = itertools.product(CELLS, (64, 256, 1024), (100, 512, 1000), (1, 2))
        return [Case(*values) for values in grid]
    return [
        HEADLINE,
        Case("gru", 256, 512, 2),
        Case("rnn", 256, 512, 2),
        Case("lstm", 64, 100, 1),
        Case("lstm", 1024, 1000, 1),
    ]


def run(scope: str, repeats: int, threads: str) -> dict[str, Any]:
    torch = import_torch()
    rows = [measure(case, repeats, torch, alternate=threads == SINGLE) for case in cases(scope)]
    return {
        "vocab": VOCAB_SIZE,
        "dtype": "float32",
        "torch": None if torch is None else str(torch.__version__),
        "torch_threads": None if torch is None else int(torch.get_num_threads()),
        "rows": rows,
    }


def measure(case: Case, repeats: int, torch: Any, alternate: bool = True) -> dict[str, Any]:
    """One case: medians of rnnviz and (if installed) torch, and their ratios.

    Single-threaded, the candidates alternate round by round (a burst of load hits both alike). With
    default threads each runs on its own: two thread pools taking turns slow each other down.
    """
    cell = "rnn_tanh" if case.cell == "rnn" else case.cell
    model = random_model(cell, case.hidden, case.hidden, VOCAB_SIZE, layers=case.layers)
    words = random_words(model, case.steps)
    candidates = {
        "rnnviz": lambda: model.run(words, decode=False),
        "rnnviz_decoded": lambda: model.run(words),
    }
    twin = None
    if torch is not None:
        twin = TorchTwin(torch, model)
        ids = twin.ids(model.encode(words)[1])
        candidates["torch"] = lambda: twin.run(ids, decode=False)
        candidates["torch_decoded"] = lambda: twin.run(ids, decode=True)
    timing = time_rounds if alternate else time_blocks
    timings = timing(candidates, repeats, warmup=1, budget=RUN_BUDGET)
    row: dict[str, Any] = {**asdict(case), "label": case.label, "embedding": case.hidden}
    row.update({name: found.as_dict() for name, found in timings.items()})
    if twin is not None:
        row["ratio"] = timings["rnnviz"].median / timings["torch"].median
        row["ratio_decoded"] = timings["rnnviz_decoded"].median / timings["torch_decoded"].median
        ours = model.run(words, decode=False).hidden[-1]
        theirs = twin.run(ids, decode=False).numpy()[:, 0]
        row["max_abs_diff"] = float(np.abs(ours - theirs).max())  # the same weights, checked
    return row
