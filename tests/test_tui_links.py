"""Pilot tests of memory links in the TUI (sentence tint, `l`, the top-3 panel, workers and their cache)
and of the "by memory" unit order."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("textual")

from conftest import random_model  # noqa: E402
from tui_driver import drive, press, send_key, settle, until  # noqa: E402

from rnnviz import DEMO_SENTENCE  # noqa: E402
from rnnviz.analysis.links import DEFAULT_WINDOW, link_rows, methods_for, top_links  # noqa: E402
from rnnviz.analysis.units import memory_unit_ranking  # noqa: E402
from rnnviz.io.weights import bundled_path, load  # noqa: E402
from rnnviz.training.corpus import ANIMALS  # noqa: E402
from rnnviz.tui.app import RnnvizApp, make_app  # noqa: E402
from rnnviz.tui.state.linkcache import MIN_WINDOW, LinkCache, LinkJob, link_window, row_cost  # noqa: E402

DEMO_TOKENS = DEMO_SENTENCE.split()
LAST_IT = len(DEMO_TOKENS) - 3
# The subject is named first, another animal after it: the links must point past the nearer one.
DISTRACTOR = "the cat that the dog chased sat on the mat because it was tired and it meowed ."


async def go_to(pilot, position: int) -> None:
    await press(pilot, "home", *["right"] * position)
    assert pilot.app.cursor == position


NEVER = 3600.0  # a rest no test waits for: the test itself says when the cursor has rested


def rest(app: RnnvizApp) -> None:
    """The cursor has rested: fire the links' rest timer now (instead of waiting for it)."""
    timer = app.memory._rest
    assert timer is not None, "no row is waiting for the cursor to rest"
    timer.stop()
    app.memory._rested()


def direct_row(app: RnnvizApp, method: str, panel: int = 0) -> np.ndarray:
    view = app.panels[panel].view
    return link_rows(view.model, view.trace, [app.cursor], method=method)[0]


def test_the_last_it_links_to_the_cat_past_a_nearer_dog():
    async def scenario(pilot):
        app = pilot.app
        it = len(app.tokens) - 3
        await go_to(pilot, it)
        row = app.sentence_bar.links_row
        assert row is not None and len(row) == len(app.tokens)
        assert np.allclose(row, direct_row(app, "occlusion"), atol=1e-6)
        assert row[: it + 1].sum() == pytest.approx(1.0, abs=1e-4)
        animals = [s for s, word in enumerate(app.tokens[:it]) if word in ANIMALS]
        assert {app.tokens[s] for s in animals} == {"cat", "dog"}
        assert app.tokens[max(animals, key=lambda s: row[s])] == "cat"

    drive(make_app("lstm", DISTRACTOR), scenario)


def test_the_demo_sentence_tints_the_cat_at_the_last_it():
    async def scenario(pilot):
        app = pilot.app
        await go_to(pilot, LAST_IT)
        bar = app.sentence_bar
        assert bar.links_row is not None
        text = bar.render()
        plain = text.plain
        offsets, at = [], 0
        for word in app.tokens:  # where each word starts in the bar's text
            at = plain.index(word, at)
            offsets.append(at)
            at += len(word)

        def background(position: int):
            styles = [span.style for span in text.spans if span.start <= position < span.end]
            colors = [s.bgcolor for s in styles if not isinstance(s, str) and s.bgcolor is not None]
            return colors[-1].get_truecolor() if colors else None

        untinted = background(offsets[LAST_IT + 1])  # a word not read yet is never tinted
        assert untinted == background(offsets[LAST_IT + 2])

        def tint(position: int) -> float:
            color = background(position)
            return 0.0 if color is None else float(np.abs(np.subtract(color, untinted)).sum())

        strengths = [tint(offsets[s]) for s in range(LAST_IT)]
        assert strengths[1] > 0, "cat is tinted"
        assert strengths[1] == max(strengths), "no earlier word is tinted more than cat"
        panel = app.panels[0].links_panel
        assert "cat" in [word for _, word, _ in panel.top()]

    drive(make_app("lstm"), scenario)


