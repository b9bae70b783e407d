"""The causal unit order ("by effect at cursor") and the honest probe order ("by memory (probe)"):
units ranked by how much silencing each one alone moves the prediction at the cursor, the measured
effect shown in the inspector, computed in a worker."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("textual")

from tui_driver import drive, press  # noqa: E402

import rnnviz  # noqa: E402
from rnnviz.analysis.counterfactual import ablate, silencing_effects  # noqa: E402
from rnnviz.analysis.units import memory_unit_ranking  # noqa: E402
from rnnviz.numbers import percent  # noqa: E402
from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.state.causalsort import EFFECTS, effect_job  # noqa: E402

DEMO = rnnviz.DEMO_SENTENCE
LAST_IT = 11


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(p - q).sum())


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_each_effect_is_the_ablation_of_that_unit_alone(name):
    model = rnnviz.load(name)
    trace = model.run(DEMO)
    effects = silencing_effects(model, trace, LAST_IT, from_position=1)
    for unit in (0, int(np.argmax(effects)), model.hidden_size - 1):
        silenced = ablate(model, DEMO, [unit], from_position=1)
        expected = total_variation(trace.probs[LAST_IT], silenced.probs[LAST_IT])
        assert effects[unit] == pytest.approx(expected, abs=1e-6)


def test_effects_of_a_two_layer_model_match_ablation_in_the_lower_layer():
    from conftest import random_weights

    vocab = ["<unk>", "the", "cat", "sat", "."]
    weights = random_weights("lstm", layers=2, vocab=len(vocab), embedding=6, hidden=5)
    model = rnnviz.Model(weights, "lstm", vocab)
    trace = model.run("the cat sat the cat .")
    effects = silencing_effects(model, trace, 4, from_position=2, layer=0)
    for unit in range(5):
        silenced = ablate(model, "the cat sat the cat .", [unit], from_position=2, layer=0)
        assert effects[unit] == pytest.approx(total_variation(trace.probs[4], silenced.probs[4]), abs=1e-6)
    assert np.all(silencing_effects(model, trace, 1, from_position=2) == 0)  # silenced after the word


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_the_top_causal_unit_moves_the_prediction_more_than_the_top_probe_unit(name):
    """Issue 16: on the bundled models the probe's top unit barely matters to the prediction."""
    model = rnnviz.load(name)
    trace = model.run(DEMO)
    effects = silencing_effects(model, trace, LAST_IT, from_position=1)
    probe_top = int(memory_unit_ranking(model)[0])
    assert effects.max() > 2 * effects[probe_top]


def test_sort_by_effect_orders_units_and_the_inspector_shows_the_effect():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "end", "left", "left")  # the last "it"
        assert app.cursor == LAST_IT
        while app.sort_mode.name != "by effect at cursor":
            await press(pilot, "s")
        assert "sort: by effect at cursor" in app.sub_title
        job = effect_job(app.view, app.cursor)
        effects = EFFECTS.get(job)
        assert effects is not None
        expected = silencing_effects(app.view.model, app.view.trace, job.at, job.start)
        np.testing.assert_allclose(effects, expected, atol=1e-9)
        order = app.panels[0].hidden_map.order
        assert np.all(np.diff(effects[order]) <= 0)  # largest effect first
        top = int(order[0])
        app.selected_unit = top
        await press(pilot)
        note = app.panels[0].inspector.note
        assert note[-1].endswith(percent(float(effects[top])))

    drive(make_app("gru"), scenario)


def test_the_probe_order_says_it_is_a_probe():
    async def scenario(pilot):
        app = pilot.app
        while app.sort_mode.name != "by memory (probe)":
            await press(pilot, "s")
        assert "probe" in app.sub_title
        assert "probe" in app.panels[0].inspector.note[-1]
        mode = app.sort_mode
        assert "not what the model uses" in mode.description

    drive(make_app("lstm"), scenario)
