"""Named properties of every character of a text, read from the text alone (no model).

Each property gives one value per character: the state of the text *after* that character is read,
which is what a recurrent unit can know at that point. So `in_string` is true from a string's
opening quote up to (not including) its closing quote: after the closing quote the string is over.
`line_position` counts the characters read on the current line; a newline ends the line, so it reads 0.

Python source is read with the standard library's `tokenize` (string prefixes, escapes, triple
quotes and f-strings as Python sees them); text that does not tokenize falls back to a quote-state
scanner that knows '…', "…", triple quotes, backslash escapes and # comments.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

YES_NO = "yes/no"
COUNT = "count"
INDENT_WIDTH = 4  # indent_depth = leading whitespace width // INDENT_WIDTH (a tab counts as 4)
BRACKETS = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


@dataclass(frozen=True)
class CharProperty:
    name: str
    kind: str  # YES_NO (bool per character) | COUNT (int per character)
    description: str
    compute: Callable[[str], np.ndarray]  # text → (len(text),) bool or int64


# -- strings and comments ------------------------------------------------------------------------
def _line_starts(text: str) -> list[int]:
    """Offset of the first character of each line as `tokenize` numbers them (1-based rows)."""
    starts = [0, 0]  # row 0 unused
    for k, ch in enumerate(text):
        if ch == "\n":
            starts.append(k + 1)
    return starts


def _tokenized_spans(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
    """(string spans, comment spans) as [start, end) offsets from `tokenize`, or None if it fails."""
    starts = _line_starts(text)
    strings: list[tuple[int, int]] = []
    comments: list[tuple[int, int]] = []
    fstring_starts: list[int] = []  # Python ≥ 3.12 splits f-strings into START … MIDDLE … END
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline="\n").readline):
            begin = starts[tok.start[0]] + tok.start[1]
            end = starts[tok.end[0]] + tok.end[1]
            if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
                return None  # Python 3.11 reports an unclosed quote this way instead of raising
            if tok.type == tokenize.STRING:
                strings.append((begin, end))
            elif tok.type == tokenize.COMMENT:
                comments.append((begin, end))
            elif tok.type == fstring_start:
                fstring_starts.append(begin)
            elif tok.type == fstring_end and fstring_starts:
                strings.append((fstring_starts.pop(), end))
    except (tokenize.TokenError, SyntaxError, IndexError):
        return None
    return strings, comments


def _scanned_spans(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(string spans, comment spans) from a quote-state scanner, for text that is not Python.

    A string opens at ' or " (three of them: a triple-quoted string), a backslash escapes the next
    character, a one-quote string also ends at a newline; # outside a string starts a comment."""
    strings: list[tuple[int, int]] = []
    comments: list[tuple[int, int]] = []
    k, n = 0, len(text)
    while k < n:
        ch = text[k]
        if ch == "#":
            end = text.find("\n", k)
            end = n if end < 0 else end
            comments.append((k, end))
            k = end
        elif ch in "'\"":
            quote = ch * 3 if text.startswith(ch * 3, k) else ch
            j = k + len(quote)
            while j < n and not text.startswith(quote, j):
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n" and len(quote) == 1:
                    break
                j += 1
            end = min(n, j + len(quote)) if j < n and text.startswith(quote, j) else min(j, n)
            strings.append((k, end))
            k = end
        else:
            k += 1
    return strings, comments


def _spans(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    found = _tokenized_spans(text)
    return found if found is not None else _scanned_spans(text)


def _first_quote(text: str, begin: int, end: int) -> int:
    """Where a string literal's quotes start, past any prefix (r, b, f, u…)."""
    for k in range(begin, end):
        if text[k] in "'\"":
            return k
    return begin


def in_string(text: str) -> np.ndarray:
    """True after reading the opening quote of a string literal, until its closing quote is read."""
    out = np.zeros(len(text), dtype=bool)
    for begin, end in _spans(text)[0]:
        closed = end > begin and text[end - 1] in "'\""
        out[_first_quote(text, begin, end) : end - 1 if closed else end] = True
    return out


def in_comment(text: str) -> np.ndarray:
    """True from a comment's # to the last character before the newline that ends it."""
    out = np.zeros(len(text), dtype=bool)
    for begin, end in _spans(text)[1]:
        out[begin:end] = True
    return out


# -- layout ----------------------------------------------------------------------------------------
def line_position(text: str) -> np.ndarray:
    """Characters read on the current line, this one included; a newline ends the line and reads 0."""
    chars = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) if text else np.zeros(0, np.uint32)
    index = np.arange(1, len(chars) + 1, dtype=np.int64)
    newline = chars == ord("\n")
    last_newline = np.maximum.accumulate(np.where(newline, index, 0))
    return index - last_newline


def indent_depth(text: str) -> np.ndarray:
    """The current line's leading whitespace width // 4 (a tab counts 4), on every character of the line.

    A newline belongs to the line it ends. Every character gets the indentation of its whole line,
    which a reader knows only once the first non-blank character is read; blank lines count 0."""
    out = np.zeros(len(text), dtype=np.int64)
    offset = 0
    for line in text.split("\n"):
        stripped = line.lstrip(" \t")
        width = (
            0
            if not stripped
            else sum(INDENT_WIDTH if c == "\t" else 1 for c in line[: len(line) - len(stripped)])
        )
        out[offset : offset + len(line) + 1] = width // INDENT_WIDTH
        offset += len(line) + 1
    return out


def bracket_depth(text: str) -> np.ndarray:
    """Open (), [] and {} after reading each character (brackets inside strings and comments too)."""
    steps = np.fromiter((BRACKETS.get(c, 0) for c in text), dtype=np.int64, count=len(text))
    return np.maximum(np.cumsum(steps), 0)


def in_word(text: str) -> np.ndarray:
    """True on letters, digits and _ (a run of them is a word or a number)."""
    return np.fromiter((c.isalnum() or c == "_" for c in text), dtype=bool, count=len(text))


PROPERTIES: dict[str, CharProperty] = {
    p.name: p
    for p in (
        CharProperty("in_string", YES_NO, "inside a string literal ('…', \"…\", triple quotes)", in_string),
        CharProperty("in_comment", YES_NO, "inside a # comment", in_comment),
        CharProperty("in_word", YES_NO, "on a letter, digit or _", in_word),
        CharProperty("line_position", COUNT, "characters read on the current line", line_position),
        CharProperty("indent_depth", COUNT, "indentation of the current line, in steps of 4", indent_depth),
        CharProperty("bracket_depth", COUNT, "open (), [] and {} brackets", bracket_depth),
    )
}


def char_properties(text: str, names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Every registered property of `text` (or the named ones), one array of len(text) each."""
    from rnnviz.errors import InputError

    chosen = list(PROPERTIES) if names is None else names
    unknown = [n for n in chosen if n not in PROPERTIES]
    if unknown:
        raise InputError(f"unknown property {unknown[0]!r}: use one of {', '.join(PROPERTIES)}")
    return {name: PROPERTIES[name].compute(text) for name in chosen}