def test_l_cycles_the_methods_and_each_changes_the_row():
    async def scenario(pilot):
        app = pilot.app
        await go_to(pilot, LAST_IT)
        methods = methods_for(app.view.model)
        assert methods == ("occlusion", "integrated", "gradient", "retention")
        seen, rows = [app.memory.links_method], [app.sentence_bar.links_row]
        for _ in methods:
            await press(pilot, "l")
            seen.append(app.memory.links_method)
            rows.append(app.sentence_bar.links_row)
            assert app.panels[0].links_panel.method == app.memory.links_method
            assert str(app.panels[0].links_panel.border_subtitle).startswith(app.memory.links_method)
            assert app.memory.links_method in str(app.sentence_bar.border_subtitle)
            assert np.allclose(rows[-1], direct_row(app, app.memory.links_method), atol=1e-5)
        assert seen == [*methods, methods[0]]
        for before, after in zip(rows[:-2], rows[1:-1], strict=True):
            assert not np.allclose(before, after, atol=1e-3), "every method gives its own row"
        assert np.array_equal(rows[0], rows[-1])

    drive(make_app("lstm"), scenario)


def test_l_skips_retention_for_a_model_without_forget_gates_and_switching_models_keeps_a_valid_method():
    async def scenario(pilot):
        app = pilot.app
        await go_to(pilot, LAST_IT)
        seen = []
        for _ in range(3):
            await press(pilot, "l")
            seen.append(app.memory.links_method)
        assert seen == ["integrated", "gradient", "occlusion"]
        while app.view.model.cell != "lstm":
            await press(pilot, "m")
        await press(pilot, "l", "l", "l")
        assert app.memory.links_method == "retention"
        while app.view.model.cell == "lstm":  # on to a model without retention
            await press(pilot, "m")
        assert app.memory.links_method == "occlusion"
        assert np.allclose(app.sentence_bar.links_row, direct_row(app, "occlusion"), atol=1e-6)

    drive(make_app("rnn"), scenario)


def test_the_links_panel_lists_the_top_three_earlier_words_with_their_shares():
    async def scenario(pilot):
        app = pilot.app
        await go_to(pilot, LAST_IT)
        panel = app.panels[0].links_panel
        expected = top_links(direct_row(app, "occlusion")[: LAST_IT + 1], app.tokens, 3)
        assert [(s, w) for s, w, _ in panel.top()] == [(s, w) for s, w, _ in expected]
        labels, *lines = [strip.text for strip in panel.strips(panel.size.width)]
        assert labels.split() == ["word", "back", "share"]  # the columns are named
        assert len(lines) == 3
        for (s, word, share), line in zip(expected, lines, strict=True):
            assert line.split()[0] == word
            assert f"{share:.0%}" in line
            back = LAST_IT - s
            assert (f"−{back}" if back else "here") in line
        assert "links at “it”" in str(panel.border_title)

    drive(make_app("lstm"), scenario)


def spy_threads(monkeypatch) -> list[threading.Thread]:
    """The thread of every row computed from now on."""
    threads = []
    real = LinkCache.compute

    def spy(self, job):
        threads.append(threading.current_thread())
        return real(self, job)

    monkeypatch.setattr(LinkCache, "compute", spy)
    return threads


def test_a_quick_row_is_computed_on_the_keypress_and_cached(monkeypatch):
    threads = spy_threads(monkeypatch)

    async def scenario(pilot):
        app = pilot.app
        await go_to(pilot, 3)
        assert threads and all(t is threading.main_thread() for t in threads)
        assert app.panels[0].links_panel.row is app.sentence_bar.links_row  # never "computing…"
        computed = app.memory.link_cache.computed
        await press(pilot, "right")
        assert app.memory.link_cache.computed == computed + 1
        await press(pilot, "left")  # back to a word already computed: no new row
        assert app.memory.link_cache.computed == computed + 1
        assert np.allclose(app.sentence_bar.links_row, direct_row(app, "occlusion"), atol=1e-6)

    drive(make_app("lstm"), scenario)


def test_a_costly_row_runs_in_a_worker_thread_and_is_cached(monkeypatch):
    threads = spy_threads(monkeypatch)
    app = make_app("lstm")
    app.memory.instant_row, app.memory.links_rest = 0.0, 1.01  # every row counts as costly

    async def scenario(pilot):
        app = pilot.app
        await go_to(pilot, 3)
        assert threads and all(t is not threading.main_thread() for t in threads)
        computed = app.memory.link_cache.computed
        await press(pilot, "right")
        assert app.memory.link_cache.computed == computed + 1
        await press(pilot, "left")
        assert app.memory.link_cache.computed == computed + 1
        assert np.allclose(app.sentence_bar.links_row, direct_row(app, "occlusion"), atol=1e-6)

    drive(app, scenario)


def test_a_burst_of_keys_ends_with_the_row_of_the_final_word():
    async def scenario(pilot):
        app = pilot.app
        for key in [*["right"] * 9, "left", "right", "right", "right"]:  # without waiting in between
            send_key(app, key)
        await settle(pilot)
        assert app.cursor == 11
        panel = app.panels[0].links_panel
        assert panel.step == 11
        assert np.allclose(app.sentence_bar.links_row, direct_row(app, "occlusion"), atol=1e-6)
        assert np.allclose(panel.row, app.sentence_bar.links_row)

    drive(make_app("lstm"), scenario)


