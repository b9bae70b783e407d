"""Traces and models draw themselves in a notebook (`_repr_html_`), and `rnnviz.show` returns a picture.

The HTML is the `rnnviz render` picture: a well-formed fragment, self-contained (no script, no
stylesheet link, no network), with the words the user typed shown as typed, never as tags or markup.
"""

from __future__ import annotations

import io
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from rich.console import Console

import rnnviz
from rnnviz.core import display
from rnnviz.core.trace import Trace
from rnnviz.errors import RnnvizError
from rnnviz.render.picture import RenderOptions, picture

HOSTILE = ["the", "<script>alert(1)</script>", "[bold]x[/]", "&amp;", "cat"]
VOID = {"br", "meta", "img", "hr", "link", "input"}


class TagChecker(HTMLParser):
    """Balanced tags, and the page's text as a browser would read it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.extend(attrs)
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1] if self.open else 'nothing'}")
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(html)
    checker.close()
    assert checker.problems == [] and checker.open == [], (checker.problems, checker.open)
    return checker


@pytest.fixture(scope="module")
def model() -> rnnviz.Model:
    return rnnviz.load("lstm")


def test_a_trace_draws_itself_with_the_words_shown_literally(model):
    trace = model.run(HOSTILE)
    page = parsed(trace._repr_html_())
    text = "".join(page.text)
    for token in HOSTILE:
        assert token in text  # as typed: the tag is text, the markup is not applied
    assert "script" not in page.tags
    assert not any(name.startswith("on") for name, _ in page.attributes)
    assert "rnnviz · lstm" in text and "next word after" in text


def test_the_html_needs_no_network_and_no_script(model):
    html = model.run("the cat sat on the mat .")._repr_html_()
    lowered = html.lower()
    for reference in ("<script", "<link", "http://", "https://", "src=", "@import", "url("):
        assert reference not in lowered
    assert "style=" in html  # inline styles: it draws without any stylesheet


def test_user_markup_in_the_html_is_not_rich_markup(model):
    """`[bold]x[/]` would vanish (and embolden) if read as markup; it must stay, in plain weight."""
    html = model.run(HOSTILE)._repr_html_()
    assert "[bold]x[/]" in html


def test_the_same_words_show_literally_in_the_terminal_render(model):
    trace = model.run(HOSTILE)
    console = Console(file=io.StringIO(), width=100, color_system=None, highlight=False)
    console.print(picture(model, trace, RenderOptions(width=96, plain=True)))
    out = console.file.getvalue()
    for token in HOSTILE:
        assert token in out


def test_a_model_draws_itself_on_the_demo_sentence(model):
    text = "".join(parsed(model._repr_html_()).text)
    assert "the cat sat on the mat because it was tired and it meowed ." in text


def test_show_returns_a_picture_at_the_chosen_word(model):
    shown = rnnviz.show(model, "the cat sat on the mat .", at=1)
    text = "".join(parsed(shown._repr_html_()).text)
    assert "gates at “cat”" in text and "next word after" in text
    with pytest.raises(RnnvizError, match="at=3"):
        rnnviz.show(model, "the cat .", at=3)


def test_a_trace_made_by_hand_falls_back_to_its_repr(model):
    made = model.run("the cat .")
    bare = Trace(made.tokens, made.ids, made.hidden, made.cell_state, made.gates, made.probs, made.cell)
    assert bare._repr_html_() is None  # Jupyter then shows the plain repr


def test_without_a_renderer_installed_the_core_draws_nothing(model, monkeypatch):
    monkeypatch.setattr(display, "_renderer", None)
    assert model.run("the cat .")._repr_html_() is None


def test_running_a_model_still_loads_no_rich_until_a_picture_is_asked_for():
    code = (
        "import sys, rnnviz\n"
        "trace = rnnviz.load('lstm').run('the cat sat .')\n"
        "assert 'rich' not in sys.modules, 'rich before the picture'\n"
        "assert '<pre' in trace._repr_html_()\n"
        "assert 'rich' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
