"""Tokenizer and vocabulary: punctuation, case rule of design.md, unknown words, empty input, long text."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_model, random_weights

from rnnviz import Model
from rnnviz.core.vocab import Vocab, split_text, tokenize


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("the cat sat.", ["the", "cat", "sat", "."]),
        ("Hello, world!", ["Hello", ",", "world", "!"]),
        ("don't stop", ["don't", "stop"]),
        ("a next-door cat", ["a", "next-door", "cat"]),
        ('she said: "go" (now)?', ["she", "said", ":", '"', "go", '"', "(", "now", ")", "?"]),
        ("wait...", ["wait", ".", ".", "."]),
        ("  spaced\tout\nlines  ", ["spaced", "out", "lines"]),
        ("<unk> tags", ["<", "unk", ">", "tags"]),
        ("the cat sat 3 times", ["the", "cat", "sat", "3", "times"]),
    ],
)
def test_tokenize_splits_words_and_punctuation(text, tokens):
    assert tokenize(text) == tokens


def test_lowercase_vocab_lowercases_input_but_keeps_typed_tokens():
    model = random_model("lstm")  # its vocabulary has no uppercase entries
    lower = model.run("the cat sat .")
    upper = model.run("The CAT Sat .")
    assert upper.tokens == ["The", "CAT", "Sat", "."]
    np.testing.assert_array_equal(upper.ids, lower.ids)
    assert model.vocab_index.unk_id not in upper.ids
    np.testing.assert_array_equal(upper.hidden, lower.hidden)


def test_cased_vocab_tries_exact_match_first_then_lowercase():
    vocab = Vocab(["<unk>", "the", "The", "cat", "Apple", "apple"])
    assert vocab.lookup("The") == 2  # exact
    assert vocab.lookup("the") == 1  # exact
    assert vocab.lookup("THE") == 1  # no exact match: lowercase
    assert vocab.lookup("CAT") == 3
    assert vocab.lookup("Apple") == 4 and vocab.lookup("apple") == 5
    assert vocab.lookup("APPLE") == 5
    assert vocab.lookup("Dog") is None
    np.testing.assert_array_equal(vocab.encode(["The", "Dog", "cat"]), [2, 0, 3])


def test_unknown_words_keep_their_text_and_map_to_unk():
    model = random_model("gru")
    trace = model.run("the zebra sat on the Xylophone .")
    assert trace.tokens == ["the", "zebra", "sat", "on", "the", "Xylophone", "."]
    unk = model.vocab.index("<unk>")
    assert trace.ids[1] == unk and trace.ids[5] == unk
    assert unk not in np.delete(trace.ids, [1, 5])


def test_missing_unk_gives_a_clear_value_error():
    weights = random_weights("lstm", vocab=4)
    model = Model(weights, "lstm", ["the", "cat", "sat", "."])
    assert model.run("the cat sat .").ids.tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match=r"unknown words 'zebra'.*<unk>"):
        model.run("the zebra sat .")
    with pytest.raises(ValueError, match="no <unk>"):
        Vocab(["a", "b"]).encode(["c"])


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n", []])
def test_empty_input_gives_a_clear_value_error(text):
    with pytest.raises(ValueError, match="empty"):
        split_text(text)
    with pytest.raises(ValueError, match="empty"):
        random_model("rnn_tanh").run(text)


def test_empty_vocabulary_is_a_clear_value_error():
    with pytest.raises(ValueError, match="vocabulary is empty"):
        Vocab([])


def test_token_list_is_used_as_given():
    model = random_model("lstm")
    trace = model.run(["the", "cat", "sat on"])  # a list is not re-split
    assert trace.tokens == ["the", "cat", "sat on"]
    assert trace.ids[2] == model.vocab.index("<unk>")


def test_hundred_thousand_tokens_tokenize_and_run():
    words = ["the", "cat", "sat", "on", "the", "mat", ",", "the", "dog", "barked", "."]
    count = 100_000
    text = " ".join(words[k % len(words)] for k in range(count))
    tokens = tokenize(text)
    assert len(tokens) == count
    model = random_model("lstm", vocab=15, embedding=4, hidden=6)
    trace = model.run(text)
    assert len(trace.tokens) == count and trace.ids.shape == (count,)
    assert trace.hidden.shape == (1, count, 6)
    assert trace.cell_state.shape == (1, count, 6)
    assert trace.probs.shape == (count, 15)
    assert np.isfinite(trace.hidden).all()
    assert [model.vocab[i] for i in trace.ids[:11]] == words