def test_compare_mode_shows_links_of_both_models_and_tints_by_the_first():
    async def scenario(pilot):
        app = pilot.app
        await go_to(pilot, LAST_IT)
        first, second = (panel.links_panel for panel in app.panels)
        assert np.allclose(first.row, direct_row(app, "occlusion", 0), atol=1e-6)
        assert np.allclose(second.row, direct_row(app, "occlusion", 1), atol=1e-6)
        assert app.sentence_bar.links_row is first.row
        await press(pilot, "l", "l", "l")  # retention: the LSTM has it, the RNN does not
        assert app.memory.links_method == "retention"
        assert isinstance(first.row, np.ndarray)
        assert isinstance(second.row, str) and "LSTM" in second.row

    drive(make_app("lstm", compare="rnn"), scenario)


def test_a_new_sentence_clears_the_old_tint_and_computes_its_own():
    async def scenario(pilot):
        app = pilot.app
        await go_to(pilot, 2)
        old = app.sentence_bar.links_row
        await press(pilot, "e", "ctrl+a", "ctrl+k")
        await pilot.press(*"the dog barked and it")
        await press(pilot, "enter")
        assert app.tokens == ["the", "dog", "barked", "and", "it"]
        row = app.sentence_bar.links_row
        assert row is not None and row is not old and len(row) == 5
        assert np.allclose(row, direct_row(app, "occlusion"), atol=1e-6)

    drive(make_app("lstm"), scenario)


def test_sort_by_memory_puts_the_memory_units_on_top():
    async def scenario(pilot):
        app = pilot.app
        while app.sort_mode.name != "by memory (probe)":
            await press(pilot, "s")
        expected = memory_unit_ranking(app.view.model)
        assert np.array_equal(app.panels[0].hidden_map.order, expected)
        assert np.array_equal(app.panels[0].gates.order, expected)
        assert "sort: by memory (probe)" in app.sub_title
        await press(pilot, "right", "right")  # the order does not follow the cursor
        assert np.array_equal(app.panels[0].hidden_map.order, expected)

    drive(make_app("gru"), scenario)


def test_sort_by_memory_on_a_model_without_the_demo_animals_says_why_and_keeps_index_order():
    model = random_model("lstm", vocab=20, hidden=12)

    async def scenario(pilot):
        app = pilot.app
        while app.sort_mode.name != "by memory (probe)":
            await press(pilot, "s")
        assert np.array_equal(app.panels[0].hidden_map.order, np.arange(12))
        messages = [n.message for n in app._notifications]
        assert any("by memory" in m and "vocabulary" in m for m in messages)

    drive(make_app(model, "the cat sat on the mat"), scenario)


def capped_app(text: str) -> tuple[RnnvizApp, threading.Event]:
    """An app whose occlusion rows look 20 words back at first, and whose extensions of a row wait
    for the returned gate, so that a test sees the row before and after it is extended."""
    app = make_app("lstm", text)
    model = load(bundled_path("lstm"))
    app.memory.links_budget = row_cost(model, "occlusion", 20.5)  # 20 words of occlusion fit, 21 do not
    gate = threading.Event()
    cache = app.memory.link_cache
    extend = cache.extend

    def gated(job, should_stop=None):
        gate.wait(timeout=60)
        return extend(job, should_stop)

    cache.extend = gated
    return app, gate


def test_a_costly_row_looks_back_as_far_as_the_budget_allows_then_extends_to_the_full_window():
    text = f"{DEMO_SENTENCE} {DEMO_SENTENCE}"
    last_it = len(text.split()) - 3
    app, gate = capped_app(text)

    async def scenario(pilot):
        app = pilot.app
        panel = app.panels[0].links_panel
        await pilot.press("home", *["right"] * last_it)
        await until(pilot, lambda: app.cursor == last_it and isinstance(panel.row, np.ndarray))
        view = app.panels[0].view
        assert link_window(view.model, "occlusion", app.memory.links_budget) == 20
        row = app.sentence_bar.links_row
        expected = link_rows(view.model, view.trace, [last_it], "occlusion", window=20)[0]
        assert np.allclose(row, expected, atol=1e-6)
        assert not row[: last_it + 1 - 20].any() and row[last_it + 1 - 20 : last_it + 1].any()
        assert f"· 20 of {last_it + 1} words ·" in str(panel.border_subtitle)  # it is being extended
        gate.set()
        await settle(pilot)
        full = link_rows(view.model, view.trace, [last_it], "occlusion")[0]
        assert np.allclose(app.sentence_bar.links_row, full, atol=1e-6)  # the tint reaches back too
        assert np.allclose(panel.row, full, atol=1e-6)
        assert "words" not in str(panel.border_subtitle)  # it reaches the first word now
        assert app.memory.link_cache.pieces == 1  # 20 words, then the 10 before them

    drive(app, scenario)


