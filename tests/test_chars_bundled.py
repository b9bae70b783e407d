"""The bundled character LSTM: it loads by name, reads text a character at a time, says what it was
trained on, predicts held-out standard-library source at ≤ 2 bits per character, and the viewer opens
it on a function from the standard library."""

from __future__ import annotations

import argparse
import json
import math
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import rnnviz
from rnnviz.cli import view
from rnnviz.io.weights import BUNDLED, bundled_path
from rnnviz.training.corpus import DEMO_SENTENCE, code_excerpt

EXCERPT = 4000  # characters of a held-out file to score: enough for a stable figure, fast


@pytest.fixture(scope="module")
def chars() -> rnnviz.Model:
    return rnnviz.load("chars")


def test_it_is_bundled_small_float32_and_says_how_it_was_made(chars: rnnviz.Model) -> None:
    assert "chars" in BUNDLED
    assert bundled_path("chars").stat().st_size <= 2_000_000
    assert chars.tokenizer == "chars" and chars.cell == "lstm" and chars.num_layers == 1
    assert all(value.dtype == np.float32 for value in chars.weights.values())
    meta = chars.metadata
    assert len(meta["corpus_sha256"]) == 64 and meta["python_version"].count(".") == 2
    assert float(meta["bpc"]) <= 2.0
    assert chars.vocab[0] == "<unk>"
    assert all(len(token) == 1 and token.isascii() for token in chars.vocab[1:])
    assert {"\n", " ", "(", ":", "d", "e", "f"} <= set(chars.vocab)
    assert set(json.loads(meta["valid_files"])).isdisjoint(json.loads(meta["train_files"]))


def held_out_text(chars: rnnviz.Model) -> str:
    """The start of the first held-out file this Python has (the corpus is this Python's stdlib)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    for name in json.loads(chars.metadata["valid_files"]):
        path = root / name
        if path.is_file() and path.stat().st_size > EXCERPT:
            return path.read_text(encoding="utf-8", errors="replace")[:EXCERPT]
    pytest.skip("none of the held-out files is in this Python's standard library")


def test_held_out_stdlib_source_costs_at_most_two_bits_per_character(chars: rnnviz.Model) -> None:
    text = held_out_text(chars)
    trace = chars.run(text)
    assert trace.tokens == list(text)
    picked = trace.probs[np.arange(len(text) - 1), trace.ids[1:]].astype(np.float64)
    bpc = float(-np.log2(picked).mean())
    assert math.isfinite(bpc) and bpc <= 2.0, f"{bpc:.3f} bits per character"


def test_the_viewer_opens_a_character_model_on_stdlib_source() -> None:
    def default(weights: str) -> str:
        return view.default_text(argparse.Namespace(weights=weights, vocab=None, cell=None))

    excerpt = default("chars")
    assert excerpt == code_excerpt() and excerpt.startswith("def dedent(")
    assert 300 <= len(excerpt) <= 600 and excerpt.endswith("\n")
    assert default("lstm") == DEMO_SENTENCE
    assert default("no-such-file.safetensors") == DEMO_SENTENCE  # the viewer then says what is wrong


def test_the_viewer_runs_the_chars_model_on_its_demo_text() -> None:
    from rnnviz.tui.app import make_app

    app = make_app("chars", code_excerpt(), size=(120, 40))
    assert app.views[0].trace.tokens == list(code_excerpt())
