"""The tokenizer belongs to the model: the registry, each rule on tricky text, and the trip through files."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_weights
from safetensors.numpy import load_file, save_file

import rnnviz
from rnnviz import Model
from rnnviz.core.tokenizers import TOKENIZERS, tokenizer_named
from rnnviz.errors import InputError, WeightsError

TRICKY = "<unk> the U.S. @-@ don't\tgo\nnow 🐈!"


def model_with(tokens: list[str], tokenizer: str) -> Model:
    return Model(random_weights("lstm", vocab=len(tokens)), "lstm", tokens, tokenizer=tokenizer)


def test_registry_names_and_descriptions():
    assert list(TOKENIZERS) == ["words", "whitespace", "chars"]
    for name, tokenizer in TOKENIZERS.items():
        assert tokenizer.name == name and tokenizer.description and "\n" not in tokenizer.description


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        (
            "words",
            ["<", "unk", ">", "the", "U", ".", "S", ".", "@", "-", "@", "don't", "go", "now", "🐈", "!"],
        ),
        ("whitespace", ["<unk>", "the", "U.S.", "@-@", "don't", "go", "now", "🐈!"]),
        ("chars", list(TRICKY)),
    ],
)
def test_each_tokenizer_splits_tricky_text(name, tokens):
    assert TOKENIZERS[name].split(TRICKY) == tokens


def test_chars_keeps_spaces_tabs_newlines_and_emoji_as_tokens():
    split = TOKENIZERS["chars"].split("a b\tc\n🐈")
    assert split == ["a", " ", "b", "\t", "c", "\n", "🐈"]


def test_whitespace_keeps_wikitext_tokens_and_their_case():
    vocab = ["<unk>", "<eos>", "the", "The", "U.S.", "@-@", "war"]
    model = model_with(vocab, "whitespace")
    trace = model.run("The U.S. @-@ war <unk> THE")
    assert trace.tokens == ["The", "U.S.", "@-@", "war", "<unk>", "THE"]
    # exact lookups only: "THE" is not lowercased to "the"
    assert trace.ids.tolist() == [3, 4, 5, 6, 0, 0]


def test_words_retokenizes_what_whitespace_keeps():
    vocab = ["<unk>", "<eos>", "the", "U.S.", "@-@", "war", "u", "s", ".", "@", "-"]
    words = model_with(vocab, "words").run("the U.S. war")
    assert words.tokens == ["the", "U", ".", "S", ".", "war"]
    assert model_with(vocab, "whitespace").run("the U.S. war").ids.tolist() == [2, 3, 5]


def test_words_lowercases_for_a_lowercase_vocabulary():
    model = model_with(["<unk>", "the", "cat", "don't"], "words")
    assert model.run("The CAT Don't").ids.tolist() == [1, 2, 3]


def test_chars_is_exact_for_a_cased_vocabulary_and_lowercases_an_uncased_one():
    cased = model_with(["<unk>", "a", "B", " ", "\n"], "chars")
    assert cased.run("aB A\nb").ids.tolist() == [1, 2, 3, 0, 4, 0]  # no fallback: "A", "b" are unknown
    uncased = model_with(["<unk>", "a", "b", " ", "\n"], "chars")
    assert uncased.run("aB A\nb").ids.tolist() == [1, 2, 3, 1, 4, 2]


def test_a_list_is_always_taken_as_the_tokens():
    for name in TOKENIZERS:
        model = model_with(["<unk>", "a b", "c"], name)
        assert model.run(["a b", "c"]).ids.tolist() == [1, 2]


def test_unknown_tokenizer_is_an_input_error_listing_the_names():
    with pytest.raises(InputError, match="unknown tokenizer 'bpe': use one of words, whitespace, chars"):
        tokenizer_named("bpe")
    with pytest.raises(InputError, match="words, whitespace, chars"):
        model_with(["<unk>", "a"], "bpe")
    with pytest.raises(InputError, match="words, whitespace, chars"):
        rnnviz.load("lstm", tokenizer="bpe")


def test_model_default_and_bundled_models_use_words():
    assert model_with(["<unk>", "a"], "words").tokenizer == "words"
    assert Model(random_weights("gru", vocab=2), "gru", ["<unk>", "a"]).tokenizer == "words"
    assert rnnviz.load("lstm").tokenizer == "words"


def test_tokenizer_round_trips_through_save_and_load(tmp_path):
    tokens = ["<unk>", "the", "U.S.", "@-@"]
    path = tmp_path / "m.safetensors"
    rnnviz.save(model_with(tokens, "whitespace"), path)
    loaded = rnnviz.load(path)
    assert loaded.tokenizer == "whitespace" and "tokenizer" not in loaded.metadata
    assert loaded.run("the U.S. @-@").ids.tolist() == [1, 2, 3]
    assert rnnviz.load(path, tokenizer="chars").tokenizer == "chars"  # the argument wins
    rnnviz.save(loaded, tmp_path / "again.safetensors")
    with open(tmp_path / "again.safetensors", "rb") as f:
        header = f.read(4096)
    assert b'"tokenizer":"whitespace"' in header


def test_file_without_tokenizer_metadata_loads_as_words(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file(
        random_weights("lstm", vocab=3), str(path), metadata={"cell": "lstm", "vocab": '["<unk>","a","b"]'}
    )
    assert rnnviz.load(path).tokenizer == "words"


def test_unknown_tokenizer_in_metadata_is_a_weights_error(tmp_path):
    path = tmp_path / "m.safetensors"
    metadata = {"cell": "lstm", "vocab": '["<unk>","a","b"]', "tokenizer": "sentencepiece"}
    save_file(random_weights("lstm", vocab=3), str(path), metadata=metadata)
    with pytest.raises(WeightsError, match="tokenizer 'sentencepiece'.*--tokenizer"):
        rnnviz.load(path)
    assert rnnviz.load(path, tokenizer="words").tokenizer == "words"  # the way out the message names
    assert set(load_file(str(path))) == set(random_weights("lstm", vocab=3))


def test_counterfactual_splits_the_new_word_as_the_model_does():
    model = model_with(["<unk>", "a", "b", " "], "chars")
    before, after = rnnviz.counterfactual(model, "a b", 2, "a")
    assert after.tokens == ["a", " ", "a"] and not np.array_equal(before.hidden, after.hidden)
    with pytest.raises(InputError, match="exactly one character"):
        rnnviz.counterfactual(model, "a b", 2, "ab")


@pytest.mark.parametrize(
    "argv",
    [
        ["render", "lstm", "--text", "the cat ."],
        ["units", "lstm"],
        ["span", "lstm"],
        ["lstm", "--text", "the cat ."],  # the viewer, without a terminal: the static picture
    ],
)
def test_tokenizer_option_reaches_load(argv, monkeypatch, capsys):
    import rnnviz.io.weights as weights
    from rnnviz.cli import main

    asked: list[str | None] = []

    def spy(path, *args, tokenizer=None, **kwargs):
        asked.append(tokenizer)
        raise InputError("stop here")

    monkeypatch.setattr(weights, "load", spy)
    assert main([*argv, "--tokenizer", "whitespace"]) == 2
    assert asked == ["whitespace"] and "stop here" in capsys.readouterr().err


def test_render_splits_the_text_with_the_chosen_tokenizer(tmp_path, capsys):
    from rnnviz.cli import main

    path = tmp_path / "m.safetensors"
    rnnviz.save(model_with(["<unk>", "the", "U.S.", "."], "words"), path)
    assert main(["render", str(path), "--text", "the U.S.", "--tokenizer", "whitespace", "--at", "1"]) == 0
    assert main(["render", str(path), "--text", "the U.S.", "--at", "4"]) == 0  # words: the U . S .
    with pytest.raises(SystemExit):
        main(["render", str(path), "--tokenizer", "bpe"])
    assert "invalid choice: 'bpe'" in capsys.readouterr().err


def test_inspect_shows_the_tokenizer(tmp_path, capsys):
    from rnnviz.cli import main

    path = tmp_path / "m.safetensors"
    rnnviz.save(model_with(["<unk>", "the", "U.S.", "."], "whitespace"), path)
    assert main(["inspect", str(path)]) == 0
    assert "tokenizer whitespace" in capsys.readouterr().out


def test_viewer_title_names_the_tokenizer_and_reruns_split_by_it():
    from rnnviz.tui.state.modelview import ModelView

    model = model_with(["<unk>", "the", "U.S.", "."], "whitespace")
    view = ModelView.run("m.safetensors", model, "the U.S. .")
    assert view.tokens == ["the", "U.S.", "."] and view.trace.ids.tolist() == [1, 2, 3]
    assert view.describe().endswith("· tokenizer whitespace")


def test_a_vocabulary_of_single_characters_reads_characters():
    """char-rnn and min-char-rnn files carry no tokenizer: their vocabulary says it."""
    import json
    from pathlib import Path

    real = Path(__file__).parent / "fixtures" / "real"
    for name in ("charrnn_gru.pt", "minchar.npz"):
        vocab = json.loads((real / name).with_suffix(".vocab.json").read_text(encoding="utf-8"))
        model = rnnviz.load(real / name, vocab=vocab)
        assert model.tokenizer == "chars", name
    wlm = real / "wlm_lstm.pt"
    assert (
        rnnviz.load(wlm, vocab=json.loads(wlm.with_suffix(".vocab.json").read_text())).tokenizer
        == "whitespace"
    )
