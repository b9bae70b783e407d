"""Tokenizers: how a model turns typed text into tokens, and how a token finds its id.

The tokenizer belongs to the model: a corpus that was tokenized before training (wikitext's `<unk>`,
`@-@`, `U.S.`) must be split the same way when the model reads, or the ids change under it. A model
says which one it uses (`model.tokenizer`, stored in the native file's metadata); `TOKENIZERS` is the
registry every command and the API read. A list of tokens given to `Model.run` is never re-split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.core.vocab import Vocab, tokenize
from rnnviz.errors import InputError

DEFAULT_TOKENIZER = "words"


def split_whitespace(text: str) -> list[str]:
    """Runs of non-space characters: what a pre-tokenized corpus (wikitext, PTB) was split by."""
    return text.split()


def split_chars(text: str) -> list[str]:
    """Every character (code point), spaces and newlines included: how char-rnn builds its vocabulary."""
    return list(text)


@dataclass(frozen=True)
class Tokenizer:
    """A way of splitting text and of looking tokens up in a vocabulary.

    Lookup: the exact token first; then its lowercase form when `lowercase_fallback` is set, or when
    `lowercase_uncased` is set and the vocabulary has no uppercase entry (a lowercased corpus).
    """

    name: str
    description: str
    splitter: Callable[[str], list[str]]
    lowercase_uncased: bool
    lowercase_fallback: bool

    def split(self, text: str) -> list[str]:
        return self.splitter(text)

    def lookup(self, vocab: Vocab, token: str) -> int | None:
        """The id of a token under this tokenizer's rule, or None when the vocabulary lacks it."""
        found = vocab.index.get(token)
        if found is None and (self.lowercase_fallback or (self.lowercase_uncased and not vocab.cased)):
            found = vocab.index.get(token.lower())
        return found

    def encode(self, vocab: Vocab, tokens: Sequence[str]) -> np.ndarray:
        """Ids of tokens; unknown ones get the id of `<unk>` (InputError when there is none)."""
        return vocab.encode(tokens, lookup=lambda token: self.lookup(vocab, token))


TOKENIZERS: dict[str, Tokenizer] = {
    tok.name: tok
    for tok in (
        Tokenizer(
            "words",
            "words and punctuation; lowercased for a lowercase vocabulary, else exact then lowercase",
            tokenize,  # "U.S." is four tokens, "<unk>" three
            lowercase_uncased=True,
            lowercase_fallback=True,
        ),
        Tokenizer(
            "whitespace",
            "split on whitespace only, nothing lowercased (pre-tokenized corpora: <unk>, @-@ stay tokens)",
            split_whitespace,
            lowercase_uncased=False,
            lowercase_fallback=False,
        ),
        Tokenizer(
            "chars",
            "every character a token, spaces and newlines included; exact (lowercase vocabulary: lowercased)",
            split_chars,
            lowercase_uncased=True,
            lowercase_fallback=False,
        ),
    )
}


def tokenizer_named(name: str) -> Tokenizer:
    """The registered tokenizer of that name; InputError listing the names for any other."""
    try:
        return TOKENIZERS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown tokenizer {name!r}: use one of {', '.join(TOKENIZERS)}") from None
