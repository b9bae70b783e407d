"""Whole-screen snapshots (pytest-textual-snapshot), on a model whose every drawn number is exact.

Three screens only: the main screen, the smallest terminal (20×8) and one tour step. They run on the exact
LSTM of snapshot_apps/exact_models.py, not on the bundled models: a retrain, another BLAS build or a
rounding change must not redraw them (the numbers the bundled models measure are tested, with
tolerances, in test_tour_steps.py and the analysis tests). The widgets themselves are snapshotted on
hand-made arrays in test_snapshot_apps.py.

After a deliberate change of the screen, regenerate with
    pytest tests/test_tui_snapshots.py tests/test_snapshot_apps.py --snapshot-update
and look at the new SVGs (tests/__snapshots__/) before committing them.
"""

from __future__ import annotations

import pytest

pytest.importorskip("textual")
pytest.importorskip("pytest_textual_snapshot")

from snapshot_apps.exact_models import SENTENCE, exact_lstm  # noqa: E402

from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.screens import tour  # noqa: E402
from rnnviz.tui.state import tour_steps  # noqa: E402

SIZE = (120, 40)
STEPS = ["right"] * 4  # cursor on "the" (second one): read words bright, unread ones faded


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def step_and_settle(pilot) -> None:
    """The cursor keys, then wait for the workers they start (memory links) before the screenshot."""
    await settle(pilot)
    await pilot.press(*STEPS)
    await settle(pilot)


def exact_app():
    return make_app(exact_lstm(), text=SENTENCE)


def test_main_screen(snap_compare):
    assert snap_compare(exact_app(), terminal_size=SIZE, run_before=step_and_settle)


def test_smallest_terminal(snap_compare):
    """20×8, the smallest size that lays out: panels give way whole, a note says which are hidden."""
    assert snap_compare(exact_app(), terminal_size=(20, 8), run_before=settle)


def test_tour_step(snap_compare, monkeypatch):
    """The tour's first step, measured by its own code (tour_steps.step_memory) on the exact LSTM.
    The other steps never arrive: the screen shows step 1 of 6 with its text, facts and panel."""
    model = exact_lstm()
    models = tour_steps.Models(rnn=model, lstm=model, gru=model)
    monkeypatch.setattr(tour, "build_steps", lambda: iter([tour_steps.step_memory(models)]))
    monkeypatch.setattr(tour, "_measuring", tour._Measuring())  # nothing measured yet in this process

    async def open_tour(pilot) -> None:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(exact_app(), terminal_size=SIZE, run_before=open_tour)
