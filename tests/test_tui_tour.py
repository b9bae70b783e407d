"""Pilot tests of the guided tour: `t` opens it, ←/→ walk all six steps forward and back, each step sets
up the views it describes (model, sentence, cursor, unit order, flow curves) and shows numbers that
match direct API calls; escape/q leave, enter explores a step in the viewer; `rnnviz tour` in a pipe
prints the steps and exits 0."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("textual")

from tui_driver import drive, press, settle  # noqa: E402

import rnnviz  # noqa: E402
from rnnviz.analysis import links as memory  # noqa: E402
from rnnviz.analysis.flow import gradient_flow  # noqa: E402
from rnnviz.numbers import magnitude  # noqa: E402
from rnnviz.training import corpus  # noqa: E402
from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.screens.tour import TourScreen, TourSentence, open_tour  # noqa: E402
from rnnviz.tui.state.tour_steps import TOTAL, percent  # noqa: E402

MODELS = ["lstm", "lstm", "lstm", "rnn", "lstm", "gru"]


def screen_text(app) -> str:
    return "\n".join(s.text for s in app.screen._compositor.render_strips())


def flat(text: str) -> str:
    """Screen text as one line of words, so wrapped sentences can be searched."""
    cleaned = "".join(" " if ch in "│╭╮╰╯─" else ch for ch in text)
    return " ".join(cleaned.split())


async def open_the_tour(pilot) -> TourScreen:
    await press(pilot, "t")
    screen = pilot.app.screen
    assert isinstance(screen, TourScreen)
    await settle(pilot)
    assert len(screen.steps) == TOTAL
    return screen


def check_step(app, screen: TourScreen, k: int) -> None:
    """The step on screen is step k, with its views set up as it says."""
    step = screen.current
    assert screen.index == k and step.number == k + 1
    shown = [panel for panel in screen.panels if panel.display]
    assert len(shown) == len(step.views)
    for panel, view in zip(shown, step.views, strict=True):
        assert panel.view is view and view.model.cell == MODELS[k]
        assert panel.step == step.cursor
        assert [h.cursor for h in panel.heatmaps] == [step.cursor] * len(panel.heatmaps)
        assert panel.cell_map.display == (step.show_cell and view.cell_state is not None)
        if step.order is not None:
            assert list(panel.order) == list(step.order)
        assert panel.inspector.unit == step.selected
    sentence = screen.query_one(TourSentence)
    assert sentence.tokens == step.tokens and sentence.cursor == step.cursor
    assert screen.flow_panel.display == bool(step.flow)
    if step.flow:
        assert [c.label for c in screen.flow_panel.curves] == [c.label for c in step.flow]
    text = flat(screen_text(app))
    assert step.title in text
    for fact in step.facts:
        assert flat(fact) in text


def test_the_tour_walks_forward_and_back_through_six_steps():
    async def scenario(pilot):
        app = pilot.app
        screen = await open_the_tour(pilot)
        for k in range(TOTAL):
            check_step(app, screen, k)
            await press(pilot, "right")
        check_step(app, screen, TOTAL - 1)  # → on the last step stays there
        for k in reversed(range(TOTAL)):
            check_step(app, screen, k)
            await press(pilot, "left")
        check_step(app, screen, 0)
        assert app.cursor == 0 and app.view.model.cell == "lstm"  # the viewer underneath did not move
        await press(pilot, "escape")
        assert not isinstance(app.screen, TourScreen) and app.return_code is None
        assert app.cursor == 0

    drive(make_app("lstm"), scenario)


def test_tour_numbers_match_direct_api_calls():
    async def scenario(pilot):
        app = pilot.app
        screen = await open_the_tour(pilot)
        lstm, rnn = rnnviz.load("lstm"), rnnviz.load("rnn")
        demo = corpus.parse(rnnviz.DEMO_SENTENCE)

        await press(pilot, "right")  # step 2: the prediction at "it" and the link back to "cat"
        trace = lstm.run(rnnviz.DEMO_SENTENCE)
        (word, p), *_ = trace.top_next(demo.it_index, 1)
        row = memory.link_rows(lstm, trace, [demo.it_index])[0]
        text = flat(screen_text(app))
        assert f"“{word}” {percent(p)}" in text
        assert f"“cat” {percent(row[demo.subject_index])}" in text
        np.testing.assert_allclose(screen.sentence.tint, row[: demo.it_index + 1] / row.max())

        await press(pilot, "right", "right")  # step 4: the RNN's flow collapses on the long sentence
        step = screen.current
        long = corpus.parse(step.tokens)
        flow = gradient_flow(rnn, rnn.run(step.tokens), long.it_index)
        np.testing.assert_allclose(screen.flow_panel.curves[0].norms, flow, rtol=1e-5)
        assert magnitude(flow[long.subject_index]) in flat(screen_text(app))

    drive(make_app("lstm"), scenario)


def test_enter_explores_the_step_in_the_viewer():
    async def scenario(pilot):
        app = pilot.app
        screen = await open_the_tour(pilot)
        await press(pilot, "right", "right", "right")
        step = screen.current
        await press(pilot, "enter")
        assert not isinstance(app.screen, TourScreen)
        assert app.view.model.cell == "rnn"
        assert app.tokens == step.tokens and app.cursor == step.cursor
        heatmap = app.panels[0].hidden_map  # scrolled so the explored word is in view
        left = step.cursor * heatmap.COLUMN_WIDTH
        shown = heatmap.scrollable_content_region.width - heatmap.gutter_width
        assert heatmap.scroll_x <= left and left + heatmap.COLUMN_WIDTH <= heatmap.scroll_x + shown

    drive(make_app("lstm"), scenario)


def test_explore_keeps_the_unit_order_and_flow_the_step_set_up():
    """Issue 16: enter used to drop the step's selected unit and unit order and close the flow panel."""

    async def scenario(pilot):
        app = pilot.app
        screen = await open_the_tour(pilot)
        await press(pilot, "right", "right", "right", "right")  # step 5: the LSTM's keeping units
        step = screen.current
        await press(pilot, "enter")
        assert app.view.model.cell == "lstm" and app.cursor == step.cursor
        assert app.selected_unit == step.selected
        assert list(app.unit_order()) == list(step.order)
        assert "tour step 5" in app.sort_mode.name
        flow = app._story.flow
        assert flow.display and flow.mode == 2  # rnn, lstm and gru, as the step plotted
        assert flow.curves and flow.curves[0].tokens == step.tokens[: step.cursor + 1]
        await press(pilot, "s")  # s leaves the pinned order for the usual cycle
        assert "tour step" not in app.sort_mode.name

    drive(make_app("lstm"), scenario)


