"""The text view for long text: the wrapped pane (visible whitespace), moves by character, word and
line, the tint by one unit, one heatmap cell per character, and the "by property" unit order."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("textual")

from rich.color import Color as RichColor  # noqa: E402
from synthetic_cells import QUOTE_UNIT, synthetic_model, synthetic_source  # noqa: E402
from tui_driver import drive, press, settle  # noqa: E402

from rnnviz import DEMO_SENTENCE, Model  # noqa: E402
from rnnviz.bench.models import random_model  # noqa: E402
from rnnviz.render.colors import DIVERGING, diverging_index  # noqa: E402
from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.state.propertysort import by_property  # noqa: E402
from rnnviz.tui.state.textlayout import TextLayout  # noqa: E402
from rnnviz.tui.widgets.textpane import LEGEND_ROWS, TextPane  # noqa: E402

TEXT = 'x = "ab c"\nyy = 22\nname = "q"\n'


def char_model(text: str, hidden: int = 16, seed: int = 0) -> Model:
    """A random character LSTM that reads every character of `text`."""
    vocab = ["<unk>", *sorted(set(text))]
    words = random_model("lstm", hidden, 8, len(vocab), vocab=vocab, seed=seed)
    return Model(words.weights, "lstm", vocab, tokenizer="chars")


def pane_lines(app) -> list[str]:
    pane = app.query_one(TextPane)
    return [pane.render_line(y).text for y in range(pane.scrollable_content_region.height)]


# -- layout (no app) ---------------------------------------------------------------------------
def test_layout_draws_whitespace_visibly_and_a_newline_ends_its_line():
    layout = TextLayout.build(list("ab c\nde"), width=80, chars=True)
    assert layout.glyphs == ("a", "b", "·", "c", "⏎", "d", "e")
    assert layout.lines == 2
    assert list(layout.line_tokens(0)) == [0, 1, 2, 3, 4]
    assert list(layout.line_tokens(1)) == [5, 6]


def test_layout_wraps_characters_at_the_width_and_words_between_tokens():
    chars = TextLayout.build(list("abcdefg"), width=3, chars=True)
    assert [list(chars.line_tokens(k)) for k in range(chars.lines)] == [[0, 1, 2], [3, 4, 5], [6]]
    words = TextLayout.build(["the", "cat", "sat"], width=8, chars=False)  # "the cat " fits, "sat" wraps
    assert words.starts.tolist() == [0, 2, 3]
    assert words.columns.tolist() == [0, 4, 0]


def test_moves_by_word_and_line_land_on_word_starts_and_the_same_column():
    layout = TextLayout.build(list(TEXT), width=80, chars=True)
    assert layout.move_word(0, 1) == TEXT.index("ab")  # past " = \""
    assert layout.move_word(TEXT.index("ab"), 1) == TEXT.index('c"')
    assert layout.move_word(TEXT.index('c"'), -1) == TEXT.index("ab")
    assert layout.move_word(0, -1) == 0
    assert layout.move_line(2, 1) == TEXT.index("yy") + 2  # column 2 of the next line
    assert layout.move_line(TEXT.index('"ab') + 5, 1) == TEXT.index("22\n") + 2  # past its end: its ⏎
    assert layout.move_line(TEXT.index("yy") + 1, -1) == 1
    assert layout.move_line(len(TEXT) - 1, 1) == len(TEXT) - 1


# -- the app -----------------------------------------------------------------------------------
def test_a_character_model_shows_the_text_pane_with_visible_whitespace():
    async def scenario(pilot):
        app = pilot.app
        assert app.sentence_bar is app.query_one(TextPane)
        assert not app.query_one("#sentence").display
        lines = pane_lines(app)[LEGEND_ROWS:]
        assert lines[0].startswith('x·=·"ab·c"⏎')
        assert lines[1].startswith("yy·=·22⏎")
        assert "character 1 of" in str(app.sentence_bar.border_title)

    drive(make_app(char_model(TEXT), TEXT), scenario)


def test_the_pane_wraps_a_long_line_to_its_width():
    text = "abcdefghij" * 30  # 300 characters, no newline
    app = make_app(char_model(text), text, size=(80, 40))

    async def scenario(pilot):
        pane = pilot.app.query_one(TextPane)
        width = pane.scrollable_content_region.width
        lines = pane_lines(pilot.app)[LEGEND_ROWS:]
        assert lines[0] == text[:width]
        assert lines[1].startswith(text[width : 2 * width])
        assert pane.layout.lines == -(-len(text) // width)

    drive(app, scenario)


def test_cursor_moves_by_character_word_and_line():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "right", "right")
        assert app.cursor == 2
        await press(pilot, "ctrl+right")
        assert app.cursor == TEXT.index("ab")
        await press(pilot, "ctrl+right")
        assert app.cursor == TEXT.index('c"')
        await press(pilot, "ctrl+left")
        assert app.cursor == TEXT.index("ab")
        await press(pilot, "ctrl+down")
        assert app.cursor == TEXT.index("yy") + TEXT.index("ab")  # same column, next line
        await press(pilot, "ctrl+up", "ctrl+up")
        assert app.cursor == 0  # up from the first line: the start
        assert app.query_one(TextPane).cursor == app.cursor

    drive(make_app(char_model(TEXT), TEXT), scenario)


def test_tint_by_unit_colours_each_character_by_that_units_value():
    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "down", "down", "down")  # unit 3
        await press(pilot, "u")
        pane = app.query_one(TextPane)
        assert pane.tinted
        unit = app.selected_unit
        assert unit == 3
        assert "text tint: unit 3 h" in pane.render_line(0).text
        values = app.view.hidden[:, unit]
        expected = diverging_index(values, app.view.hidden_scale)
        layout = pane.layout
        checked = 0
        for line in range(2):
            strip = pane.render_line(LEGEND_ROWS + line)
            t = layout.line_tokens(line).start
            for segment in strip:
                for _ in segment.text:
                    if t in layout.line_tokens(line) and t != app.cursor:
                        assert segment.style.bgcolor == RichColor.parse(DIVERGING[expected[t]])
                        checked += 1
                    t += 1
        assert checked > 10
        await press(pilot, "u")  # the cell state c of the same unit
        assert "unit 3 c" in pane.render_line(0).text
        await press(pilot, "u")
        assert not pane.tinted

    drive(make_app(char_model(TEXT), TEXT), scenario)


def test_moving_the_cursor_inside_a_line_redraws_only_the_lines_that_change():
    text = "".join(f"line {k} of the text\n" for k in range(20))

    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "ctrl+down", "ctrl+down")  # the cursor on line 2
        pane = app.query_one(TextPane)
        rows = pane.scrollable_content_region.height

        def redrawn_after(step) -> int:
            for y in range(rows):
                pane.render_line(y)
            misses = pane.line_cache.misses
            step()
            for y in range(rows):
                pane.render_line(y)
            return pane.line_cache.misses - misses

        def right() -> None:
            app.cursor += 1

        # The links tint of the new cursor recolors the lines read so far (0, 1 and 2), nothing else.
        assert redrawn_after(right) == 3
        app.text_view.next_tint()  # tinted by a unit: only the cursor's own line changes
        assert redrawn_after(right) == 1

    drive(make_app(char_model(text), text), scenario)


def test_heatmap_columns_are_one_cell_per_character_for_a_character_model():
    async def scenario(pilot):
        app = pilot.app
        for heatmap in app.panels[0].heatmaps:
            assert heatmap.column_width == 1
            assert heatmap.virtual_size.width == heatmap.gutter_width + len(TEXT) + 1
            header = heatmap.render_line(0).text[heatmap.gutter_width :]
            assert header.startswith('x·=·"ab·c"⏎yy')

    drive(make_app(char_model(TEXT), TEXT), scenario)


def test_word_models_keep_the_sentence_bar_and_four_cell_columns():
    async def scenario(pilot):
        app = pilot.app
        assert not app.query_one(TextPane).display
        assert app.panels[0].hidden_map.column_width == 4
        await press(pilot, "v")  # the pane on request, words separated by spaces
        assert app.sentence_bar is app.query_one(TextPane)
        assert pane_lines(app)[LEGEND_ROWS].startswith("the cat sat on the mat")
        for _ in range(4):
            await press(pilot, "s")
            assert app.sort_mode.order is not by_property  # "by property" reads characters

    drive(make_app("lstm"), scenario)


def test_by_property_orders_the_quote_unit_first_for_in_string():
    source = synthetic_source(120)

    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "p")  # the next property after in_string, and the "by property" order
        await press(pilot, *["p"] * 5)  # round again to in_string
        assert app.text_view.property == "in_string"
        assert app.sort_mode.order is by_property
        assert int(app.unit_order()[0]) == QUOTE_UNIT
        assert "in_string: unit 0 best" in app.sub_title

    drive(make_app(synthetic_model(source), source), scenario)


def test_s_reaches_by_property_for_a_character_model():
    source = synthetic_source(60)

    async def scenario(pilot):
        app = pilot.app
        seen = []
        for _ in range(4):
            await press(pilot, "s")
            seen.append(app.sort_mode.name)
        assert "by property" in seen

    drive(make_app(synthetic_model(source), source), scenario)


def test_a_20000_character_text_opens_and_steps():
    rng = np.random.default_rng(0)
    text = "".join(rng.choice(list("abc de\n\"'()"), size=20_000))

    async def scenario(pilot):
        app = pilot.app
        assert app.view.steps == 20_000
        await press(pilot, "end")
        assert app.cursor == 19_999
        assert "character 20,000 of 20,000" in str(app.sentence_bar.border_title)
        pane = app.query_one(TextPane)
        assert pane.layout.line_of(app.cursor) in range(
            int(pane.scroll_y), int(pane.scroll_y) + pane.scrollable_content_region.height
        )
        await press(pilot, "ctrl+up", "left", "ctrl+left", "home", "right")
        assert app.cursor == 1
        await press(pilot, "u")
        assert pane.tinted

    drive(make_app(char_model(text, hidden=32), text), scenario)


def test_line_moves_after_a_longer_sentence_was_typed_while_the_pane_was_hidden():
    """The key storm's case: the pane kept the old sentence while hidden, and ctrl+down on a longer
    new one moved past the end of the old layout."""
    long_text = " ".join([DEMO_SENTENCE] * 3)

    async def scenario(pilot):
        app = pilot.app
        await press(pilot, "v", "v")  # the pane shown once (its layout built), then hidden
        app.run_models(["lstm"], long_text, cursor=0)
        await settle(pilot)
        await press(pilot, "end", "ctrl+up", "ctrl+down")
        layout = app.text_view.pane.layout
        assert layout.tokens == tuple(app.tokens)  # the pane holds the new sentence
        assert layout.line_of(app.cursor) == layout.lines - 1  # back on the last line, not past it

    drive(make_app("lstm"), scenario)
