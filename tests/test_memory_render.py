"""`rnnviz render --links`: the sentence tinted by the last word's links row."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_model
from rich.text import Text

from rnnviz.analysis.links import link_rows, top_links
from rnnviz.cli import main
from rnnviz.render.colors import LEVELS, SEQUENTIAL
from rnnviz.render.links import links_section
from rnnviz.render.picture import RenderOptions

TEXT = "the cat that the dog chased sat on the mat because it"


@pytest.fixture(autouse=True)
def no_debug_tracebacks(monkeypatch):
    monkeypatch.delenv("RNNVIZ_DEBUG", raising=False)


def test_render_links_names_the_strongest_words(capsys) -> None:
    assert main(["render", "--links", "--text", TEXT]) == 0
    out = capsys.readouterr().out
    assert "memory links at “it” (occlusion)" in out
    assert "strongest:" in out


def test_render_links_takes_a_method(capsys) -> None:
    assert main(["render", "--links", "integrated", "--text", TEXT]) == 0
    assert "(integrated)" in capsys.readouterr().out
    assert main(["render", "gru", "--links", "retention", "--text", TEXT]) == 2
    assert "only an LSTM" in capsys.readouterr().err


def test_links_section_tints_the_strongest_word_brightest() -> None:
    model = random_model("lstm", dtype="float64")
    trace = model.run("the cat sat on the mat , it was the dog")
    group = links_section()(model, trace, RenderOptions(plain=False))
    title, line, summary = group.renderables
    assert isinstance(line, Text)
    row = link_rows(model, trace, [-1])[0]
    best = int(np.argmax(row))
    backgrounds = {}
    for span in line.spans:
        word = line.plain[span.start : span.end]
        backgrounds[word, span.start] = span.style.bgcolor
    words_at = [(tok, sum(len(w) + 1 for w in trace.tokens[:k])) for k, tok in enumerate(trace.tokens)]
    assert backgrounds[words_at[best]].name == SEQUENTIAL[LEVELS - 1]
    position, word, share = top_links(row, trace.tokens)[0]
    assert (position, word) == (best, trace.tokens[best])
    assert f"{word} {share:.0%}" in summary.plain


def test_plain_links_section_has_no_colors() -> None:
    model = random_model("gru", dtype="float64")
    trace = model.run("the cat sat on the mat")
    _, line, _ = links_section("gradient")(model, trace, RenderOptions(plain=True)).renderables
    assert line.plain.split() == trace.tokens
    assert not line.spans  # every word is in the row, and plain output carries no colors
