"""Vocabulary: token ↔ id. How text is split and looked up is the model's tokenizer (tokenizers.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from rnnviz.errors import InputError

UNK = "<unk>"
EOS = "<eos>"

# A word is letters/digits with inner apostrophes or hyphens ("don't", "next-door"); any other
# non-space character (punctuation, symbols, markup brackets) is a token of its own.
_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Split text into words and punctuation, keeping each token as typed."""
    return _TOKEN.findall(text)


class Vocab:
    """Token ↔ id, with the lookup rule of the design contract.

    If no entry has uppercase letters, lookups are lowercased; otherwise an exact match is tried
    before a lowercase one. Unknown tokens map to `<unk>`.
    """

    def __init__(self, tokens: Iterable[str]):
        self.tokens: list[str] = list(tokens)
        if not self.tokens:
            raise InputError("the vocabulary is empty: give at least one token")
        self.index: dict[str, int] = {}
        for i, tok in enumerate(self.tokens):
            self.index.setdefault(tok, i)
        self.cased = any(tok != tok.lower() for tok in self.tokens)
        self.unk_id: int | None = self.index.get(UNK)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return self.lookup(token) is not None

    def lookup(self, token: str) -> int | None:
        """The id of a token, or None when it is not in the vocabulary."""
        if self.cased:
            found = self.index.get(token)
            if found is not None:
                return found
        return self.index.get(token.lower())

    def encode(self, tokens: Sequence[str], lookup: Callable[[str], int | None] | None = None) -> np.ndarray:
        """Ids of tokens (by `lookup`, default the rule above); unknown ones get the id of `<unk>`."""
        find = lookup or self.lookup
        ids = np.empty(len(tokens), dtype=np.int64)
        missing: list[str] = []
        for k, tok in enumerate(tokens):
            found = find(tok)
            if found is None:
                if self.unk_id is None:
                    missing.append(tok)
                    continue
                found = self.unk_id
            ids[k] = found
        if missing:
            shown = ", ".join(repr(m) for m in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise InputError(
                f"unknown words {shown}{more}, and this vocabulary has no {UNK} token: "
                "use words the model knows or add <unk> to the vocabulary"
            )
        return ids

    def known(self, token: str) -> bool:
        return self.lookup(token) is not None


def split_text(text: str | Sequence[str]) -> list[str]:
    """Tokens of a string, or a list of tokens as given; a clear ValueError when there are none."""
    tokens = tokenize(text) if isinstance(text, str) else [str(t) for t in text]
    if not tokens:
        raise InputError("the sentence is empty: type at least one word")
    return tokens
