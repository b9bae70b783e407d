"""Snapshots of single widgets, each in a tiny app on hand-made arrays (tests/snapshot_apps/*.py; the
docstring of each names the regression it guards), and the checks that the exact model of the
whole-screen snapshots is exact.

Regenerate after a deliberate change with `pytest tests/test_snapshot_apps.py --snapshot-update`, and
look at the SVGs (tests/__snapshots__/test_snapshot_apps/) before committing them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnviz.render.colors import LEVELS
from rnnviz.tui.state.modelview import ModelView

APPS = Path(__file__).parent / "snapshot_apps"


@pytest.fixture(scope="module")
def exact():
    from snapshot_apps.exact_models import SENTENCE, exact_lstm

    model = exact_lstm()
    return model, model.run(SENTENCE)


def test_the_exact_lstms_gates_are_exactly_0_or_1_and_its_cell_state_whole(exact):
    _, trace = exact
    for name in ("input", "forget", "output"):
        assert set(np.unique(trace.gates[name])) <= {0.0, 1.0}, name
    assert set(np.unique(trace.gates["cell"])) <= {-1.0, 1.0}
    assert np.array_equal(trace.cell_state, np.rint(trace.cell_state))
    assert len(np.unique(trace.gates["forget"])) == 2  # both values occur: the picture is not flat


def test_the_exact_lstms_hidden_state_is_far_from_every_color_step(exact):
    """h = o·tanh(c) is the one drawn value computed by a transcendental function: an ulp more or less
    (another libm or SIMD path) must not move it to another color step."""
    model, trace = exact
    view = ModelView("lstm", model, trace)
    assert view.hidden_scale == 1.0
    position = (trace.hidden.astype(np.float64) + 1) * (LEVELS - 1) / 2
    distance = np.abs(position - np.floor(position) - 0.5)
    assert distance.min() > 0.01


def test_the_exact_lstms_prediction_is_the_same_after_every_word(exact):
    model, trace = exact
    from snapshot_apps.exact_models import PER_MILLE

    expected = np.array([PER_MILLE[word] for word in model.vocab]) / 1000
    assert np.allclose(trace.probs, expected[None, :], atol=1e-6)


@pytest.mark.parametrize("name", ["heatmap", "gates", "predictions", "sentence", "legend"])
def test_widget(snap_compare, name):
    assert snap_compare(APPS / f"{name}.py", terminal_size=(80, 16))
