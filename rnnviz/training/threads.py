"""BLAS threads for a repeated piece of work (a training step), chosen by measuring it both ways.

The rule: a step runs on BLAS's default threads only while that has been measured faster than one
thread on this machine, at this model size, under the load the machine has now. Small products (the
recurrent GEMM of a step at H = 64 is 32 × 64 × 256) finish before a second thread has woken up, and
BLAS threads that spin waiting for work fight every other process for the cores: on a busy 2-core
machine a default-threads step took five times its one-thread time. Large products (the decoder at
V = 10,000) do gain from a second core when one is free. Which side of the line a model is on
depends on the machine and its load, so it is measured rather than derived from the sizes:

- the first step runs untimed (it allocates and warms the caches), then `probes` steps alternate
  one thread and default threads, so a burst of load hits both alike;
- the setting with the lower median wins and stays for `recheck` steps, then it is measured again
  (the load on a shared machine changes).

Measuring costs nothing extra: the probe steps are real steps, each with either setting.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

SINGLE, DEFAULT, AUTO = "single", "default", "auto"
POLICIES = (AUTO, SINGLE, DEFAULT)
Result = TypeVar("Result")


class BlasThreads:
    """Runs work with NumPy's BLAS on one thread or its default threads: `policy` "auto" (measured,
    see the module docstring), "single" or "default"."""

    def __init__(
        self,
        policy: str = AUTO,
        probes: int = 3,
        recheck: int = 500,
        clock: Callable[[], float] = time.perf_counter,
    ):
        if policy not in POLICIES:
            raise ValueError(f"unknown BLAS thread policy {policy!r}: use one of {', '.join(POLICIES)}")
        self.policy = policy
        self.probes = max(1, probes)
        self.recheck = max(1, recheck)
        self.clock = clock
        self.chosen: str | None = None if policy == AUTO else policy  # the setting in force
        self.samples: dict[str, list[float]] = {SINGLE: [], DEFAULT: []}
        self.measured: dict[str, float] = {}  # median seconds of each setting at the last choice
        self._steps = 0  # steps since the measurement started (0: the next one warms up)
        self._controller: Any = None

    def run(self, work: Callable[[], Result]) -> Result:
        """work() under the setting of this step; while measuring, timed and recorded."""
        setting = self._setting()
        if setting is None:  # the warm-up step of a measurement
            self._steps += 1
            return work()
        timed = self.chosen is None
        with self._limit(setting):
            start = self.clock()
            result = work()
            spent = self.clock() - start
        self._steps += 1
        if timed:
            self.samples[setting].append(spent)
            if all(len(found) >= self.probes for found in self.samples.values()):
                self._choose()
        elif self.policy == AUTO and self._steps >= self.recheck:
            self._restart()
        return result

    def _setting(self) -> str | None:
        if self.chosen is not None:
            return self.chosen
        if self._steps == 0:
            return None
        return SINGLE if self._steps % 2 else DEFAULT

    def _choose(self) -> None:
        self.measured = {name: statistics.median(found) for name, found in self.samples.items()}
        # Ties go to one thread: it leaves the other cores to everyone else.
        self.chosen = DEFAULT if self.measured[DEFAULT] < self.measured[SINGLE] else SINGLE
        self._steps = 0

    def _restart(self) -> None:
        self.chosen = None
        self.samples = {SINGLE: [], DEFAULT: []}
        self._steps = 1  # the model is warm: no warm-up step this time

    def _limit(self, setting: str) -> AbstractContextManager[Any]:
        if setting == DEFAULT:
            return nullcontext()
        if self._controller is None:
            from threadpoolctl import ThreadpoolController

            self._controller = ThreadpoolController()
        return self._controller.limit(limits=1, user_api="blas")

    def describe(self) -> str:
        """One line: the policy and, once measured, the choice and both medians."""
        if self.policy != AUTO:
            return f"BLAS threads: {self.policy} (fixed)"
        if not self.measured:
            return "BLAS threads: auto (not measured yet)"
        single, default = self.measured[SINGLE] * 1e3, self.measured[DEFAULT] * 1e3
        return (
            f"BLAS threads: {self.chosen} (step {single:.1f} ms on one thread, {default:.1f} ms on default)"
        )