def test_a_cursor_move_stops_the_extension_and_coming_back_continues_it():
    text = f"{DEMO_SENTENCE} {DEMO_SENTENCE}"
    last_it = len(text.split()) - 3
    app, gate = capped_app(text)

    async def scenario(pilot):
        app = pilot.app
        memory = app.memory
        panel = app.panels[0].links_panel
        await pilot.press("home", *["right"] * last_it)
        await until(pilot, lambda: memory.links.busy)  # the worker waits at the gate to extend it
        version = memory.links.version
        await pilot.press("left")
        await until(pilot, lambda: memory.links.version > version)  # the new word's request interrupts
        gate.set()
        await settle(pilot)
        view = app.panels[0].view
        here = link_rows(view.model, view.trace, [last_it - 1], "occlusion")[0]
        assert app.cursor == last_it - 1
        assert np.allclose(app.sentence_bar.links_row, here, atol=1e-6)
        assert np.allclose(panel.row, here, atol=1e-6)
        old = LinkJob(view.model, view.trace, "occlusion", last_it, 20)
        assert memory.link_cache.reach(old) == 20  # its extension stopped: nothing of it landed
        computed, pieces = memory.link_cache.computed, memory.link_cache.pieces
        await press(pilot, "right")
        assert memory.link_cache.reach(old) == last_it + 1
        assert memory.link_cache.computed == computed  # the cached 20 words were not computed again
        assert memory.link_cache.pieces == pieces + 1
        full = link_rows(view.model, view.trace, [last_it], "occlusion")[0]
        assert np.allclose(app.sentence_bar.links_row, full, atol=1e-6)

    drive(app, scenario)


def test_costly_rows_wait_until_the_cursor_rests_and_skip_the_words_passed():
    app = make_app("lstm")

    async def scenario(pilot):
        app = pilot.app
        computed = app.memory.link_cache.computed
        app.memory.links_rest = NEVER  # however slow the machine, the keys come before the rest
        for _ in range(6):
            send_key(app, "right")
        await until(pilot, lambda: app.cursor == 6, "the cursor reached word 6")
        await pilot.pause()
        assert app.memory.link_cache.computed == computed  # nothing yet: the cursor has not rested
        rest(app)  # now it rests on word 6
        await settle(pilot)
        assert app.memory.link_cache.computed == computed + 1  # only the word the cursor rested on
        assert np.allclose(app.sentence_bar.links_row, direct_row(app, "occlusion"), atol=1e-6)

    app.memory.instant_row = 0.0  # every row counts as costly
    drive(app, scenario)


def test_the_links_window_is_the_longest_that_fits_the_budget():
    model = load(bundled_path("lstm"))
    for method in methods_for(model):
        assert link_window(model, method) == DEFAULT_WINDOW  # the demo model always looks all the way back
    for budget in (row_cost(model, "occlusion", 40), row_cost(model, "occlusion", 40) - 1):
        window = link_window(model, "occlusion", budget)
        assert row_cost(model, "occlusion", window) <= budget < row_cost(model, "occlusion", window + 1)
    assert link_window(model, "occlusion", 1.0) == MIN_WINDOW  # nothing fits: the smallest useful window


def test_coming_back_to_a_computed_word_drops_the_row_still_waiting_for_rest():
    app = make_app("lstm")

    async def scenario(pilot):
        app = pilot.app
        await go_to(pilot, 3)  # its row is computed (the cursor rested on it)
        computed = app.memory.link_cache.computed
        app.memory.links_rest = NEVER
        send_key(app, "right")  # word 4 waits for the cursor to rest...
        await until(pilot, lambda: app.cursor == 4, "the cursor reached word 4")
        assert app.memory.waiting
        send_key(app, "left")  # ...but the cursor is back on word 3 before that
        await until(pilot, lambda: app.cursor == 3, "the cursor came back to word 3")
        assert not app.memory.waiting  # word 3's row is cached: nothing waits any more
        await settle(pilot)
        assert app.memory.link_cache.computed == computed  # word 4's row was never computed
        assert np.allclose(app.sentence_bar.links_row, direct_row(app, "occlusion"), atol=1e-6)

    app.memory.instant_row = 0.0  # every row counts as costly
    drive(app, scenario)
