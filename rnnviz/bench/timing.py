"""Robust wall-clock timing: warm-up rounds, then candidates timed in alternating rounds, median kept.

Other processes share the CPU, so single runs are noisy; alternating the candidates of a comparison
(rnnviz, then torch, then rnnviz, …) makes a burst of load hit both alike, and the median ignores
the bursts themselves.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from time import perf_counter, sleep


@dataclass(frozen=True)
class Timing:
    median: float  # seconds
    fastest: float  # seconds
    runs: int

    def as_dict(self) -> dict[str, float | int]:
        return {"median_ms": self.median * 1e3, "min_ms": self.fastest * 1e3, "runs": self.runs}


def time_rounds(
    candidates: Mapping[str, Callable[[], object]],
    repeats: int,
    warmup: int = 1,
    budget: float | None = None,
    min_repeats: int = 3,
    settle: float = 0.0,
) -> dict[str, Timing]:
    """Time each candidate `repeats` times in alternating rounds after `warmup` untimed rounds.

    `budget` (seconds) ends the measurement early once it is spent, after at least `min_repeats`
    rounds, so a slow configuration does not hold the whole bench up. `settle` (seconds): an untimed
    pause before each timed run, so the thread pool of the candidate before has stopped spinning.
    """
    for _ in range(warmup):
        for run in candidates.values():
            run()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    began = perf_counter()
    for round_index in range(max(1, repeats)):
        for name, run in candidates.items():
            if settle:
                sleep(settle)
            start = perf_counter()
            run()
            samples[name].append(perf_counter() - start)
        spent = perf_counter() - began
        if budget is not None and spent > budget and round_index + 1 >= min_repeats:
            break
    return {name: summarize(values) for name, values in samples.items()}


def time_blocks(
    candidates: Mapping[str, Callable[[], object]],
    repeats: int,
    warmup: int = 1,
    budget: float | None = None,
    settle: float = 0.3,
) -> dict[str, Timing]:
    """Each candidate timed on its own (warm-up, then its rounds), with a pause in between.

    For multi-threaded libraries: the worker threads of one (OpenBLAS, OpenMP) spin for a while after
    each call, and would slow the other down if the two alternated.
    """
    timings: dict[str, Timing] = {}
    for name, run in candidates.items():
        sleep(settle)
        timings.update(time_rounds({name: run}, repeats, warmup=warmup, budget=budget))
    return timings


def summarize(values: list[float]) -> Timing:
    return Timing(median=statistics.median(values), fastest=min(values), runs=len(values))
