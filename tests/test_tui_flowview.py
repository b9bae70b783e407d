"""What the TUI's flow panel computes at a cursor: exactly rnnviz.gradient_flow when the budget allows,
a window or probes when it does not, and each cursor's cost within the budget. No Textual needed."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_model

import rnnviz
from rnnviz.analysis.flow import gradient_flow
from rnnviz.core.cells import GATE_COUNT
from rnnviz.tui.state.flowview import (
    FLOW_BUDGET,
    MAX_WINDOW,
    MIN_WINDOW,
    PROBES,
    FlowPlan,
    by_cell,
    cursor_flow,
    plan_flow,
    window_run,
)

SENTENCE = "the cat sat on the mat because it was tired and it meowed ."


@pytest.mark.parametrize("cell", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_cursor_flow_is_gradient_flow_on_the_whole_sentence(cell):
    model = random_model(cell, vocab=20, hidden=12, seed=1)
    trace = model.run("the cat sat on the mat . it was the cat", decode=False)
    for position in (0, 4, len(trace) - 1):
        curves = cursor_flow(model, trace, position, plan=FlowPlan(None, None))
        np.testing.assert_allclose(curves[0].norms, gradient_flow(model, trace, position), rtol=1e-5)
        assert curves[0].of == "hidden" and curves[0].position == position
        if model.cell == "lstm":
            np.testing.assert_allclose(
                curves[1].norms, gradient_flow(model, trace, position, of="cell"), rtol=1e-5
            )
            assert [c.of for c in curves] == ["hidden", "cell"]
        else:
            assert len(curves) == 1


def test_a_window_is_exact_inside_and_nan_outside():
    model = random_model("lstm", vocab=20, hidden=10, seed=2)
    trace = model.run(["the", "cat", "sat", "on", "mat"] * 6, decode=False)
    position, window = 25, 7
    curves = cursor_flow(model, trace, position, plan=FlowPlan(window, None))
    exact = gradient_flow(model, trace, position)
    inside = slice(position - window, position + 1)
    np.testing.assert_allclose(curves[0].norms[inside], exact[inside], rtol=1e-5)
    assert np.isnan(curves[0].norms[: position - window]).all()


def test_window_run_starts_from_the_recorded_state_in_every_layer():
    model = random_model("gru", layers=2, vocab=20, hidden=8, seed=4)
    trace = model.run(["the", "cat", "sat", "on", "the", "mat", "."] * 2, decode=False)
    for layer in (0, 1):
        run = window_run(model, trace, layer, 5, 12)
        np.testing.assert_allclose(run.h[:, 0], trace.hidden[layer, 5:12], rtol=1e-5, atol=1e-6)
    curves = cursor_flow(model, trace, 12, layer=0, plan=FlowPlan(None, None))
    np.testing.assert_allclose(curves[0].norms, gradient_flow(model, trace, 12, layer=0), rtol=1e-5)


def test_the_demo_models_get_the_exact_flow_over_the_whole_sentence():
    for name in ("rnn", "lstm", "gru"):
        model = rnnviz.load(name)
        assert plan_flow(model, 13) == FlowPlan(None, None)
        assert plan_flow(model, 300) == FlowPlan(None, None)
        assert plan_flow(model, 5000).window == MAX_WINDOW - 1  # a plot cannot show more


@pytest.mark.parametrize("hidden", [256, 1024])
def test_big_models_stay_within_the_budget(hidden):
    model = random_model("lstm", vocab=20, embedding=4, hidden=hidden, seed=0)
    plan = plan_flow(model, 10_000)
    assert plan.probes == PROBES
    words = plan.window + 1
    cost = GATE_COUNT["lstm"] * hidden * hidden * plan.probes * 2 * words  # two paths: h and c
    assert cost <= FLOW_BUDGET or words == MIN_WINDOW  # the floor: a 1,024-unit model pays for a few words
    assert plan.describe()  # the panel says the flow is windowed and estimated


def test_probes_estimate_the_flow():
    model = random_model("rnn_tanh", vocab=20, hidden=96, seed=5, scale=0.15)
    trace = model.run(["the", "cat", "sat"] * 5, decode=False)
    estimate = cursor_flow(model, trace, 14, plan=FlowPlan(None, 64))[0].norms
    exact = gradient_flow(model, trace, 14)
    assert estimate[14] == pytest.approx(exact[14])  # √H at the cursor, exactly
    np.testing.assert_allclose(estimate[8:], exact[8:], rtol=0.25)


def test_curves_are_told_rnn_lstm_gru():
    from rnnviz.tui.state.flowview import FlowSource

    sources = [
        FlowSource(name, rnnviz.load(name), rnnviz.load(name).run("the cat", decode=False))
        for name in ("gru", "lstm", "rnn")
    ]
    assert [s.label for s in by_cell(sources)] == ["rnn", "lstm", "gru"]
