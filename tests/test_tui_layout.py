"""Pilot tests of the layout rules on screen: the footer's first keys, whole panels, the hidden-panel
note, the tour at 80×24, the legend's marks, unknown words and mouse clicks on the sentence."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("textual")

from textual.widgets import Static  # noqa: E402
from tui_driver import drive, press, settle  # noqa: E402

from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.screens.tour import TourScreen  # noqa: E402
from rnnviz.tui.state.layout import HEATMAP_MIN_ROWS  # noqa: E402
from rnnviz.tui.state.tour_steps import TOTAL  # noqa: E402
from rnnviz.tui.widgets.footer import KeysFooter  # noqa: E402
from rnnviz.tui.widgets.heatmap import StateHeatmap  # noqa: E402
from rnnviz.tui.widgets.sentence import SentenceBar  # noqa: E402

PANELS = "StateHeatmap, GatesPanel, Predictions, UnitInspector, LinksPanel, ScaleColumn"


def footer_text(app) -> str:
    keys = sorted(app.query_one(KeysFooter).query("FooterKey"), key=lambda k: k.region.x)
    return " ".join(" ".join(str(k.render()).split()) for k in keys if k.region.width)


def assert_whole(screen) -> None:
    """Every visible panel is on screen whole: at least its minimum, inside the screen, content shown."""
    size = screen.size
    for widget in screen.query(PANELS):
        if not all(node.display for node in widget.ancestors_with_self) or not widget.region:
            continue
        region = widget.region
        assert region.right <= size.width and region.bottom <= size.height, widget
        if isinstance(widget, StateHeatmap):
            assert region.height >= HEATMAP_MIN_ROWS, widget
        else:  # a text panel is never cut: its border and every line it has
            assert region.height >= 2 + min(1, widget.virtual_size.height), widget


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=["80x24", "100x30"])
@pytest.mark.parametrize("keys", [(), ("G",), ("g",), ("c",)], ids=["plain", "G", "g", "compare"])
def test_help_and_quit_lead_the_footer_and_panels_are_whole_or_named(size, keys):
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", *keys)
        await settle(pilot)
        shown = footer_text(app)
        assert shown.startswith("? Help q Quit"), shown
        assert_whole(app.screen)
        plan = app.layout_plan
        status = app.query_one("#status", Static)
        for name in ("gates", "inspector"):
            panel = app.panels[0].inspector if name == "inspector" else app.panels[0].gates
            if not panel.display:
                assert name in plan.hidden and name in str(status.render())

    drive(make_app(), scenario, size=size)


def test_80x24_names_the_hidden_inspector_and_shows_twelve_words():
    async def scenario(pilot):
        app = pilot.app
        status = str(app.query_one("#status", Static).render())
        assert "inspector hidden — make it" in status
        assert "gates hidden — widen to 100 columns" in status
        heatmap = app.panels[0].hidden_map
        cells = heatmap.scrollable_content_region.width - heatmap.gutter_width
        assert cells >= 11 * heatmap.COLUMN_WIDTH + 1 + len("it")  # "cat" (2nd word) and "it" (12th) together

    drive(make_app(), scenario, size=(80, 24))


def test_20x8_lays_out_a_heatmap_and_the_footer_instead_of_refusing():
    async def scenario(pilot):
        app = pilot.app
        assert not app.screen.has_class("-too-small")
        assert footer_text(app).startswith("? Help")
        assert app.query_one("#status", Static).display
        assert_whole(app.screen)

    drive(make_app(), scenario, size=(20, 8))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_the_tour_lays_out_its_six_steps_whole(size):
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "t")
        screen = app.screen
        assert isinstance(screen, TourScreen)
        for _ in range(600):
            if len(screen.steps) == TOTAL:
                break
            await pilot.pause(0.05)
        for _ in range(TOTAL):
            await settle(pilot)
            assert_whole(screen)
            text = screen.query_one("#tour-text")
            # The explanation is whole (no scrollbar); at 80×24 the gradient-flow steps' plots (12–15
            # rows of three models' curves) still leave it too little room: it scrolls there.
            if size[1] >= 40 or not screen.current.flow:
                assert text.virtual_size.height <= text.scrollable_content_region.height
            await press(pilot, "right")

    drive(make_app(), scenario, size=size)


def test_a_click_on_a_word_of_the_sentence_moves_the_cursor():
    async def scenario(pilot):
        app = pilot.app
        bar = app.query_one(SentenceBar)
        bar.render()
        start = next(s for s, _, t in bar._spans if t == 7)  # the first "it"
        await pilot.click(bar, offset=(bar.styles.padding.left + 1 + start, 1))  # border, padding
        await settle(pilot)
        assert app.cursor == 7

    drive(make_app(), scenario)


def test_the_cursor_stays_distinct_when_every_word_is_tinted():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "end")
        bar = app.query_one(SentenceBar)
        bar.links_row = np.ones(len(app.tokens))  # every earlier word tinted at full strength
        text = bar.render()
        cursor = f"[{app.tokens[-1]}]"
        assert cursor in text.plain  # brackets, not a color only
        at = text.plain.index(cursor)
        cursor_styles = [s.style for s in text.spans if s.start <= at < s.end]
        assert any(style.reverse for style in cursor_styles)
        tinted = [s.style for s in text.spans if s.end <= at]
        assert tinted and all(style.bgcolor is not None and not style.reverse for style in tinted)

    drive(make_app(), scenario)


def test_unknown_words_are_underlined_and_named_in_the_inspector():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right")
        assert app.view.unknown == frozenset({1})
        text = app.query_one(SentenceBar).render()
        at = text.plain.index("[zorblax]")
        styles = [s.style for s in text.spans if s.start <= at < s.end]
        assert any(style.underline for style in styles)
        assert "<unk>" in str(app.panels[0].inspector.border_title)

    drive(make_app(text="the zorblax sat on the mat"), scenario)


def test_the_legend_names_each_scale_and_help_shows_it_all():
    async def scenario(pilot):
        app = pilot.app
        legend = " ".join(line.plain for line in app.query_one("Legend").entries)
        assert "h −1" in legend and "c ±" in legend  # the state scale with its ranges
        assert "σ in/fgt/out 0" in legend and "g: −…+ like h" in legend  # gates 0–1, tanh on the state scale
        assert "cursor" in legend and "link tint" in legend and "<unk>" in legend
        await press(pilot, "G")
        assert "scatter •" in " ".join(line.plain for line in app.query_one("Legend").entries)
        await press(pilot, "question_mark")
        shown = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        assert "scatter •" in shown and "link tint" in shown

    drive(make_app(), scenario, size=(100, 30))
