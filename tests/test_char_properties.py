"""Character properties read from the text alone: strings, comments, layout, brackets, words."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.analysis.char_properties import (
    COUNT,
    PROPERTIES,
    YES_NO,
    bracket_depth,
    char_properties,
    in_comment,
    in_string,
    in_word,
    indent_depth,
    line_position,
)
from rnnviz.errors import InputError


def marks(flags: np.ndarray) -> str:
    return "".join("1" if f else "0" for f in flags)


def test_a_string_is_on_from_its_opening_quote_to_before_its_closing_quote():
    text = 'x = "ab" + y'
    assert marks(in_string(text)) == "000011100000"


def test_an_escaped_quote_does_not_close_the_string():
    text = 'x = "a\\"b" + y'
    assert marks(in_string(text)) == "00001111100000"


def test_a_triple_quoted_string_spans_lines_and_holds_quotes_of_the_other_kind():
    text = "s = r'''q\n\"z'''\nn = 1\n"
    flags = in_string(text)
    assert marks(flags[: text.index("n =")]) == "0000" + "0" + "1111111110" + "0"  # r prefix, ''' … ''', \n


def test_a_quote_inside_a_comment_opens_no_string():
    text = "x = 1  # it's \"fine\"\ny = 'a'\n"
    strings, comments = in_string(text), in_comment(text)
    assert not strings[: text.index("\n")].any()
    assert marks(comments[: text.index("\n") + 1]) == "0" * 7 + "1" * 13 + "0"
    assert strings[text.index("'a'")]


def test_a_hash_inside_a_string_starts_no_comment():
    text = 'x = "#no"  # yes\n'
    assert not in_comment(text)[: text.index("  #")].any()
    assert in_comment(text)[text.index("# yes")]


def test_text_that_is_not_python_falls_back_to_the_quote_scanner():
    text = 'x = "oops\n# c "q"\n'  # an unclosed one-quote string ends at the newline
    assert marks(in_string(text)) == "000011111000000000"
    assert marks(in_comment(text)) == "000000000011111110"


def test_line_position_counts_the_characters_read_on_the_line():
    assert line_position("ab\ncde\n\nf").tolist() == [1, 2, 0, 1, 2, 3, 0, 0, 1]


def test_indent_depth_is_the_line_indentation_in_steps_of_four():
    text = "if x:\n    y = 1\n        z\n\tw\n\n"
    depth = indent_depth(text)
    assert depth[text.index("y")] == 1 and depth[text.index("z")] == 2 and depth[text.index("w")] == 1
    assert depth[text.index("if")] == 0 and depth[-1] == 0


def test_bracket_depth_follows_nesting():
    text = "f(a[1], {2: (3)})"
    assert bracket_depth(text).tolist() == [0, 1, 1, 2, 2, 1, 1, 1, 2, 2, 2, 2, 3, 3, 2, 1, 0]


def test_in_word_marks_letters_digits_and_underscores():
    assert marks(in_word("a_1 +b")) == "111001"


def test_the_registry_names_and_describes_every_property():
    assert set(PROPERTIES) == {
        "in_string",
        "in_comment",
        "in_word",
        "line_position",
        "indent_depth",
        "bracket_depth",
    }
    for prop in PROPERTIES.values():
        assert prop.kind in (YES_NO, COUNT) and prop.description
        values = prop.compute("x = '1'  # c\n")
        assert values.shape == (13,)
        assert values.dtype == (bool if prop.kind == YES_NO else np.int64)


def test_an_unknown_property_is_a_clear_error():
    with pytest.raises(InputError, match="unknown property 'quotes'"):
        char_properties("x", ["quotes"])
