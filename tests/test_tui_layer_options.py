"""The viewer on the layer options: a bidirectional model gets a second heatmap for its backward
direction; an LSTM with projections draws its P units of h and its H units of c."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("textual")

from test_layer_options_parity import fixture_model  # noqa: E402
from tui_driver import drive, press  # noqa: E402

from rnnviz.tui.app import make_app  # noqa: E402

TEXT = "token1 token2 token3 token4 token5"


def test_bidirectional_model_shows_forward_and_backward_heatmaps():
    model = fixture_model("lstm_bidir_proj", "float32")
    top = model.run(TEXT).hidden[-1]

    async def scenario(pilot):
        panel = pilot.app.panels[0]
        assert panel.backward_map.display
        assert panel.backward_map in panel.heatmaps
        np.testing.assert_array_equal(panel.hidden_map.values, top[:, :4])
        np.testing.assert_array_equal(panel.backward_map.values, top[:, 4:])
        assert "backward" in str(panel.backward_map.border_title)
        await press(pilot, "right", "right")
        assert panel.backward_map.cursor == 2 == panel.hidden_map.cursor

    drive(make_app(model, TEXT), scenario)


def test_unidirectional_projected_lstm_has_no_backward_heatmap():
    model = fixture_model("lstm_proj", "float32")

    async def scenario(pilot):
        panel = pilot.app.panels[0]
        assert not panel.backward_map.display and panel.backward_map not in panel.heatmaps
        assert panel.hidden_map.values.shape == (5, 4)  # P units of h
        assert panel.cell_map.values.shape == (5, 6)  # H units of c
        await press(pilot, "right", "down")
        assert panel.hidden_map.cursor == 1

    drive(make_app(model, TEXT), scenario)


def test_cursor_flow_of_a_bidirectional_model_is_its_forward_directions():
    """The viewer's windowed flow starts the forward direction from its recorded half of the state."""
    import rnnviz
    from rnnviz.tui.state.flowview import FlowPlan, cursor_flow

    model = fixture_model("lstm_bidir_proj")
    trace = model.run(TEXT + " token6 token7")
    windowed = cursor_flow(model, trace, 6, layer=1, plan=FlowPlan(3, None))
    whole = rnnviz.gradient_flow(model, trace, 6, layer=1)
    np.testing.assert_allclose(windowed[0].norms[3:], whole[3:], rtol=1e-10)
