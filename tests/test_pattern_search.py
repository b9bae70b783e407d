"""Pattern search: the units a span turns on, and the other places they turn on together."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_cells import QUOTE_UNIT, synthetic_model, synthetic_source

from rnnviz.analysis.cell_discovery import collect_states, encode_characters
from rnnviz.analysis.char_properties import in_string
from rnnviz.analysis.pattern_search import find_matches, parse_span, select_units, thresholds_of
from rnnviz.errors import InputError


@pytest.fixture(scope="module")
def planted():
    text = synthetic_source(200)
    model = synthetic_model(text)
    return text, collect_states(model, encode_characters(model, text), "cell")


def string_spans(text: str) -> list[tuple[int, int]]:
    flags = in_string(text).astype(np.int8)
    edges = np.diff(np.concatenate(([0], flags, [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def test_a_string_selects_the_quote_unit_first(planted):
    text, states = planted
    start, end = string_spans(text)[0]
    pattern = select_units(states, start, end)
    assert pattern.units[0] == QUOTE_UNIT
    assert pattern.scores[0] == pytest.approx(1.0, abs=1e-3)


def test_the_quote_unit_alone_finds_every_other_string(planted):
    text, states = planted
    spans = string_spans(text)
    start, end = spans[0]
    pattern = select_units(states, start, end, max_units=1)
    matches = find_matches(states, text, pattern, min_length=1, top=10_000, exclude=(start, end))
    assert sorted((m.start, m.end) for m in matches) == spans[1:]
    assert all(m.text.startswith('"') and m.after.startswith('"') for m in matches)


def test_matches_rank_by_length_fit_and_carry_context(planted):
    text, states = planted
    start, end = string_spans(text)[0]
    pattern = select_units(states, start, end, max_units=1)
    matches = find_matches(states, text, pattern, min_length=1, top=50, exclude=(start, end))
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    best = matches[0]
    assert best.end - best.start == end - start and best.score == pytest.approx(1.0)
    assert (
        text[best.start - len(best.before) : best.end + len(best.after)]
        == best.before + best.text + best.after
    )


def test_a_unit_on_before_the_span_is_not_chosen():
    states = np.zeros((10, 2))
    states[2:6, 0] = 1.0  # on from 2: already on before a span starting at 4
    states[4:6, 1] = 1.0
    pattern = select_units(states, 4, 6, threshold=0.5)
    assert pattern.units.tolist() == [1]


def test_a_user_threshold_applies_to_every_unit():
    assert thresholds_of(np.arange(12.0).reshape(6, 2), threshold=0.3).tolist() == [0.3, 0.3]


def test_bad_spans_are_clear_errors():
    with pytest.raises(InputError, match="not a span"):
        select_units(np.zeros((5, 1)), 3, 9)
    with pytest.raises(InputError, match="START:END"):
        parse_span("12-30")
    assert parse_span("12:30") == (12, 30)
