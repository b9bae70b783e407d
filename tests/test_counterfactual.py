"""Counterfactual swaps and unit ablation, checked against direct runs and a plain per-step reference."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CELL_TYPES, random_model

import rnnviz
from rnnviz import Model
from rnnviz.analysis.counterfactual import ablate, compare_predictions, counterfactual, state_difference
from rnnviz.core.cells import reference_run

SENTENCE = "the cat sat on the mat , it was the cat ."


def silenced_reference(model: Model, ids: np.ndarray, units: list[int], start: int) -> np.ndarray:
    """Top-layer h (T, H), one plain step at a time, the units zeroed in h (and c) from `start` on."""

    def silence(t: int, step: dict[str, np.ndarray]) -> None:
        if t >= start:
            step["h"][units] = 0
            if "c" in step:
                step["c"][units] = 0

    x = model.embedding[ids]
    for k, w in enumerate(model.layers):
        top = k == model.num_layers - 1
        x = reference_run(model.cell, x, w, model.nonlinearity, after_step=silence if top else None)["h"]
    return x


# -- swap ----------------------------------------------------------------------------------------------
def test_counterfactual_swaps_one_word_and_runs_both() -> None:
    model = random_model("lstm", dtype="float64")
    original, swapped = counterfactual(model, SENTENCE, 1, "dog")
    assert original.tokens == SENTENCE.split()
    assert swapped.tokens == SENTENCE.split()[:1] + ["dog"] + SENTENCE.split()[2:]
    np.testing.assert_array_equal(original.hidden, model.run(SENTENCE).hidden)
    np.testing.assert_array_equal(swapped.hidden, model.run(swapped.tokens).hidden)
    np.testing.assert_array_equal(original.hidden[:, :1], swapped.hidden[:, :1])
    assert (np.linalg.norm(original.hidden[-1, 1:] - swapped.hidden[-1, 1:], axis=1) > 0).all()


@pytest.mark.parametrize(
    ("position", "word", "message"),
    [
        (12, "dog", "out of range"),
        (-1, "dog", "out of range"),
        (1.5, "dog", "not a word position"),
        (1, "zebra", "not in the model's vocabulary"),
        (1, "big dog", "exactly one word"),
        (1, "", "exactly one word"),
    ],
)
def test_counterfactual_bad_input_says_what_is_wrong(position, word: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        counterfactual(random_model("gru"), SENTENCE, position, word)


def test_state_difference_is_the_difference_from_the_swap_on() -> None:
    model = random_model("lstm", layers=2, dtype="float64")
    original, swapped = counterfactual(model, SENTENCE, 4, "cat")
    for state, a, b in (
        ("hidden", original.hidden, swapped.hidden),
        ("cell", original.cell_state, swapped.cell_state),
    ):
        diff = state_difference(original, swapped, 4, layer=0, state=state)
        np.testing.assert_allclose(diff.per_unit, b[0, 4:] - a[0, 4:])
        np.testing.assert_allclose(diff.norm, np.linalg.norm(b[0, 4:] - a[0, 4:], axis=1))
        assert diff.tokens == swapped.tokens[4:]
        assert diff.persistence == pytest.approx(diff.norm[-1] / diff.norm[0])
        assert diff.lowest == pytest.approx(diff.norm[1:].min() / diff.norm[0])
    with pytest.raises(ValueError, match="only an LSTM"):
        gru = random_model("gru")
        state_difference(*counterfactual(gru, SENTENCE, 1, "dog"), 1, state="cell")


def memoryless_rnn() -> Model:
    model = random_model("rnn_tanh", dtype="float64")
    model.layers[0].w_hh[:] = 0
    return model


def remembering_lstm() -> Model:
    """Forget gates pinned open (bias +30) and gates blind to h: what enters the cell state stays there."""
    model = random_model("lstm", dtype="float64")
    hidden = model.hidden_size
    model.layers[0].w_hh[:] = 0
    model.layers[0].w_ih[hidden : 2 * hidden] = 0
    model.layers[0].b_ih[hidden : 2 * hidden] = 30
    return model


def test_a_swap_fades_without_memory_and_persists_with_it() -> None:
    forgetting = memoryless_rnn()
    diff = state_difference(*counterfactual(forgetting, SENTENCE, 1, "dog"), 1)
    assert diff.norm[0] > 0 and not diff.norm[1:].any()
    assert diff.persistence == 0
    assert "forgotten" in diff.summary()

    holding = remembering_lstm()
    diff = state_difference(*counterfactual(holding, SENTENCE, 1, "dog"), 1, state="cell")
    np.testing.assert_allclose(diff.per_unit[1:], diff.per_unit[:1].repeat(len(diff.norm) - 1, axis=0))
    assert diff.persistence == pytest.approx(1)
    assert "persists" in diff.summary()


def test_compare_predictions_lists_both_top_words() -> None:
    model = random_model("gru", vocab=30, dtype="float64")
    a, b = counterfactual(model, SENTENCE, 1, "dog")
    rows = compare_predictions(a, b, 3, k=4)
    words = {w for w, _, _ in rows}
    assert {w for w, _ in a.top_next(3, 4)} <= words and {w for w, _ in b.top_next(3, 4)} <= words
    for word, pa, pb in rows:
        index = model.vocab.index(word)
        assert pa == a.probs[3, index] and pb == b.probs[3, index]
    assert [max(pa, pb) for _, pa, pb in rows] == sorted((max(pa, pb) for _, pa, pb in rows), reverse=True)


# -- ablation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_ablation_matches_a_plain_step_by_step_reference(cell: str, layers: int) -> None:
    model = random_model(cell, layers=layers, dtype="float64")
    _, ids = model.encode(SENTENCE)
    units = [0, 3, 7]
    trace = ablate(model, SENTENCE, units, from_position=4)
    np.testing.assert_allclose(trace.hidden[-1], silenced_reference(model, ids, units, 4), atol=1e-12)
    assert not trace.hidden[-1, 4:, units].any()
    assert trace.hidden[-1, :4, units].any()
    if cell == "lstm":
        assert not trace.cell_state[-1, 4:, units].any()
    original = model.run(SENTENCE)
    np.testing.assert_array_equal(trace.hidden[:-1], original.hidden[:-1])  # lower layers untouched
    np.testing.assert_allclose(trace.hidden[-1, :4], original.hidden[-1, :4])
    np.testing.assert_allclose(trace.probs.sum(axis=1), 1)
    assert set(trace.gates) == set(original.gates)


def test_ablating_nothing_changes_nothing() -> None:
    model = random_model("lstm", layers=2, dtype="float64")
    original = model.run(SENTENCE)
    trace = ablate(model, SENTENCE, [], 0)
    for name in ("hidden", "cell_state", "probs"):
        np.testing.assert_allclose(getattr(trace, name), getattr(original, name), atol=1e-14)
    for name, values in original.gates.items():
        np.testing.assert_allclose(trace.gates[name], values, atol=1e-14)


def test_ablation_accepts_ids_and_a_lower_layer() -> None:
    model = random_model("gru", layers=2, dtype="float64")
    _, ids = model.encode(SENTENCE)
    by_ids = ablate(model, ids, [1], 2, layer=0)
    assert by_ids.tokens == SENTENCE.split()
    assert not by_ids.hidden[0, 2:, 1].any()
    assert by_ids.hidden[1, 2:, 1].any()
    np.testing.assert_array_equal(by_ids.hidden, ablate(model, SENTENCE, [1], 2, layer=0).hidden)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"units": [12]}, "units must be between 0 and 11"),
        ({"units": [-1]}, "units must be between"),
        ({"from_position": 12}, "out of range"),
        ({"layer": 1}, "layer 1 is out of range"),
        ({"text_or_ids": np.array([0, 99])}, "token ids"),
    ],
)
def test_ablation_bad_input_says_what_is_wrong(kwargs: dict, message: str) -> None:
    arguments = {"text_or_ids": SENTENCE, "units": [0], "from_position": 0} | kwargs
    with pytest.raises(ValueError, match=message):
        ablate(random_model("lstm"), **arguments)


def test_counterfactual_is_exported() -> None:
    assert rnnviz.counterfactual is counterfactual
