"""Pilot tests of the gradient-flow (`g`) and gate-saturation (`G`) panels: each key cycles its modes,
the curves and scatters drawn are those of rnnviz.gradient_flow and rnnviz.analysis.saturation for what is on
screen, and they follow the cursor, the model and compare mode."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("textual")

from tui_driver import drive, press, send_key, settle, until  # noqa: E402

import rnnviz  # noqa: E402
from rnnviz.analysis.flow import gradient_flow  # noqa: E402
from rnnviz.analysis.saturation import Saturation, corpus_saturation, gate_saturation  # noqa: E402
from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.story import STRIP_ID, StoryStrip  # noqa: E402
from rnnviz.tui.widgets.saturation_panel import CORPUS_SEED, CORPUS_SENTENCES, RNN_NOTE  # noqa: E402


def strip(app) -> StoryStrip:
    return app.query_one(f"#{STRIP_ID}", StoryStrip)


def screen_text(app) -> str:
    return "\n".join(s.text for s in app.screen._compositor.render_strips())


def assert_curves_are_gradient_flow(curves, models_and_traces, cursor):
    expected = []
    for model, trace in models_and_traces:
        expected.append(gradient_flow(model, trace, cursor))
        if model.cell == "lstm":
            expected.append(gradient_flow(model, trace, cursor, of="cell"))
    assert len(curves) == len(expected)
    for curve, norms in zip(curves, expected, strict=True):
        np.testing.assert_allclose(curve.norms, norms, rtol=1e-5)


def test_g_cycles_the_flow_panel_and_its_curves_are_gradient_flow_at_the_cursor():
    async def scenario(pilot):
        app = pilot.app
        assert not app.query(f"#{STRIP_ID}")  # nothing is built until asked for
        await press(pilot, "right", "right", "g")
        flow = strip(app).flow
        assert flow.mode == 1 and flow.display and strip(app).display
        assert [c.label for c in flow.curves] == ["lstm h", "lstm c"]
        assert_curves_are_gradient_flow(flow.curves, [(app.view.model, app.view.trace)], 2)
        assert "gradient flow at “sat”" in screen_text(app)
        await press(pilot, "end")  # the curves follow the cursor
        assert flow.curves[0].position == len(app.tokens) - 1
        assert_curves_are_gradient_flow(flow.curves, [(app.view.model, app.view.trace)], app.cursor)
        await press(pilot, "g")  # all three bundled models on the same sentence, told rnn, lstm, gru
        assert flow.mode == 2
        assert [c.label for c in flow.curves] == ["rnn h", "lstm h", "lstm c", "gru h"]
        models = [rnnviz.load(name) for name in ("rnn", "lstm", "gru")]
        assert_curves_are_gradient_flow(flow.curves, [(m, m.run(app.text)) for m in models], app.cursor)
        await press(pilot, "g")
        assert flow.mode == 0 and not flow.display and not strip(app).display

    drive(make_app("lstm"), scenario)


def test_flow_follows_a_model_switch_and_compare_mode():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", "right", "right", "g", "m")  # lstm → rnn
        flow = strip(app).flow
        assert app.view.model.cell == "rnn"
        assert [c.label for c in flow.curves] == ["rnn h"]
        assert_curves_are_gradient_flow(flow.curves, [(app.view.model, app.view.trace)], 3)
        await press(pilot, "c")  # compare mode: both models on the same sentence
        assert len(app.views) == 2
        assert_curves_are_gradient_flow(flow.curves, [(v.model, v.trace) for v in app.views], 3)

    drive(make_app("lstm"), scenario)


def test_a_new_sentence_shows_computing_never_the_old_sentences_curves(monkeypatch):
    """Issue 16: after the tour's explore (a new sentence) the panel kept the previous sentence's curves
    for a second, with no "computing…"."""
    import asyncio
    import threading

    from rnnviz.tui.widgets import flow_panel

    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "g")
        flow = strip(app).flow
        assert flow.curves
        release = threading.Event()
        computed = flow_panel.cursor_flow

        def slow(*args, **kwargs):
            release.wait(10)
            return computed(*args, **kwargs)

        monkeypatch.setattr(flow_panel, "cursor_flow", slow)
        app.run_models(["lstm"], "the dog sat on the rug .", cursor=0)
        for _ in range(500):
            await pilot.pause()
            if app.text.startswith("the dog"):
                break
            await asyncio.sleep(0.01)
        await pilot.pause()
        assert app.text.startswith("the dog")
        assert flow.curves == [] and "computing…" in screen_text(app)
        release.set()
        await settle(pilot)
        assert flow.curves and flow.curves[0].tokens == ["the"]

    drive(make_app("lstm"), scenario)


def test_flow_of_a_long_text_is_computed_off_the_keypress():
    words = ("the cat sat on the mat because it was tired and it meowed . " * 400).split()

    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "g", "end")
        flow = strip(app).flow
        curve = flow.curves[0]
        assert curve.position == len(words) - 1
        computed = ~np.isnan(curve.norms)
        assert computed.sum() <= 512  # a window, not the whole 5,600-word text
        exact = gradient_flow(app.view.model, app.view.trace, app.cursor, window=int(computed.sum()) - 1)
        np.testing.assert_allclose(curve.norms[computed], exact[computed], rtol=1e-5)
        assert "last" in str(flow.border_subtitle)

    drive(make_app("gru", text=" ".join(words)), scenario)


def assert_saturation_equal(shown: Saturation, expected: Saturation):
    assert shown.gates.keys() == expected.gates.keys()
    for name, gate in expected.gates.items():
        np.testing.assert_allclose(shown.gates[name].left, gate.left)
        np.testing.assert_allclose(shown.gates[name].right, gate.right)


def test_G_cycles_gate_saturation_over_the_sentence_then_the_corpus():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "G")
        panel = strip(app).saturation
        assert panel.mode == 1 and panel.display
        ((name, shown),) = panel.results
        assert name == "lstm"
        assert_saturation_equal(shown, gate_saturation(app.view.trace))
        assert "forget" in screen_text(app) and "gate saturation over the sentence" in screen_text(app)
        await press(pilot, "G")
        ((_, shown),) = panel.results
        assert panel.mode == 2 and shown.sentences == CORPUS_SENTENCES
        assert_saturation_equal(
            shown, corpus_saturation(app.view.model, n=CORPUS_SENTENCES, seed=CORPUS_SEED)
        )
        await press(pilot, "g")  # both panels: side by side, the scatters keep their width
        assert strip(app).flow.display and panel.display
        assert panel.outer_size.width == panel.widest
        await press(pilot, "G")
        assert panel.mode == 0 and not panel.display and strip(app).display  # the flow panel stays

    drive(make_app("lstm"), scenario)


def test_saturation_of_a_plain_rnn_is_a_one_line_note_and_compare_mode_shows_both():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "G")
        panel = strip(app).saturation
        assert panel.results == [("rnn", RNN_NOTE)]
        assert "a plain RNN has no gates" in screen_text(app)
        await press(pilot, "c")  # rnn beside an lstm: a note and the LSTM's scatters
        names = [name for name, _ in panel.results]
        assert names == [v.name for v in app.views] and len(names) == 2
        gated = [result for _, result in panel.results if isinstance(result, Saturation)]
        assert len(gated) == 1
        assert_saturation_equal(gated[0], gate_saturation(app.views[1].trace))

    drive(make_app("rnn"), scenario)


def test_flow_and_saturation_keys_are_off_under_a_dialog_and_in_the_palette():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "question_mark", "g", "G")
        assert not app.query(f"#{STRIP_ID}")
        await press(pilot, "escape")
        titles = [title for title, _, _ in app.palette_actions()]
        assert "Flow" in titles and "Gates" in titles and "Tour" in titles

    drive(make_app("lstm"), scenario)


def test_keys_pressed_during_a_computation_replace_it_instead_of_piling_up(monkeypatch):
    from rnnviz.tui.widgets import flow_panel

    computed = []
    started, release = threading.Event(), threading.Event()
    release.set()
    exact = flow_panel.cursor_flow

    def held_flow(model, trace, position, *args, **kwargs):
        """The flow, held back until the test lets it finish: a big model's cursor."""
        computed.append(position)
        started.set()
        release.wait(timeout=60)  # (the timeout only stops a hang)
        return exact(model, trace, position, *args, **kwargs)

    monkeypatch.setattr(flow_panel, "cursor_flow", held_flow)

    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "g")
        computed.clear()
        started.clear()
        release.clear()
        send_key(app, "right")
        await until(pilot, started.is_set, "the flow at word 1 started")
        for _ in range(7):  # while word 1's flow is computed
            send_key(app, "right")
        await until(pilot, lambda: app.cursor == 8, "the cursor reached word 8")
        release.set()
        await settle(pilot)
        assert computed == [1, 8]  # the one in flight, then only the latest
        assert_curves_are_gradient_flow(strip(app).flow.curves, [(app.view.model, app.view.trace)], 8)

    drive(make_app("lstm"), scenario)
