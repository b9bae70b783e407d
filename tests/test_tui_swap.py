"""Pilot tests of the counterfactual swap (`w`) and of unit ablation (`a`, `A`, escape) in the TUI."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

pytest.importorskip("textual")

from tui_driver import drive, press  # noqa: E402

from rnnviz import DEMO_SENTENCE  # noqa: E402
from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.screens.swap import SwapDialog, SwapScreen, strip_line  # noqa: E402
from rnnviz.tui.widgets.ablation import AblationPanel  # noqa: E402

# rnnviz.analysis.counterfactual is also the name of a function in rnnviz's namespace.
counterfactual = importlib.import_module("rnnviz.analysis.counterfactual")

DEMO_TOKENS = DEMO_SENTENCE.split()
LAST_IT = len(DEMO_TOKENS) - 3
CAT_SOUNDS, DOG_SOUNDS = ("meowed", "purred"), ("barked", "growled")


def sound_share(probs: np.ndarray, vocab: list[str], sounds: tuple[str, ...]) -> float:
    return float(sum(probs[vocab.index(word)] for word in sounds))


def test_swapping_cat_for_dog_moves_the_prediction_after_the_last_it_to_a_dog_sound():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right")  # "cat"
        await press(pilot, "w")
        assert isinstance(app.screen, SwapDialog)
        await pilot.press(*"dog")
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, SwapScreen)
        swap = screen.swap
        assert swap.original.tokens == DEMO_TOKENS
        assert swap.swapped.tokens == ["the", "dog", *DEMO_TOKENS[2:]]
        vocab = app.view.model.vocab
        before, after = swap.original.probs[LAST_IT], swap.swapped.probs[LAST_IT]
        assert sound_share(before, vocab, CAT_SOUNDS) > 0.5
        assert sound_share(after, vocab, DOG_SOUNDS) > sound_share(after, vocab, CAT_SOUNDS)
        assert swap.swapped.top_next(LAST_IT, 1)[0][0] in DOG_SOUNDS
        # The screen opens at the word whose prediction moved most: the last "it".
        assert screen.cursor == LAST_IT
        rows = screen.predictions.rows()
        assert rows == counterfactual.compare_predictions(swap.original, swap.swapped, LAST_IT, 5)[:5]
        assert {word for word, _, _ in rows} >= {*CAT_SOUNDS, *DOG_SOUNDS}
        # The state difference from the swapped word on, as computed by rnnviz.analysis.counterfactual.
        expected = counterfactual.state_difference(swap.original, swap.swapped, 1)
        assert np.allclose(screen.heatmap.values, expected.per_unit, atol=1e-6)
        assert screen.heatmap.tokens == ["dog", *DEMO_TOKENS[2:]]
        assert screen.heatmap.cursor == LAST_IT - 1
        assert str(screen.summary.render()).startswith(expected.summary())
        await press(pilot, "left")
        assert screen.cursor == LAST_IT - 1 and screen.predictions.step == LAST_IT - 1
        await press(pilot, "c")  # the LSTM's cell state
        cell = counterfactual.state_difference(swap.original, swap.swapped, 1, state="cell")
        assert np.allclose(screen.heatmap.values, cell.per_unit, atol=1e-5)
        await press(pilot, "escape")
        assert not isinstance(app.screen, SwapScreen | SwapDialog)
        assert app.tokens == DEMO_TOKENS and app.cursor == 1  # nothing changed on the main screen

    drive(make_app("lstm"), scenario)


def test_enter_on_the_result_keeps_the_swapped_sentence():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", "w")
        await pilot.press(*"dog")
        await press(pilot, "enter")
        assert isinstance(app.screen, SwapScreen)
        await press(pilot, "enter")
        assert app.tokens == ["the", "dog", *DEMO_TOKENS[2:]]
        assert app.view.trace.top_next(LAST_IT, 1)[0][0] in DOG_SOUNDS

    drive(make_app("lstm"), scenario)


def test_a_word_the_model_does_not_know_keeps_the_dialog_open_with_a_notification():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", "w")
        await pilot.press(*"zebra")
        await press(pilot, "enter")
        assert isinstance(app.screen, SwapDialog)
        messages = [n.message for n in app._notifications]
        assert any("zebra" in m and "vocabulary" in m for m in messages)
        assert all("\n" not in m for m in messages)
        assert app.screen.query_one("#swap-input").value == "zebra"  # nothing typed is lost
        await press(pilot, "ctrl+a", "ctrl+k")
        await pilot.press(*"two words")
        await press(pilot, "enter")
        assert isinstance(app.screen, SwapDialog)
        assert any("one word" in n.message for n in app._notifications)
        await press(pilot, "escape")
        assert not isinstance(app.screen, SwapDialog | SwapScreen)
        assert app.tokens == DEMO_TOKENS and app.cursor == 1

    drive(make_app("lstm"), scenario)


def test_swap_is_a_palette_action():
    app = make_app("lstm")
    actions = {action: title for title, _, action in app.palette_actions()}
    assert actions["swap"] == "Swap" and actions["links_method"] == "Links" and actions["ablate"] == "Silence"


def test_silencing_a_unit_changes_the_predictions_from_the_cursor_on_and_a_second_press_clears_it():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", "right")  # "sat"
        await press(pilot, "down")  # unit 1
        panel: AblationPanel = app.panels[0].ablation_panel
        assert not panel.display
        await press(pilot, "a")
        ablation = app.memory.ablation
        assert ablation is not None and ablation.units == (1,) and ablation.start == 2
        assert panel.display and "unit 1" in str(panel.border_title)
        silenced = ablation.silenced
        direct = counterfactual.ablate(app.view.model, DEMO_SENTENCE, [1], 2)
        assert np.allclose(silenced.probs, direct.probs, atol=1e-6)
        original = app.view.trace.probs
        assert np.allclose(silenced.probs[:2], original[:2], atol=1e-6)  # before the cursor: unchanged
        assert not np.allclose(silenced.probs[2:], original[2:], atol=1e-4)
        assert np.all(silenced.hidden[-1, 2:, 1] == 0)
        # The panel compares, at the cursor, before and after.
        await press(pilot, "end", "left", "left")
        assert panel.step == LAST_IT
        rows = panel.rows()
        assert rows == counterfactual.compare_predictions(app.view.trace, silenced, LAST_IT, 3)[:3]
        lines = [strip.text for strip in panel.strips(panel.size.width)]
        assert f"{rows[0][1]:.3f} → {rows[0][2]:.3f}" in "\n".join(lines)
        await press(pilot, "a")  # second press: restored
        assert app.memory.ablation is None and not panel.display

    drive(make_app("gru"), scenario)


def test_more_units_and_escape():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right")  # from "cat" on
        await press(pilot, "A")
        await press(pilot, "down", "A", "down", "A")
        assert app.memory.ablation.units == (0, 1, 2) and app.memory.ablation.start == 1
        await press(pilot, "A")  # unit 2 again: taken out
        assert app.memory.ablation.units == (0, 1)
        direct = counterfactual.ablate(app.view.model, DEMO_SENTENCE, [0, 1], 1)
        assert np.allclose(app.memory.ablation.silenced.probs, direct.probs, atol=1e-6)
        await press(pilot, "escape")
        assert app.memory.ablation is None and not app.panels[0].ablation_panel.display

    drive(make_app("lstm"), scenario)


def test_silencing_the_memory_units_from_the_subject_on_makes_the_gru_forget_the_cat():
    """Lakretz-style: the units `by memory` puts on top carry the subject; silencing them loses it."""

    async def scenario(pilot):
        app = pilot.app
        while app.sort_mode.name != "by memory (probe)":
            await press(pilot, "s")
        order = app.panels[0].hidden_map.order
        await press(pilot, "right")  # from "cat" on
        app.selected_unit = int(order[0])  # the top row
        # A quarter of the 64 units: the retrained GRU spreads the subject over more units than 8.
        for _ in range(16):
            await press(pilot, "A", "down")
        assert set(app.memory.ablation.units) == {int(u) for u in order[:16]}
        vocab = app.view.model.vocab
        before = sound_share(app.view.trace.probs[LAST_IT], vocab, CAT_SOUNDS)
        after = sound_share(app.memory.ablation.silenced.probs[LAST_IT], vocab, CAT_SOUNDS)
        assert after < before / 2

    drive(make_app("gru"), scenario)


def test_a_new_model_clears_the_silencing():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", "a")
        assert app.memory.ablation is not None
        await press(pilot, "m")
        assert app.memory.ablation is None and not app.panels[0].ablation_panel.display

    drive(make_app("lstm"), scenario)


def test_the_difference_strip_of_a_long_text_fits_its_width_and_marks_the_cursor():
    norm = np.abs(np.sin(np.arange(5000) / 300.0)) + 0.1
    difference = counterfactual.StateDifference(1, ["w"] * 5000, np.zeros((5000, 2)), norm)
    line = strip_line(difference, 4321, 40)
    marks = line.plain.split(": ", 1)[1]
    assert len(marks) <= 40
    per = -(-5000 // 40)
    assert f"{per:,} words a mark" in line.plain
    underlined = [span for span in line.spans if span.style and span.style.underline]
    assert len(underlined) == 1
    assert underlined[0].start - len(line.plain.split(": ", 1)[0]) - 2 == 4321 // per
    short = strip_line(
        counterfactual.StateDifference(1, ["w"] * 3, np.zeros((3, 2)), np.array([2.0, 1.0, 0.0])), 0, 40
    )
    assert short.plain.endswith("█▅▁") and "word by word" in short.plain
