"""Keys that answer at once: work done once is not done again (issue 16). No timings asserted: each
test checks that the second time reuses what the first built."""

from __future__ import annotations

import pytest

pytest.importorskip("textual")

from tui_driver import drive, press  # noqa: E402

from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.screens.help import HelpScreen  # noqa: E402


def test_help_is_built_once_and_shown_again():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "question_mark")
        first = app.screen
        assert isinstance(first, HelpScreen)
        table = first.query_one("#help-text")
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)
        await press(pilot, "question_mark")
        assert app.screen is first and first.query_one("#help-text") is table  # not composed again
        await press(pilot, "q")  # and it closes again (a dialog closes once per open)
        assert not isinstance(app.screen, HelpScreen)
        await press(pilot, "right")
        assert app.cursor == 1  # the viewer's keys are back

    drive(make_app("lstm"), scenario)


def test_model_switches_and_compare_reuse_the_runs_already_made():
    async def scenario(pilot):
        app = pilot.app
        lstm = app.view
        await press(pilot, "m")
        rnn = app.view
        await press(pilot, "m", "m")  # gru, then back to the lstm: the same run, not a new one
        assert app.view is lstm
        started = []
        app.run_models = lambda *args, **kwargs: started.append(args)  # would run a model in a worker
        await press(pilot, "m")
        assert app.view is rnn and not started  # shown from the kept run, with no worker
        await press(pilot, "c", "c", "c")
        assert [v.name for v in app.views] == ["rnn", "lstm"] and app.views[1] is lstm and not started

    drive(make_app("lstm"), scenario)


def test_the_sort_keys_text_names_the_orders_itself():
    """The palette shows an action's help line alone: "the modes listed below" pointed at nothing."""
    from rnnviz.tui.app import ACTIONS
    from rnnviz.tui.state.sorting import SORT_MODES

    sort = next(a for a in ACTIONS if a.action == "sort")
    assert all((mode.short or mode.name) in sort.help for mode in SORT_MODES)
    assert not any("listed below" in a.help for a in ACTIONS)


def test_a_tour_closed_early_keeps_its_measured_steps_and_carries_on(monkeypatch):
    """`t` then escape used to throw the measurement away; every open measured from the first step."""
    from rnnviz.tui.screens import tour

    started = []

    def steps():
        started.append(True)
        yield from (f"step {k}" for k in range(1, tour.TOTAL + 1))

    monkeypatch.setattr(tour, "build_steps", steps)
    measuring = tour._Measuring()
    assert [measuring.next_step(), measuring.next_step()] == ["step 1", "step 2"]  # then the tour closed
    assert measuring.steps == ["step 1", "step 2"]
    rest = [measuring.next_step() for _ in range(tour.TOTAL - 2)]  # the next open goes on
    assert rest[0] == "step 3" and measuring.next_step() is None
    assert len(started) == 1  # one measurement in all


def test_the_tour_is_built_once_and_reopens_where_it_was_left():
    from rnnviz.tui.screens.tour import TourScreen

    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "t")
        tour = app.screen
        assert isinstance(tour, TourScreen)
        await press(pilot, "right", "right")
        panels = list(tour.panels)
        await press(pilot, "escape")
        assert not isinstance(app.screen, TourScreen)
        await press(pilot, "t")
        assert app.screen is tour and tour.index == 2 and tour.panels == panels
        await press(pilot, "escape")  # it closes again
        assert not isinstance(app.screen, TourScreen)

    drive(make_app("lstm"), scenario)


def test_kept_runs_stay_within_their_memory_budget(monkeypatch):
    """A long text's runs are big: the cache of runs evicts by size as well as by count."""
    from rnnviz.tui import app as app_module

    monkeypatch.setattr(app_module, "KEPT_BYTES", 1)  # any second run is over budget

    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "m")
        assert len(app._runs) == 1 and next(iter(app._runs.values())) is app.view

    drive(make_app("lstm"), scenario)
