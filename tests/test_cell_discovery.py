"""Cell discovery finds the units planted in a hand-set LSTM, scores them exactly, and beats the baseline."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_cells import COUNTER_UNIT, QUOTE_UNIT, synthetic_model, synthetic_source

from rnnviz.analysis.cell_discovery import (
    auc_scores,
    baseline_model,
    collect_states,
    discover_cells,
    encode_characters,
    fit_test_split,
    pearson_scores,
)
from rnnviz.analysis.char_properties import in_string, line_position
from rnnviz.errors import InputError


@pytest.fixture(scope="module")
def source() -> str:
    return synthetic_source()


@pytest.fixture(scope="module")
def model(source):
    return synthetic_model(source)


def brute_force_auc(values: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = values[labels], values[~labels]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


@pytest.mark.parametrize("seed", range(5))
def test_auc_matches_the_pairwise_definition_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 200))
    values = np.round(rng.normal(size=(n, 70)), 1)  # rounded: many ties; 70 columns: two ranking blocks
    labels = rng.random(n) < 0.3
    labels[0], labels[1] = True, False
    expected = [brute_force_auc(values[:, j], labels) for j in range(values.shape[1])]
    assert np.allclose(auc_scores(values, labels), expected, rtol=0, atol=1e-12)


def test_auc_is_nan_without_both_classes():
    assert np.isnan(auc_scores(np.ones((4, 2)), np.zeros(4, bool))).all()


def test_pearson_matches_numpy_and_gives_zero_for_a_constant_unit():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 3))
    values[:, 2] = 1.0
    target = values[:, 0] * 2 + rng.normal(size=50)
    r = pearson_scores(values, target)
    assert r[0] == pytest.approx(np.corrcoef(values[:, 0], target)[0, 1])
    assert r[2] == 0.0


def test_chunked_states_equal_one_run_over_the_whole_text(model, source):
    text = source[:3000]
    ids = encode_characters(model, text)
    trace = model.run(list(text), decode=False)
    for state, whole in (("cell", trace.cell_state[0]), ("hidden", trace.hidden[0])):
        np.testing.assert_allclose(collect_states(model, ids, state, chunk=257), whole, rtol=1e-5, atol=1e-6)


def test_the_planted_units_do_what_they_are_built_to(model, source):
    states = collect_states(model, encode_characters(model, source), "cell")
    quote = states[:, QUOTE_UNIT]
    inside = in_string(source)
    assert quote[inside].min() > 0.99 and quote[~inside].max() < 0.01
    assert np.allclose(states[:, COUNTER_UNIT], np.tanh(0.01) * line_position(source), atol=1e-4)


def test_discovery_finds_the_planted_units_and_the_baseline_scores_lower(model, source):
    report = discover_cells(model, source, "cell", top=2)
    strings, column = report.result("in_string"), report.result("line_position")
    assert strings.best.unit == QUOTE_UNIT and strings.best.score == 1.0 and strings.best.sign == 1
    assert column.best.unit == COUNTER_UNIT and column.best.score == pytest.approx(1.0, abs=1e-6)
    assert strings.baseline.score < 0.9 and column.baseline.score < 0.9
    assert strings.gain > 0.1 and column.gain > 0.1
    assert report.fit_characters + report.test_characters == len(source) == report.characters
    assert report.result("in_comment").units == [] and report.result("in_comment").note


def test_the_report_serializes_to_plain_json(model, source):
    import json

    data = json.loads(json.dumps(discover_cells(model, source[:2000], "hidden", baseline=False).as_dict()))
    assert data["state"] == "hidden" and {p["name"] for p in data["properties"]} >= {"in_string"}


def test_the_baseline_has_the_same_shape_and_a_fixed_seed(model):
    a, b = baseline_model(model), baseline_model(model)
    assert a.hidden_size == model.hidden_size and a.vocab == model.vocab and a.cell == model.cell
    assert all(np.array_equal(a.weights[k], b.weights[k]) for k in a.weights)


def test_fit_and_test_parts_alternate_and_cover_the_text():
    fit = fit_test_split(10, block=3)
    assert fit.tolist() == [True] * 3 + [False] * 3 + [True] * 3 + [False]
    assert fit_test_split(6, block=1000).tolist() == [True] * 3 + [False] * 3


def test_a_word_level_model_is_refused(model):
    from rnnviz import load

    with pytest.raises(InputError, match="character-level"):
        encode_characters(load("lstm"), "abc")


def test_a_cell_state_is_refused_for_a_gru():
    from rnnviz import load

    gru = load("gru")
    with pytest.raises(InputError, match="no cell state"):
        collect_states(gru, np.zeros(3, np.int64), "cell")
