"""first_line: how any error becomes the one line a user reads."""

from __future__ import annotations

from rnnviz.errors import WeightsError, first_line


def test_first_line_keeps_only_the_first_line_of_the_message():
    assert first_line(WeightsError("shape (4, 3) for rnn.weight_hh_l0\ntraceback detail")) == (
        "shape (4, 3) for rnn.weight_hh_l0"
    )


def test_an_error_without_a_message_is_named_by_its_type():
    assert first_line(ValueError()) == "ValueError"
    assert first_line(OSError("  ")) == "OSError"
