"""The layout rule table (rnnviz.tui.state.layout): every size from 20×8 up, with g/G/compare on."""

from __future__ import annotations

import re

import pytest

from rnnviz.tui.state.layout import (
    FOOTER_ROWS,
    GATES_WIDTH,
    HEATMAP_MIN_ROWS,
    HEATMAP_MIN_WIDTH,
    NAMES,
    PREDICTION_ROWS,
    READABLE_ROWS,
    SIDE_WIDTH,
    STORY_MIN_ROWS,
    PanelWanted,
    ScreenWanted,
    inspector_rows,
    plan_panel,
    plan_screen,
)

SIZES = [(20, 8), (40, 12), (80, 24), (100, 30), (120, 40)]
MODES = {
    "lstm": ScreenWanted(legend_lines=2),
    "rnn": ScreenWanted(panel=PanelWanted(cell=False, gates=1), legend_lines=2),
    "compare": ScreenWanted(models=2, legend_lines=2),
    "g": ScreenWanted(story_rows=10, legend_lines=3),
    "G": ScreenWanted(story_rows=18, legend_lines=3),
    "silencing": ScreenWanted(panel=PanelWanted(ablation=True), legend_lines=2),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("mode", MODES)
def test_every_part_fits_whole_and_the_rows_add_up(size, mode):
    width, height = size
    wanted = MODES[mode]
    plan = plan_screen(width, height, wanted)
    rows = plan.rows
    assert rows["footer"] == FOOTER_ROWS  # the footer (with ? and q) is never given away
    models = 1 if "compare" in plan.hidden else wanted.models
    assert sum(rows.values()) - rows["panels"] + models * rows["panels"] == height
    panel = plan.panel
    assert panel.hidden_rows >= HEATMAP_MIN_ROWS
    assert panel.cell_rows == 0 or panel.cell_rows >= HEATMAP_MIN_ROWS
    assert rows.get("story", STORY_MIN_ROWS) >= STORY_MIN_ROWS
    side = panel.side
    assert sum(side.values()) <= rows["panels"]
    if "predictions" in side:
        assert PREDICTION_ROWS[0] <= side["predictions"] <= PREDICTION_ROWS[1]
    if "inspector" in side:
        assert side["inspector"] == inspector_rows(wanted.panel.gates)
    heatmap_width = width - panel.side_width - (GATES_WIDTH if panel.gates else 0)
    assert heatmap_width >= min(width, HEATMAP_MIN_WIDTH)
    assert not panel.side_width or SIDE_WIDTH[0] <= panel.side_width <= SIDE_WIDTH[1]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("mode", MODES)
def test_a_hidden_part_is_named_in_the_status_line_with_a_size_that_shows_it(size, mode):
    width, height = size
    wanted = MODES[mode]
    plan = plan_screen(width, height, wanted)
    assert bool(plan.hidden) == ("status" in plan.rows) == bool(plan.note)
    for name in plan.hidden:
        assert f"{NAMES[name]}" in plan.note
    assert len(plan.short_note) <= width or plan.short_note.startswith("hidden: ")
    # Every suggestion in the note really shows what it names.
    for part in plan.note.split(" · ") if plan.note else []:
        names, how = part.split(" hidden — ")
        if match := re.fullmatch(r"widen to (\d+) columns", how):
            bigger = plan_screen(int(match[1]), height, wanted)
        elif match := re.fullmatch(r"make it (\d+) rows tall", how):
            bigger = plan_screen(width, int(match[1]), wanted)
        else:
            match = re.fullmatch(r"enlarge to (\d+)×(\d+)", how)
            assert match, how
            bigger = plan_screen(int(match[1]), int(match[2]), wanted)
        for name in names.split(", "):
            key = next(k for k, v in NAMES.items() if v == name)
            assert key not in bigger.hidden


def test_120x40_shows_everything_for_one_model():
    plan = plan_screen(120, 40, MODES["lstm"])
    assert plan.hidden == () and plan.note == ""
    assert plan.panel.gates and plan.panel.cell_rows
    assert list(plan.panel.side) == ["predictions", "links", "inspector"]


def test_80x24_keeps_twelve_words_of_heatmap_and_names_the_gates_and_inspector():
    plan = plan_screen(80, 24, MODES["lstm"])
    assert plan.panel.side_width == SIDE_WIDTH[0]
    assert 80 - plan.panel.side_width >= HEATMAP_MIN_WIDTH  # "cat" … second "it": 12 words
    assert plan.hidden == ("gates", "inspector")
    assert plan.note == "gates hidden — widen to 100 columns · inspector hidden — make it 28 rows tall"


def test_100x30_with_G_keeps_the_heatmaps_readable_and_the_story_gives_way():
    plan = plan_screen(100, 30, MODES["G"])
    assert plan.panel.hidden_rows >= READABLE_ROWS and plan.panel.cell_rows >= READABLE_ROWS
    assert STORY_MIN_ROWS <= plan.rows["story"] < MODES["G"].story_rows
    assert "story" not in plan.hidden


def test_20x8_shows_a_heatmap_the_footer_and_the_note():
    plan = plan_screen(20, 8, MODES["lstm"])
    assert plan.rows["footer"] == 1 and plan.rows["status"] == 1
    assert plan.panel.hidden_rows >= HEATMAP_MIN_ROWS
    assert "sentence" in plan.hidden
    assert plan.short_note.startswith("hidden: sentence")


def test_compare_too_short_for_two_heatmaps_shows_one_and_says_so():
    plan = plan_screen(40, 8, MODES["compare"])
    assert "compare" in plan.hidden and "second model" in plan.note


def test_the_side_column_hides_whole_panels_in_priority_order():
    wanted = PanelWanted(gates=4)
    assert list(plan_panel(120, 30, wanted).side) == ["predictions", "links", "inspector"]
    assert list(plan_panel(120, 12, wanted).side) == ["predictions", "links"]
    assert list(plan_panel(120, 5, wanted).side) == ["predictions"]
    assert plan_panel(120, 5, wanted).hidden == ("cell", "links", "inspector")
    assert plan_panel(60, 30, wanted).side_width == 0
