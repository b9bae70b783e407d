"""Pilot tests: every key of the app, checking the state it changed (cursor, unit, model, order, text,
focus), and the robustness promises (markup shown literally, tiny terminals, 100,000 words)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

pytest.importorskip("textual")

from textual import events  # noqa: E402
from textual.app import App  # noqa: E402
from tui_driver import drive, palette_offers, press, settle, until  # noqa: E402

from rnnviz import DEMO_SENTENCE  # noqa: E402
from rnnviz.render.colors import DIVERGING, diverging_index  # noqa: E402
from rnnviz.tui.app import ACTIONS, RnnvizApp, make_app  # noqa: E402
from rnnviz.tui.commands import ActionCommands  # noqa: E402
from rnnviz.tui.screens.edit import EditScreen  # noqa: E402
from rnnviz.tui.screens.help import HelpScreen  # noqa: E402
from rnnviz.tui.state import modelview  # noqa: E402
from rnnviz.tui.widgets.heatmap import StateHeatmap  # noqa: E402
from rnnviz.tui.widgets.sentence import SentenceBar  # noqa: E402

DEMO_TOKENS = DEMO_SENTENCE.split()


def screen_text(app: RnnvizApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def hidden_map(app: RnnvizApp, panel: int = 0) -> StateHeatmap:
    return app.panels[panel].hidden_map


def test_app_opens_on_the_first_word_of_the_demo_sentence_with_the_lstm():
    async def scenario(pilot):
        app = pilot.app
        assert app.cursor == 0
        assert app.tokens == DEMO_TOKENS
        assert app.view.model.cell == "lstm"
        assert app.panels[0].cell_map.display  # the LSTM's cell state heatmap
        assert len(app.panels) == 1
        assert isinstance(app.focused, StateHeatmap)
        assert "the cat sat" in screen_text(app)

    drive(make_app(), scenario)


def test_arrows_home_and_end_move_the_cursor_in_every_panel():
    async def scenario(pilot):
        app = pilot.app
        last = len(DEMO_TOKENS) - 1
        seen = []
        for keys, expected in [
            (("right", "right", "right"), 3),
            (("left",), 2),
            (("end",), last),
            (("right",), last),  # stays on the last word
            (("home",), 0),
            (("left",), 0),  # stays on the first word
        ]:
            await press(pilot, *keys)
            seen.append(app.cursor)
            assert app.cursor == expected
            assert app.query_one(SentenceBar).cursor == expected
            panel = app.panels[0]
            assert [h.cursor for h in panel.heatmaps] == [expected, expected]  # hidden and cell state
            assert panel.gates.step == expected
            assert panel.predictions.step == expected
            assert panel.inspector.step == expected
        assert seen == [3, 2, last, last, 0, 0]

    drive(make_app(), scenario)


def test_up_and_down_select_units_in_the_shown_order():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "down", "down")
        assert app.selected_unit == 2
        await press(pilot, "up")
        assert app.selected_unit == 1
        await press(pilot, "up", "up")
        assert app.selected_unit == 0  # stays on the first unit
        assert hidden_map(app).selected == 0
        await press(pilot, "right", "s")  # sorted by |h| at the cursor: down walks that order
        order = list(hidden_map(app).order)
        start = order.index(app.selected_unit)
        await press(pilot, "down")
        assert app.selected_unit == order[start + 1]
        assert app.panels[0].inspector.unit == app.selected_unit

    drive(make_app(), scenario)


def test_sort_key_cycles_the_unit_orders():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", "right")
        assert app.sort_mode.name == "index"
        assert np.array_equal(hidden_map(app).order, np.arange(app.view.units))
        await press(pilot, "s")
        assert app.sort_mode.name == "|h| at cursor"
        for t in (2, 3):
            magnitudes = np.abs(app.view.hidden[t])[hidden_map(app).order]
            assert np.all(np.diff(magnitudes) <= 0), "largest |h| at the cursor first"
            assert np.array_equal(app.panels[0].gates.order, hidden_map(app).order)
            await press(pilot, "right")  # the order follows the cursor
        await press(pilot, "s")
        assert app.sort_mode.name == "by memory (probe)"  # tested in test_tui_links.py
        await press(pilot, "s")
        assert app.sort_mode.name == "by effect at cursor"  # tested in test_tui_causal.py
        await press(pilot, "s")
        assert app.sort_mode.name == "index"
        assert np.array_equal(hidden_map(app).order, np.arange(app.view.units))

    drive(make_app(), scenario)


def test_model_key_cycles_the_bundled_models_and_keeps_the_sentence_and_cursor():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", "right")
        cells = []
        for _ in range(3):
            await press(pilot, "m")
            cells.append(app.view.model.cell)
            assert app.tokens == DEMO_TOKENS
            assert app.cursor == 2
            assert app.panels[0].cell_map.display == (app.view.model.cell == "lstm")
            assert app.panels[0].gates.view is app.view
        assert sorted(cells) == ["gru", "lstm", "rnn"]
        assert cells[-1] == "lstm"  # back where it started

    drive(make_app(), scenario)


def test_compare_key_stacks_a_second_model_on_the_same_sentence_and_removes_it():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "c")
        assert app.compare_mode
        assert [p.view.model.cell for p in app.panels] == ["lstm", "rnn"]
        assert all(p.view.tokens == DEMO_TOKENS for p in app.panels)
        await press(pilot, "right")
        assert [hidden_map(app, k).cursor for k in (0, 1)] == [1, 1]
        await press(pilot, "m")  # switching the first model keeps the comparison
        assert app.compare_mode and app.panels[0].view.model.cell != "lstm"
        await press(pilot, "c")
        assert not app.compare_mode
        assert len(app.panels) == 1

    drive(make_app(), scenario)


def test_compare_argument_opens_in_compare_mode():
    async def scenario(pilot):
        assert pilot.app.compare_mode
        assert [p.view.model.cell for p in pilot.app.panels] == ["rnn", "gru"]

    drive(make_app("rnn", compare="gru"), scenario)


def test_tab_moves_focus_through_the_scrollable_panels_and_shift_tab_back():
    async def scenario(pilot):
        app = pilot.app
        panel = app.panels[0]
        expected = [panel.hidden_map, panel.gates, panel.cell_map]
        visited = [app.focused]
        for _ in range(2):
            await press(pilot, "tab")
            visited.append(app.focused)
        assert visited == expected
        await press(pilot, "tab")
        assert app.focused is expected[0]  # round the loop
        await press(pilot, "shift+tab")
        assert app.focused is expected[2]
        await press(pilot, "c", "tab", "tab")  # compare mode: the second panel joins the loop
        assert app.focused is app.panels[1].hidden_map

    drive(make_app(), scenario)


def test_edit_key_reruns_the_model_on_typed_text_and_letters_reach_the_input():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", "e")
        assert isinstance(app.screen, EditScreen)
        field = app.screen.query_one("#edit-input")
        assert field.value == DEMO_SENTENCE
        field.value = ""
        # Letters that are also app keys (e, m, c, s, q) must type, not act.
        await press(pilot, *"the cat sat on the mess", "left", "up")
        assert field.value == "the cat sat on the mess"
        assert not app.compare_mode and app.sort_mode.name == "index" and app.cursor == 1
        await press(pilot, "enter")
        assert not isinstance(app.screen, EditScreen)
        assert app.text == "the cat sat on the mess"
        assert app.tokens == ["the", "cat", "sat", "on", "the", "mess"]
        assert app.cursor == 0
        assert len(app.view.trace) == 6
        assert hidden_map(app).steps == 6

    drive(make_app(), scenario)


def test_edit_refuses_empty_and_too_long_text_with_a_notification_and_keeps_it(monkeypatch):
    monkeypatch.setattr(modelview, "MAX_CHARS", 80)

    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "e")
        field = app.screen.query_one("#edit-input")
        for typed, problem in [("   ", "empty"), ("the cat " * 12, "limit")]:
            field.value = typed
            await press(pilot, "enter")
            assert isinstance(app.screen, EditScreen), "the dialog stays open"
            assert field.value == typed, "nothing typed is lost"
            messages = [n.message for n in app._notifications]
            assert any(problem in m and "\n" not in m for m in messages)
        await press(pilot, "escape")
        assert not isinstance(app.screen, EditScreen)
        assert app.text == DEMO_SENTENCE

    drive(make_app(), scenario)


def test_help_key_lists_every_key_and_closes():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        for action in ACTIONS:
            assert action.help in shown
        await press(pilot, "right")  # keys of the main screen do nothing under the help
        assert app.cursor == 0
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)

    drive(make_app(), scenario)


def test_footer_lists_the_keys():
    async def scenario(pilot):
        shown = screen_text(pilot.app).splitlines()[-1]
        for title in ("Edit", "Model", "Compare", "Sort", "Help", "Quit", "Panel", "word", "unit"):
            assert title in shown

    drive(make_app(), scenario, size=(160, 40))


def test_quit_key_ends_the_app_with_code_0():
    async def scenario(pilot):
        await pilot.press("q")

    app = drive(make_app(), scenario)
    assert app.return_code == 0


def test_command_palette_offers_every_action_and_runs_them():
    async def scenario(pilot):
        app = pilot.app
        provider = ActionCommands(app.screen)
        titles = [hit.text async for hit in provider.discover()]
        assert titles == [a.title for a in ACTIONS]
        await press(pilot, "ctrl+p")
        await press(pilot, *"compare")
        await until(pilot, lambda: palette_offers(app, "Compare"), "the palette offered Compare")
        await press(pilot, "enter")
        assert app.compare_mode
        await press(pilot, "ctrl+p", *"next word")
        await until(pilot, lambda: palette_offers(app, "Next word"), "the palette offered Next word")
        await press(pilot, "enter")
        assert app.cursor == 1

    drive(make_app(), scenario)


def test_markup_and_escape_sequences_in_user_text_show_literally():
    text = "[bold]cat[/bold] \x1b[31m sat [link=x]"

    async def scenario(pilot):
        app = pilot.app
        shown = screen_text(app)
        assert "\x1b" not in shown
        assert "\\x1b" in shown
        sentence = app.query_one(SentenceBar).render()
        # The cursor word is drawn in brackets: "[" becomes "[[]".
        assert sentence.plain.startswith("[[] bold ] cat [ / bold ] \\x1b [ 31m sat [ link = x ]")
        assert not any("bold" in str(span.style) for span in sentence.spans[1:])  # only the cursor styled
        await press(pilot, "end")
        assert "gates at “]”" in screen_text(app)

    drive(make_app(text=text), scenario)


def test_a_small_terminal_shows_make_the_window_larger_and_keys_still_work():
    async def scenario(pilot):
        app = pilot.app
        assert "make the window" in screen_text(app)
        await press(pilot, "right")
        assert app.cursor == 1
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert "make the window" not in screen_text(app)
        assert "the cat sat" in screen_text(app)

    drive(make_app(), scenario, size=(19, 7))  # below 20×8, the smallest size the layout rules lay out


def test_a_100000_word_text_opens_and_steps():
    words = (DEMO_SENTENCE + " ") * (100_000 // len(DEMO_TOKENS) + 1)
    tokens = words.split()[:100_000]

    async def scenario(pilot):
        app = pilot.app
        assert len(app.tokens) == 100_000
        await press(pilot, "end", "left", "left")
        assert app.cursor == 99_997
        bar = app.query_one(SentenceBar)
        rendered = bar.render().plain
        assert rendered.startswith("… ") and len(rendered) <= bar.size.width
        assert "99,998 of 100,000" in screen_text(app)
        heatmap = hidden_map(app)
        assert heatmap.scroll_x > 0  # scrolled to keep the cursor column in view
        await press(pilot, "home", "right")
        assert app.cursor == 1 and heatmap.scroll_x == 0

    drive(make_app("rnn", text=tokens), scenario)


def test_heatmap_draws_each_unit_in_its_half_of_the_cell_and_fades_unread_words():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", "right", "right")  # cursor on word 3
        heatmap = hidden_map(app)
        levels = diverging_index(app.view.hidden, app.view.hidden_scale)
        strip = heatmap.render_line(1)  # first unit row: units 0 (upper) and 1 (lower)
        blocks = [seg for seg in strip if seg.text == "▀▀▀"]
        assert len(blocks) == len(DEMO_TOKENS)
        for t, seg in enumerate(blocks[:4]):
            assert seg.style.color.triplet.hex == DIVERGING[levels[t, 0]]
            assert seg.style.bgcolor.triplet.hex == DIVERGING[levels[t, 1]]
        same_level = [t for t in range(4, len(DEMO_TOKENS)) if levels[t, 0] != 16]
        for t in same_level:
            assert blocks[t].style.color.triplet.hex != DIVERGING[levels[t, 0]], "after the cursor: faded"
        assert "▕" in strip.text and "▏" in strip.text

    drive(make_app(), scenario)


def test_heatmap_line_cache_is_hit_on_repaints_and_missed_on_changes():
    async def scenario(pilot):
        app = pilot.app
        heatmap = hidden_map(app)
        cache = heatmap.line_cache
        heatmap.refresh()
        await pilot.pause()
        hits, misses = cache.hits, cache.misses
        heatmap.refresh()  # nothing changed: every line comes from the cache
        await pilot.pause()
        assert cache.hits - hits >= heatmap.scrollable_content_region.height - 1
        assert cache.misses == misses
        await press(pilot, "right")  # the cursor is in every line's key
        assert cache.misses - misses >= heatmap.scrollable_content_region.height - 1
        hits = cache.hits
        await press(pilot, "left")  # back where it was: those lines are still cached
        assert cache.hits - hits >= heatmap.scrollable_content_region.height - 1

    drive(make_app(), scenario)


def test_a_click_picks_a_word_and_a_unit():
    async def scenario(pilot):
        app = pilot.app
        heatmap = hidden_map(app)
        x = heatmap.gutter_width + 5 * heatmap.COLUMN_WIDTH + 2  # inside word 5's column
        await pilot.click(heatmap, offset=(x + 1, 1 + 3))  # +1: the border; row 3 holds units 4 and 5
        await settle(pilot)
        assert app.cursor == 5
        assert app.selected_unit == 4
        await pilot.click(heatmap, offset=(x + 1, 1 + 3))  # again: the lower unit of the row
        await settle(pilot)
        assert app.selected_unit == 5

    drive(make_app(), scenario)


def test_links_row_tints_earlier_words_only_when_set():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "end")
        bar = app.query_one(SentenceBar)
        bar.links_row = None  # the app tints by memory links on its own; here the hook is driven by hand
        untinted = bar.render()
        row = np.zeros(len(DEMO_TOKENS))
        row[1] = 1.0  # "cat"
        row[7] = 0.5  # "it"
        bar.links_row = row
        tinted = bar.render()
        backgrounds = {
            tinted.plain[span.start : span.end]: span.style.bgcolor
            for span in tinted.spans
            if span.style.bgcolor
        }
        assert backgrounds.get("cat") is not None and backgrounds.get("it") is not None
        assert backgrounds["cat"] != backgrounds["it"]  # stronger link, stronger tint
        assert "the" not in backgrounds and "sat" not in backgrounds
        bar.links_row = None
        assert bar.render().spans == untinted.spans

    drive(make_app(), scenario)


def test_theme_change_redraws_with_the_new_background():
    async def scenario(pilot):
        app = pilot.app
        heatmap = hidden_map(app)
        before = heatmap.render_line(1)
        app.theme = "textual-light"
        await settle(pilot)
        after = heatmap.render_line(1)
        gap_before = next(seg for seg in before if seg.text == " " and seg.style.bgcolor)
        gap_after = next(seg for seg in after if seg.text == " " and seg.style.bgcolor)
        assert gap_before.style.bgcolor != gap_after.style.bgcolor

    drive(make_app(), scenario)


class HeatmapOnly(App):
    """A bare heatmap of synthetic values: tests its scrolling at a size no model needs to run for."""

    CSS = "StateHeatmap { width: 1fr; height: 1fr; }"

    def __init__(self, values: np.ndarray):
        super().__init__()
        self.values = values

    def compose(self):
        yield StateHeatmap()

    def on_mount(self) -> None:
        heatmap = self.query_one(StateHeatmap)
        heatmap.show(self.values, [f"{t:03d}" for t in range(len(self.values))], 1.0)
        heatmap.focus()


def test_a_1024_unit_1000_word_heatmap_scrolls_to_its_last_unit_and_word():
    values = np.random.default_rng(0).uniform(-1, 1, (1000, 1024)).astype(np.float32)

    async def scenario(pilot):
        heatmap = pilot.app.query_one(StateHeatmap)
        assert heatmap.virtual_size.height == 1 + 512
        heatmap.cursor = 999
        heatmap.reveal_cursor()
        await pilot.pause()
        assert heatmap.scroll_x == heatmap.max_scroll_x > 3000
        assert heatmap.render_line(0).text.rstrip().endswith("998 999")
        await pilot.press("pagedown")
        assert heatmap.scroll_y == heatmap.scrollable_content_region.height - 1
        heatmap.selected = 1023
        heatmap.reveal_unit(1023)
        await pilot.pause()
        bottom = heatmap.render_line(heatmap.scrollable_content_region.height - 1).text
        assert bottom.startswith("▸1022 1023")
        await pilot.press("shift+left")
        assert heatmap.scroll_x == heatmap.max_scroll_x - 4 * heatmap.COLUMN_WIDTH
        top = heatmap.scroll_y
        heatmap.post_message(events.MouseScrollUp(heatmap, 5, 5, 0, -1, 0, False, False, False))  # the wheel
        await pilot.pause()
        assert heatmap.scroll_y < top

    async def main():
        async with HeatmapOnly(values).run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await scenario(pilot)

    asyncio.run(main())


def test_a_crash_inside_the_app_exits_non_zero(monkeypatch, capsys):
    from rnnviz import cli
    from rnnviz.cli import view as launch
    from rnnviz.tui import app as app_module

    monkeypatch.setattr(launch, "has_terminal", lambda: True)  # pytest's stdin is not a terminal

    class CrashingApp(RnnvizApp):
        def on_mount(self) -> None:
            raise RuntimeError("boom")

        def run(self, **kwargs):  # type: ignore[override]
            return super().run(headless=True, size=(80, 24))

    real_make_app = app_module.make_app

    def crashing_make_app(*args, **kwargs):
        app = real_make_app(*args, **kwargs)
        app.__class__ = CrashingApp
        return app

    monkeypatch.setattr(app_module, "make_app", crashing_make_app)
    assert cli.main(["--text", "the cat sat ."]) == 1


def test_bad_arguments_give_one_line_errors_before_the_app_starts(capsys):
    from rnnviz import cli

    assert cli.main(["no-such-file.safetensors"]) == 2
    assert cli.main(["--text", "   "]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "empty" in err
    assert "Traceback" not in err


def test_a_model_file_with_an_odd_number_of_units_and_two_layers(tmp_path):
    from conftest import random_model

    import rnnviz

    path = tmp_path / "odd.safetensors"
    rnnviz.save(random_model("gru", layers=2, hidden=13, vocab=20, seed=5), path)

    async def scenario(pilot):
        app = pilot.app
        heatmap = hidden_map(app)
        assert heatmap.rows == 7 and app.view.layer == 0
        assert "layer 1 of 2" in app.query_one("#title").detail
        last_row = heatmap.render_line(7).text  # units 12 and none
        assert "12" in last_row and "▀▀▀" in last_row
        await press(pilot, "end", "s", "up", "down", "down")
        assert 0 <= app.selected_unit < 13
        await press(pilot, "m")  # on to a bundled model: 64 units, the top layer
        assert app.view.units == 64 and app.view.model.num_layers == 1
        assert 0 <= app.selected_unit < 64

    drive(make_app(str(path), text="the cat sat on the mat .", layer=0), scenario)


def test_stacked_heatmaps_scroll_their_words_together():
    words = (DEMO_SENTENCE + " ") * 4

    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "end")
        scrolls = [h.scroll_x for panel in app.panels for h in panel.heatmaps]
        assert scrolls[0] > 0 and len(set(scrolls)) == 1, scrolls  # hidden and cell state
        await press(pilot, "c", "home", "end")
        scrolls = [h.scroll_x for panel in app.panels for h in panel.heatmaps]
        assert len(scrolls) == 2 and scrolls[0] > 0 and len(set(scrolls)) == 1, scrolls  # two models

    drive(make_app(text=words), scenario)
