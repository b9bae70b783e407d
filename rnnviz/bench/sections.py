"""The bench's sections: what each measures and under which thread settings it runs."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rnnviz.errors import InputError

SINGLE, DEFAULT = "single", "default"
# Environment of a single-threaded worker: NumPy's BLAS (OpenBLAS, MKL or BLIS) and torch read these
# when they load, which is why each thread setting runs in its own process.
SINGLE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class Section:
    name: str
    module: str  # rnnviz.bench.<module> with run(scope, repeats, threads) -> dict
    title: str
    thread_modes: tuple[str, ...]

    def runner(self) -> Callable[[str, int, str], dict[str, Any]]:
        return importlib.import_module(f"rnnviz.bench.{self.module}").run


SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        Section("forward", "forward", "forward pass, rnnviz vs PyTorch", (SINGLE, DEFAULT)),
        Section("keypress", "keypress", "TUI keypress → repainted frame", (DEFAULT,)),
        Section("settle", "settle", "TUI key → settled screen, every binding", (DEFAULT,)),
        Section("launch", "launch", "TUI launch → first frame", (DEFAULT,)),
        Section("links", "links", "memory links", (SINGLE, DEFAULT)),
        Section("reach", "reach", "links reach on a 1,024-unit LSTM, cursor resting", (SINGLE, DEFAULT)),
        Section("long", "longtext", "100,000-word text", (DEFAULT,)),
        # threads are switched inside the one process (threadpoolctl, torch.set_num_threads), so that
        # every setting is timed in the same alternating rounds
        Section("train", "train", "one training step, rnnviz vs PyTorch", (DEFAULT,)),
        Section("textview", "textview", "TUI text view: 20,000 characters, character model", (DEFAULT,)),
    )
}


def parse_only(text: str | None) -> list[str]:
    """Section names from a comma list (None: all), in the bench's order; ValueError names a bad one."""
    if not text:
        return list(SECTIONS)
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown or not wanted:
        raise InputError(
            f"unknown bench section {', '.join(unknown) or repr(text)}: choose from {', '.join(SECTIONS)}"
        )
    return [name for name in SECTIONS if name in wanted]
