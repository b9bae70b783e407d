"""Vocabulary files that can hold any token: JSON lists, the sibling rule, and what a blank line means."""

from __future__ import annotations

import json

import pytest
from conftest import random_weights
from safetensors.numpy import save_file

import rnnviz
from rnnviz.errors import WeightsError
from rnnviz.io.weights import read_vocab

CHARS = ["\n", " ", "a", "b", "<unk>"]


def weights_file(tmp_path, vocab_size: int, name: str = "m.safetensors"):
    path = tmp_path / name
    save_file(random_weights("gru", vocab=vocab_size), str(path), metadata={"cell": "gru"})
    return path


def test_json_vocabulary_holds_newline_and_space_tokens(tmp_path):
    vocab = tmp_path / "chars.vocab.json"
    vocab.write_text(json.dumps(CHARS), encoding="utf-8")
    assert read_vocab(vocab) == CHARS
    model = rnnviz.load(weights_file(tmp_path, len(CHARS)), vocab=vocab, tokenizer="chars")
    assert model.vocab == CHARS
    assert model.run("a b\n").ids.tolist() == [2, 1, 3, 0]


def test_any_file_that_starts_with_a_bracket_is_read_as_json(tmp_path):
    vocab = tmp_path / "tokens.txt"
    vocab.write_text('\ufeff  ["[", "]", " "]\n', encoding="utf-8")
    assert read_vocab(vocab) == ["[", "]", " "]


def test_sibling_vocab_json_is_found(tmp_path):
    (tmp_path / "m.vocab.json").write_text(json.dumps(CHARS), encoding="utf-8")
    assert rnnviz.load(weights_file(tmp_path, len(CHARS))).vocab == CHARS


def test_sibling_json_is_preferred_to_text(tmp_path):
    (tmp_path / "m.vocab.json").write_text(json.dumps(CHARS), encoding="utf-8")
    (tmp_path / "m.vocab.txt").write_text("x\ny\nz\nw\nv\n", encoding="utf-8")
    assert rnnviz.load(weights_file(tmp_path, len(CHARS))).vocab == CHARS


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", r"not valid JSON \(line 1, column 2\)"),
        ('{"a": 1}', "not a list of strings"),
        ("[1, 2]", "not a list of strings"),
    ],
)
def test_bad_json_vocabulary_says_what_is_wrong(tmp_path, content, expected):
    vocab = tmp_path / "m.vocab.json"
    vocab.write_text(content, encoding="utf-8")
    with pytest.raises(WeightsError, match=expected):
        read_vocab(vocab)


def test_json_vocabulary_with_a_repeat_names_both_positions(tmp_path):
    vocab = tmp_path / "m.vocab.json"
    vocab.write_text('["a", " ", "a"]', encoding="utf-8")
    with pytest.raises(WeightsError, match=r"'a' twice \(positions 0 and 2\)"):
        read_vocab(vocab)


def test_one_per_line_vocabulary_off_by_blank_lines_says_why(tmp_path):
    # A char vocabulary (a, space, b) saved one per line by an editor that added a CRLF line:
    # the model has 3 rows but the file reads as 4 tokens, the last one empty.
    vocab = tmp_path / "m.vocab.txt"
    vocab.write_bytes(b"a\n \nb\n\r\n")
    with pytest.raises(WeightsError) as caught:
        rnnviz.load(weights_file(tmp_path, 3), vocab=vocab)
    message = str(caught.value)
    assert "the vocabulary has 4 tokens but 'encoder.weight' has 3 rows" in message
    assert "the vocabulary file has 4 lines, 1 of them blank and 1 with \\r" in message
    assert "can't be written one per line: use a JSON list, m.vocab.json" in message


def test_two_blank_lines_are_explained_too(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\n\n\nb\n", encoding="utf-8")  # tokens a, "\n", b written one per line
    with pytest.raises(
        WeightsError, match=r"'' twice \(lines 2 and 3\).*4 lines, 2 of them blank.*vocab\.json"
    ):
        rnnviz.load(weights_file(tmp_path, 3))  # found by the sibling rule


def test_a_clean_text_vocabulary_gets_no_blank_line_note(tmp_path):
    vocab = tmp_path / "m.vocab.txt"
    vocab.write_text("a\nb\nc\n", encoding="utf-8")
    with pytest.raises(WeightsError) as caught:
        rnnviz.load(weights_file(tmp_path, 4), vocab=vocab)
    assert "has 3 tokens but" in str(caught.value) and "blank" not in str(caught.value)


def test_crlf_text_vocabulary_still_reads(tmp_path):
    vocab = tmp_path / "m.vocab.txt"
    vocab.write_bytes(b"<unk>\r\nthe\r\ncat\r\n")
    assert rnnviz.load(weights_file(tmp_path, 3), vocab=vocab).vocab == ["<unk>", "the", "cat"]


def test_a_list_still_works(tmp_path):
    assert rnnviz.load(weights_file(tmp_path, 3), vocab=["\n", " ", "x"]).vocab == ["\n", " ", "x"]
