"""Issue 19: what a file or a user typed reaches the terminal as text, never as commands or markup.

A tensor name or vocabulary token like ESC ] 0 ; TITLE BEL ESC [ 2 J would retitle and clear the
user's terminal if printed raw; `[bold red]x[/]` would be eaten as Rich markup (or, unbalanced, crash
with a MarkupError). Every command's output and every error line go through `rnnviz.text.printable`.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import make_vocab, random_weights
from rich.cells import cell_len
from safetensors.numpy import save_file

from rnnviz.cli import main
from rnnviz.text import printable

EVIL = "\x1b]0;TITLE\x07\x1b[2J"
C1 = "\x9b31m"
BIDI = "\u202eevil"
MARKUP = "[bold red]x[/]"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(autouse=True)
def no_debug_tracebacks(monkeypatch):
    monkeypatch.delenv("RNNVIZ_DEBUG", raising=False)


def assert_clean(text: str) -> None:
    assert not RAW.search(text), f"raw control character in output: {RAW.search(text)!r}"
    assert "Traceback" not in text and "MarkupError" not in text


def evil_model(tmp_path, extra: dict | None = None):
    vocab = make_vocab(12)
    vocab[-3:] = [EVIL, C1, MARKUP]  # tokens the predictions table will show
    weights = random_weights("gru", vocab=12, embedding=4, hidden=3)
    weights = {k: v.astype(np.float32) for k, v in weights.items()}
    weights["decoder.bias"][-3:] = 5.0  # make them the likeliest next words
    weights.update(extra or {})
    path = tmp_path / "evil.safetensors"
    save_file(weights, str(path), metadata={"cell": "gru", "vocab": json.dumps(vocab)})
    return path


def test_printable_escapes_c0_del_c1_and_bidi_but_can_keep_layout():
    assert printable(EVIL) == "\\x1b]0;TITLE\\x07\\x1b[2J"
    assert printable("\x7f\x9b\u202e") == "\\x7f\\x9b\\u202e"
    assert printable("a\nb\tc") == "a\\nb\\tc"
    assert printable("a\nb\tc", keep="\n\t") == "a\nb\tc"
    assert printable("the cat ünïcode 猫") == "the cat ünïcode 猫"


def test_the_viewer_uses_the_same_rule():
    from rnnviz.tui.widgets.textutil import visible

    assert visible(EVIL + C1) == printable(EVIL + C1)


def test_inspect_shows_tensor_names_escaped_and_literal(tmp_path, capsys):
    extra = {EVIL: np.zeros(2, np.float32), MARKUP: np.zeros(2, np.float32), BIDI: np.zeros(1, np.float32)}
    code = main(["inspect", str(evil_model(tmp_path, extra))])
    out, err = capsys.readouterr()
    assert_clean(out + err)
    assert code == 2  # unknown tensors are problems
    assert "\\x1b]0;TITLE\\x07\\x1b[2J" in out
    assert MARKUP in out  # not read as markup: the name is shown as it is


def test_render_shows_tokens_escaped_and_the_box_aligned(tmp_path, capsys):
    code = main(["render", str(evil_model(tmp_path)), "--text", f"the cat {C1} {EVIL} sat", "--width", "90"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert_clean(out + err)
    assert "\\x9b31m" in out and MARKUP in out
    box = [line for line in out.splitlines() if line[:1] in "╭│╰"]
    assert box and {cell_len(line) for line in box} == {90}


@pytest.mark.parametrize(
    "argv",
    [
        ["inspect", "no[/]such.safetensors"],
        ["render", "no[/]such.safetensors"],
        ["span", "no[/]such.safetensors", "--n", "1"],
        ["units", "no[/]such.safetensors"],
        ["render", "--compare", "rnn,no[/]such.safetensors", "--text", "the cat sat ."],
        ["no[/]such.safetensors"],  # the viewer without a terminal prints the static picture
        ["inspect", f"{EVIL}.safetensors"],
        ["render", "--text", f"the {EVIL}[/] cat", "--at", "99"],
    ],
)
def test_error_lines_are_plain_text(capsys, argv):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert_clean(out + err)
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: ")
    if "no[/]such" in " ".join(argv):
        assert "no[/]such.safetensors" in line
