"""Pattern search, as in LSTMVis (Strobelt et al. 2017): select a span of text, find the units that
switch on for it, then find the other places where the same units switch on together.

1. A unit is *on* where its value is at or above its threshold: by default the unit's 75th percentile over
   the text, less a thousandth of its range (a user threshold applies to every unit instead).
2. The units chosen for the span [a, b) are those on at every character of the span and off just
   before it (at a − 1; a span at the very start has no "before" and skips that test), ranked by
   their mean value inside the span minus their mean over the `before` characters preceding it.
3. A match is a run of at least `min_length` characters of a corpus where every chosen unit is on
   (or at least `min_fraction` of them), ranked by the fraction of units on over the run times how
   well its length fits the span's (shorter ÷ longer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.errors import InputError

QUANTILE = 0.75
PLATEAU = 1e-3
MAX_UNITS = 10
CONTEXT = 20  # characters of context either side of a match


@dataclass
class PatternUnits:
    start: int
    end: int
    units: np.ndarray  # (U,) column indices, best first
    scores: np.ndarray  # (U,) mean inside − mean just before
    thresholds: np.ndarray  # (all units,) the "on" threshold of every unit


@dataclass
class Match:
    start: int
    end: int
    score: float  # fraction of the chosen units on over the run × length overlap with the span
    fraction: float  # mean fraction of the chosen units on over the run
    before: str  # context, as in the text (escape it before printing)
    text: str
    after: str


def thresholds_of(
    states: np.ndarray, threshold: float | None = None, quantile: float = QUANTILE
) -> np.ndarray:
    """Each unit's "on" threshold: the given value for all, else its `quantile` over the text."""
    if threshold is not None:
        return np.full(states.shape[1], float(threshold))
    if not 0 < quantile < 1:
        raise InputError(f"quantile {quantile}: give a fraction between 0 and 1")
    # less a thousandth of the unit's range: a saturated unit's plateau (0.9999995 beside 1.0) is one level
    spread = states.max(axis=0) - states.min(axis=0)
    return np.quantile(states, quantile, axis=0) - PLATEAU * spread


def select_units(
    states: np.ndarray,
    start: int,
    end: int,
    threshold: float | None = None,
    quantile: float = QUANTILE,
    before: int | None = None,
    max_units: int = MAX_UNITS,
) -> PatternUnits:
    """The units on across [start, end) and off just before it, best first (see the module docstring)."""
    steps = states.shape[0]
    if not 0 <= start < end <= steps:
        raise InputError(
            f"the pattern {start}:{end} is not a span of the text (0:{steps}): give START:END, START < END"
        )
    limits = thresholds_of(states, threshold, quantile)
    inside = states[start:end]
    on_inside = (inside >= limits).all(axis=0)
    before = end - start if before is None else before
    window = states[max(0, start - before) : start]
    if start > 0:
        off_before = states[start - 1] < limits
        baseline = window.mean(axis=0)
    else:
        off_before = np.ones_like(on_inside)
        baseline = limits
    chosen = np.flatnonzero(on_inside & off_before)
    score = inside.mean(axis=0) - baseline
    order = chosen[np.lexsort((chosen, -score[chosen]))][:max_units]
    return PatternUnits(start=start, end=end, units=order, scores=score[order], thresholds=limits)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of every run of True in a bool array."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def find_matches(
    states: np.ndarray,
    text: str,
    pattern: PatternUnits,
    min_length: int | None = None,
    min_fraction: float = 1.0,
    top: int = 10,
    exclude: tuple[int, int] | None = None,
    context: int = CONTEXT,
) -> list[Match]:
    """The runs of `text` (whose states are `states`) where the pattern's units are on together, best
    first; `exclude` leaves out a run overlapping that span (the selection itself)."""
    if pattern.units.size == 0:
        return []
    if not 0 < min_fraction <= 1:
        raise InputError(f"min_fraction {min_fraction}: give a fraction above 0, at most 1")
    length = pattern.end - pattern.start
    min_length = max(1, length // 2) if min_length is None else min_length
    on = states[:, pattern.units] >= pattern.thresholds[pattern.units]  # (T, U)
    fraction = on.mean(axis=1)
    found = []
    for begin, stop in _runs(fraction >= min_fraction - 1e-12):
        if stop - begin < min_length:
            continue
        if exclude is not None and begin < exclude[1] and exclude[0] < stop:
            continue
        share = float(fraction[begin:stop].mean())
        overlap = min(stop - begin, length) / max(stop - begin, length)
        found.append(
            Match(
                start=begin,
                end=stop,
                score=share * overlap,
                fraction=share,
                before=text[max(0, begin - context) : begin],
                text=text[begin:stop],
                after=text[stop : stop + context],
            )
        )
    found.sort(key=lambda m: (-m.score, m.start))
    return found[:top]


def parse_span(spec: str) -> tuple[int, int]:
    """START:END (character offsets, END exclusive) from the command line."""
    try:
        start_text, end_text = spec.split(":")
        return int(start_text), int(end_text)
    except ValueError:
        raise InputError(f"--pattern {spec!r}: give START:END, character offsets such as 120:134") from None
