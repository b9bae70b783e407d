"""Numbers as a person reads them: percentages, ratios and small magnitudes, never scientific notation.

One helper per kind of figure, used by the tour, the viewer's panels and `rnnviz render`, so a
share reads the same everywhere ("2.6%", "< 0.01%", "100%") and a change reads as what it is
("4× larger", "about the same") rather than as a percentage of itself ("397%"). Plain Python: no
NumPy, no Rich, so every layer may import it (the analysis summaries too).
"""

from __future__ import annotations

import math

SMALLEST_PERCENT = 0.01  # below this a share reads "< 0.01%"
SAME = 1.1  # ratios within this factor either way read "about the same"
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def percent(share: float) -> str:
    """A share (1.0 = 100%) as a percentage with the digits it deserves: "37%", "2.6%", "0.04%",
    "< 0.01%"; 0 is "0%", a share that would round to 100% without being whole reads "99.9%"."""
    if math.isnan(share):
        return "–"
    if share < 0:
        return "−" + percent(-share)
    value = share * 100
    if value == 0:
        return "0%"
    if value < SMALLEST_PERCENT:
        return f"< {SMALLEST_PERCENT:g}%"
    if value < 1:
        return f"{value:.2f}%"
    if value < 10:
        return f"{value:.1f}%"
    if value < 99.5:
        return f"{math.floor(value + 0.5)}%"  # half up: 12.5 reads 13, not 12
    if value < 100:
        return "99.9%"
    return f"{value:.0f}%"


def ratio(new: float, old: float) -> str:
    """How `new` compares with `old`: "4× larger", "2.5× smaller", "about the same", "gone"."""
    if old == 0:
        return "about the same" if new == 0 else "new (it was 0)"
    if new == 0:
        return "gone (0)"
    factor = abs(new / old)
    if 1 / SAME <= factor <= SAME:
        return "about the same"
    larger = factor > 1
    times = factor if larger else 1 / factor
    shown = f"{times:.1f}" if times < 10 else f"{times:,.0f}"
    return f"{shown.removesuffix('.0')}× {'larger' if larger else 'smaller'}"


def magnitude(value: float) -> str:
    """A positive size such as a gradient norm: "0.42", "0.031", and below 0.01 "about 10⁻⁵"
    (the power of ten it is nearest to on a log scale)."""
    if math.isnan(value):
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 0.01:
        return f"{value:.2g}" if abs(value) < 1000 else f"{value:,.0f}"
    power = round(math.log10(abs(value)))
    return f"about 10{str(power).translate(SUPERSCRIPT)}"
