"""The one formatting helper for figures people read (rnnviz.numbers)."""

from __future__ import annotations

import math

import pytest

from rnnviz.numbers import magnitude, percent, ratio


@pytest.mark.parametrize(
    ("share", "shown"),
    [
        (0.0, "0%"),
        (1.0, "100%"),
        (0.026, "2.6%"),
        (0.448, "45%"),
        (0.37, "37%"),
        (0.125, "13%"),
        (0.0004, "0.04%"),
        (5e-6, "< 0.01%"),  # was "5e-04%"
        (3e-8, "< 0.01%"),  # was "3e-06%"
        (0.9996, "99.9%"),  # not a false "100%"
        (3.97, "397%"),
        (-0.026, "−2.6%"),
        (math.nan, "–"),
    ],
)
def test_percent_never_uses_scientific_notation(share: float, shown: str) -> None:
    assert percent(share) == shown
    assert "e" not in percent(share)


@pytest.mark.parametrize(
    ("new", "old", "shown"),
    [
        (3.97, 1.0, "4× larger"),
        (1.05, 1.0, "about the same"),
        (0.95, 1.0, "about the same"),
        (1.0, 2.5, "2.5× smaller"),
        (1.0, 300.0, "300× smaller"),
        (12_345.0, 1.0, "12,345× larger"),
        (0.0, 1.0, "gone (0)"),
        (0.0, 0.0, "about the same"),
    ],
)
def test_ratio_reads_as_a_change(new: float, old: float, shown: str) -> None:
    assert ratio(new, old) == shown


@pytest.mark.parametrize(
    ("value", "shown"), [(0.42, "0.42"), (0.031, "0.031"), (3.4e-7, "about 10⁻⁶"), (1.2e-5, "about 10⁻⁵")]
)
def test_magnitude_writes_small_norms_as_powers_of_ten(value: float, shown: str) -> None:
    assert magnitude(value) == shown