def test_q_leaves_the_tour_and_a_tour_started_for_itself_quits():
    async def scenario(pilot):
        app = pilot.app
        await open_the_tour(pilot)
        await press(pilot, "q")
        assert not isinstance(app.screen, TourScreen) and app.return_code is None
        open_tour(app, quit_on_leave=True)  # as `rnnviz tour` opens it
        await settle(pilot)
        assert isinstance(app.screen, TourScreen)
        await press(pilot, "escape")

    app = drive(make_app("lstm"), scenario)
    assert app.return_code == 0


def test_rnnviz_tour_in_a_pipe_prints_the_steps_and_exits_0():
    result = subprocess.run(
        [sys.executable, "-m", "rnnviz.cli", "tour"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for number in range(1, TOTAL + 1):
        assert f"{number}/{TOTAL}  " in result.stdout
    assert "“it” remembers “cat”" in result.stdout
    assert "\x1b[" not in result.stdout  # plain text, no terminal codes


def test_a_step_that_arrives_while_the_tour_is_being_dismissed_is_dropped():
    """The measuring worker hands steps over from its thread; one may land while the screen is taking
    its widgets down (seen in the key storm). It must be dropped, not crash the app."""

    async def scenario(pilot):
        screen = await open_the_tour(pilot)
        await screen.query_one("#tour-title").remove()  # as in the middle of a dismissal
        screen.show_step()
        screen.index = 0
        screen._arrived(screen.steps[-1])  # a step already known: ignored either way
        await pilot.pause()
        await press(pilot, "escape")

    app = drive(make_app("lstm"), scenario)
    assert app.return_code is None
