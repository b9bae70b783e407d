"""Everything that reads a trace, on LSTM projections and bidirectional models (the torch fixture's).

A bidirectional model's output at t has read every word, so its links are measured on both sides of
t (|s − t| < window); they are checked here against brute force: occlusion against re-running the
sentence with the word blanked, gradients against finite differences of log p(w* | embeddings),
integrated gradients against completeness.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_layer_options_parity import CASES, fixture_model

import rnnviz
from rnnviz.analysis.counterfactual import ablate, counterfactual
from rnnviz.analysis.links import embedding_gradient, integrated_gradients, methods_for
from rnnviz.core.model import softmax
from rnnviz.errors import InputError

IDS = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9])
BIDIRECTIONAL = ("gru_bidir", "lstm_bidir_proj", "rnn_relu_bidir")


def probabilities(model: rnnviz.Model, embedded: np.ndarray) -> np.ndarray:
    """(T, V) next-token distributions for embeddings (T, E), by the plain forward pass."""
    return softmax(model.logits(model.run_stack_of(embedded[:, None, :]).h[-1, :, 0]))


@pytest.mark.parametrize("case", BIDIRECTIONAL)
def test_bidirectional_occlusion_is_rerunning_with_the_word_blanked(case):
    model = fixture_model(case)
    trace = model.run_ids(IDS)
    links = rnnviz.links(model, trace, method="occlusion")
    embedded = model.embedding[IDS]
    expected = np.zeros_like(links)
    for s in range(len(IDS)):
        blanked = embedded.copy()
        blanked[s] = 0  # the fixture's vocabulary has no <unk>: a zero embedding
        expected[:, s] = 0.5 * np.abs(probabilities(model, blanked) - trace.probs).sum(axis=1)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(links, expected, atol=1e-9)
    assert np.triu(links, 1).any()  # later words count: the backward direction read them


@pytest.mark.parametrize("case", CASES)
def test_gradient_matches_finite_differences(case):
    model = fixture_model(case)
    trace = model.run_ids(IDS)
    t = 4
    word = int(trace.probs[t].argmax())
    analytic = embedding_gradient(model, trace, t)
    embedded = model.embedding[IDS].copy()
    numeric = np.zeros_like(embedded)
    step = 1e-6
    for index in np.ndindex(embedded.shape):
        original = embedded[index]
        embedded[index] = original + step
        plus = np.log(probabilities(model, embedded)[t, word])
        embedded[index] = original - step
        minus = np.log(probabilities(model, embedded)[t, word])
        embedded[index] = original
        numeric[index] = (plus - minus) / (2 * step)
    if not model.bidirectional:
        numeric[t + 1 :] = 0  # words after t do not reach a unidirectional prediction
    np.testing.assert_allclose(analytic, numeric, atol=1e-7)


@pytest.mark.parametrize("case", CASES)
def test_integrated_gradients_are_complete(case):
    """Σ_s attributions = log p(w* | x) − log p(w* | zero embeddings in the window), to the midpoint rule."""
    model = fixture_model(case)
    trace = model.run_ids(IDS)
    t = 5
    word = int(trace.probs[t].argmax())
    attributions = integrated_gradients(model, trace, t, steps=200)
    baseline = model.embedding[IDS].copy()
    baseline[: len(IDS) if model.bidirectional else t + 1] = 0
    gap = np.log(trace.probs[t, word]) - np.log(probabilities(model, baseline)[t, word])
    # relu's kinks cost the midpoint rule O(1/steps) where a smooth cell's error is O(1/steps²)
    tolerance = 1e-2 if model.nonlinearity == "relu" else 1e-4
    assert abs(attributions.sum() - gap) < tolerance * max(1.0, abs(gap))


def test_bidirectional_window_reaches_both_sides():
    model = fixture_model("gru_bidir")
    trace = model.run_ids(IDS)
    for method in ("occlusion", "gradient", "integrated"):
        links = rnnviz.links(model, trace, method=method, window=2)
        s, t = np.meshgrid(np.arange(len(IDS)), np.arange(len(IDS)))
        assert not links[np.abs(s - t) >= 2].any(), method
        assert links[4, 5] > 0 and links[4, 3] > 0, method


def test_retention_refuses_a_bidirectional_lstm_and_says_why():
    model = fixture_model("lstm_bidir_proj")
    assert "retention" not in methods_for(model)
    with pytest.raises(InputError, match="bidirectional model's output at t also reads the words after t"):
        rnnviz.links(model, model.run_ids(IDS), method="retention")
    assert "retention" in methods_for(fixture_model("lstm_proj"))


@pytest.mark.parametrize("case", CASES)
def test_gradient_flow_follows_the_forward_direction(case):
    model = fixture_model(case)
    trace = model.run_ids(IDS)
    flow = rnnviz.gradient_flow(model, trace, 6)
    assert flow.shape == (7,)
    assert flow[6] == pytest.approx(np.sqrt(model.output_size))  # ‖I‖ over h's H_out units
    assert np.all(np.isfinite(flow)) and np.all(flow[:6] < flow[6] * 10)
    if model.spec.has_cell_state:
        assert rnnviz.gradient_flow(model, trace, 6, of="cell")[6] == pytest.approx(
            np.sqrt(model.hidden_size)
        )
    with pytest.raises(InputError, match="follows the forward direction"):
        rnnviz.gradient_flow(model, trace, 6, direction="backward")


def test_bidirectional_flow_reads_the_whole_sentence_below():
    """Layer 1's gates depend on words after the position through layer 0's backward direction."""
    model = fixture_model("gru_bidir")
    trace = model.run_ids(IDS)
    changed = IDS.copy()
    changed[-1] = 0
    a = rnnviz.gradient_flow(model, trace, 3, layer=1)
    b = rnnviz.gradient_flow(model, model.run_ids(changed), 3, layer=1)
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(
        rnnviz.gradient_flow(model, trace, 3, layer=0),
        rnnviz.gradient_flow(model, model.run_ids(changed), 3, layer=0),
    )


def test_counterfactual_on_a_bidirectional_head_changes_earlier_predictions():
    model = fixture_model("lstm_bidir_proj")
    tokens = [model.vocab[i] for i in IDS]
    original, swapped = counterfactual(model, tokens, 6, model.vocab[0])
    assert not np.allclose(original.probs[:6], swapped.probs[:6])  # the backward direction read word 6
    assert swapped.hidden.shape == original.hidden.shape == (2, len(IDS), 8)


def test_ablation_of_a_projected_lstm_silences_h_units_and_refuses_bidirectional():
    model = fixture_model("lstm_proj")
    tokens = [model.vocab[i] for i in IDS]
    silenced = ablate(model, tokens, [0, 3], from_position=2)
    assert silenced.hidden.shape == (2, len(IDS), 4)
    assert not silenced.hidden[-1, 2:, [0, 3]].any()
    with pytest.raises(InputError, match="units must be between 0 and 3"):
        ablate(model, tokens, [4])
    with pytest.raises(InputError, match="needs a unidirectional model"):
        ablate(fixture_model("gru_bidir"), tokens, [0])


@pytest.mark.parametrize("case", CASES)
def test_save_and_load_keep_the_layer_options(case, tmp_path):
    model = fixture_model(case)
    path = tmp_path / "m.safetensors"
    rnnviz.save(model, path)
    loaded = rnnviz.load(path, dtype="float64")
    assert set(loaded.weights) == set(model.weights)
    assert any(name.endswith("_reverse") for name in loaded.weights) == model.bidirectional
    assert (loaded.bidirectional, loaded.proj_size, loaded.cell_name) == (
        model.bidirectional,
        model.proj_size,
        model.cell_name,
    )
    for name, value in model.weights.items():
        np.testing.assert_array_equal(loaded.weights[name], value)
    np.testing.assert_array_equal(loaded.run_ids(IDS).hidden, model.run_ids(IDS).hidden)


def test_silencing_effects_of_a_projected_two_layer_lstm_are_its_ablations():
    from rnnviz.analysis.counterfactual import silencing_effects

    model = fixture_model("lstm_proj")
    tokens = [model.vocab[i] for i in IDS]
    trace = model.run(tokens)
    at = len(IDS) - 1
    for layer in (0, -1):
        effects = silencing_effects(model, trace, at, from_position=2, layer=layer)
        assert effects.shape == (model.output_size,)
        for unit in range(model.output_size):
            silenced = ablate(model, tokens, [unit], from_position=2, layer=layer)
            moved = 0.5 * np.abs(silenced.probs[at] - trace.probs[at]).sum()
            assert effects[unit] == pytest.approx(moved, abs=1e-9)
    with pytest.raises(InputError, match="needs a unidirectional model"):
        bidirectional = fixture_model("gru_bidir")
        silencing_effects(bidirectional, bidirectional.run(tokens), at)
