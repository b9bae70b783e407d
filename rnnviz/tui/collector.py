"""Python's garbage collector tuned for an interactive screen.

Textual allocates thousands of small objects per frame (segments, strips and the caches each strip
carries), so with the default thresholds the collector ran ~10 times per keypress, and each full
collection walked every object the app holds — the widget tree, the models, the cached lines —
for tens of milliseconds: a visible stutter every dozen keys. Once the first frame is drawn, everything alive
is frozen (ignored by later collections) and young objects are collected less often. Both are undone
when the app ends, so nothing stays frozen in a process that goes on (tests, notebooks).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # allocations between young collections (CPython's default is 700)


class QuietCollector:
    """Freeze what the app holds at start and collect young objects less often; `release` undoes it."""

    def __init__(self) -> None:
        self._thresholds: tuple[int, int, int] | None = None

    @property
    def active(self) -> bool:
        return self._thresholds is not None

    def engage(self) -> None:
        if self._thresholds is not None:
            return
        self._thresholds = gc.get_threshold()
        gc.collect()  # what is garbage now should not be frozen
        gc.freeze()
        young, middle, old = self._thresholds
        gc.set_threshold(max(YOUNG_THRESHOLD, young), middle, old)

    def release(self) -> None:
        if self._thresholds is None:
            return
        gc.set_threshold(*self._thresholds)
        self._thresholds = None
        gc.unfreeze()
