"""Load and save models. Nothing here ever executes code from a file (no pickle).

Native format: safetensors with the tensor names of PyTorch's `word_language_model` example and
metadata `cell` (rnn_tanh | rnn_relu | lstm | gru), `vocab` (a JSON list of tokens) and `tokenizer`
(words | whitespace | chars). Also read: `.npz` (native, PyTorch-style or Keras-path names), Keras
`.keras` files and PyTorch `.pt` state dicts (see rnnviz/formats/). The vocabulary comes from `vocab=`,
else the file, else a sibling file: `<name>.vocab.json` or `<name>.vocab.txt` next to `<name>.<ext>`,
then `vocab.json` or `vocab.txt` in the same folder. A vocabulary file is a JSON list of strings (which
can hold any token, a newline or a space too) or plain text with one token a line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from rnnviz.core.model import Model
from rnnviz.core.tokenizers import DEFAULT_TOKENIZER, TOKENIZERS, tokenizer_named
from rnnviz.errors import WeightsError
from rnnviz.io.atomic import write_atomic
from rnnviz.io.files import regular_file
from rnnviz.io.formats.reader import WeightsFile, read

BUNDLED = ("rnn", "lstm", "gru", "chars")  # chars: a character LSTM trained on the stdlib source
# The bundled word models, trained on one corpus to read the same demo sentence: the viewer's model
# key cycles through these, and a character model is not one of them.
WORD_DEMOS = ("rnn", "lstm", "gru")
VocabSource = Sequence[str] | str | Path


def bundled_path(name: str) -> Path:
    """Path of a bundled demo model's file."""
    return Path(str(resources.files("rnnviz") / "models" / f"{name}.safetensors"))


def save(
    model: Model,
    path: str | Path,
    metadata: dict[str, str] | None = None,
    *,
    force: bool = True,
    inputs: Sequence[str | Path] = (),
) -> None:
    """Write a model as native safetensors; load(save(m)) is bit-exact.

    The file is written whole or not at all (a failed save leaves any old file as it was). The API
    replaces an existing file, as it always has; commands pass `force=False` unless told `--force`,
    and their input files as `inputs`, which are never overwritten.
    """
    from safetensors.numpy import save as to_bytes

    meta = dict(model.metadata)
    meta.update(metadata or {})
    meta["cell"] = model.cell_name
    meta["vocab"] = json.dumps(model.vocab, ensure_ascii=False)
    meta["head"] = model.head
    if model.labels is not None:
        meta["labels"] = json.dumps(model.labels, ensure_ascii=False)
    meta.pop("assumed", None)
    meta.pop("tokenizer_implied", None)  # said when the model was read; the saved file states its cell
    meta["tokenizer"] = model.tokenizer
    tensors = {name: np.ascontiguousarray(value) for name, value in model.weights.items()}
    write_atomic(path, to_bytes(tensors, metadata=meta), force=force, inputs=inputs)


def resolve_path(path: str | Path) -> Path:
    """A bundled model's name (see BUNDLED) or a path, as a path."""
    if isinstance(path, str) and path.lower() in BUNDLED and not Path(path).exists():
        return bundled_path(path.lower())
    return Path(path)


def load(
    path: str | Path,
    vocab: VocabSource | None = None,
    cell: str | None = None,
    dtype: str = "float32",
    *,
    tokenizer: str | None = None,
    head: str | None = None,
    labels: VocabSource | None = None,
) -> Model:
    """Load a model: a bundled name (rnn, lstm, gru, chars) or a weights file of any supported format.

    tokenizer: "words", "whitespace" or "chars" (default: the file's metadata, else "words");
    head: "next-token" or "classifier" (default: the file's metadata, else a classifier when the decoder
    has fewer rows than the vocabulary); labels: class names (a list or a file, as for vocab)."""
    if tokenizer is not None:
        tokenizer_named(tokenizer)  # a bad name is refused before the file is read
    weights = read(resolve_path(path))
    return build_model(
        weights, vocab=vocab, cell=cell, dtype=dtype, tokenizer=tokenizer, head=head, labels=labels
    )


def build_model(
    weights: WeightsFile,
    vocab: VocabSource | None = None,
    cell: str | None = None,
    dtype: str = "float32",
    *,
    tokenizer: str | None = None,
    head: str | None = None,
    labels: VocabSource | None = None,
) -> Model:
    """A validated Model from a read file, a vocabulary, a cell type and a tokenizer (arguments win)."""
    path = weights.path
    found_vocab = find_vocab_file(weights, vocab)
    tokens, vocab_from = found_vocab.tokens, found_vocab.source
    implied = ""
    if tokenizer is not None:
        tokenizer = tokenizer_named(tokenizer).name
    else:
        tokenizer, implied = file_tokenizer(weights, tokens)
    cell_name = cell or weights.cell
    if cell_name is None:
        raise WeightsError(
            f"{path}: the file does not say its cell type and its shapes do not tell; "
            "pass cell= / --cell (rnn_tanh, rnn_relu, lstm, gru)"
        )
    meta = {
        k: v
        for k, v in weights.found.metadata.items()
        if k not in ("vocab", "cell", "tokenizer", "head", "labels")
    }
    if implied:
        meta["tokenizer_implied"] = implied
    if cell is None and weights.cell_source == "shapes" and cell_name == "rnn_tanh":
        meta["assumed"] = "tanh assumed (the file does not say): --cell rnn_relu if it was relu"
    head_name = head or weights.found.metadata.get("head") or implied_head(weights.tensors, len(tokens))
    class_names = _labels(weights, labels) if head_name == "classifier" else None
    try:
        return Model(
            weights.tensors,
            cell_name,
            tokens,
            dtype=dtype,
            metadata=meta,
            head=head_name,
            labels=class_names,
            tokenizer=tokenizer,
        )
    except WeightsError as err:
        where = ""
        if "vocabulary has" in str(err):
            where = f" (vocabulary from {vocab_from})"
            if found_vocab.lines is not None and found_vocab.lines.suspect:
                where += "; " + found_vocab.lines.explain()
        raise WeightsError(f"{path}: {err}{where}") from None


def implied_head(tensors: Mapping[str, np.ndarray], vocab_size: int) -> str:
    """A decoder with fewer rows than the vocabulary cannot predict the next token: a classifier."""
    decoder = tensors.get("decoder.weight")
    if decoder is not None and decoder.ndim == 2 and decoder.shape[0] < vocab_size:
        return "classifier"
    return "next-token"


def _labels(weights: WeightsFile, labels: VocabSource | None) -> list[str] | None:
    """Class names from labels=, else the file's metadata; None lets the model say class 0…K−1."""
    if labels is not None:
        return read_vocab(labels)
    stored = weights.found.metadata.get("labels")
    if stored is None:
        return None
    try:
        names = json.loads(stored)
    except (json.JSONDecodeError, RecursionError):
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise WeightsError(
            f"{weights.path}: the 'labels' metadata is not a JSON list of strings; pass labels="
        )
    return names


def file_tokenizer(weights: WeightsFile, tokens: Sequence[str] = ()) -> tuple[str, str]:
    """The tokenizer the file's metadata names, else the one its vocabulary and format imply, with why
    it was implied ("" when the file named it); WeightsError for an unknown name."""
    name = weights.found.metadata.get("tokenizer")
    if name is None:
        return implied_tokenizer(weights.found.format, tokens)
    if name not in TOKENIZERS:
        raise WeightsError(
            f"{weights.path}: the file's metadata names the tokenizer {name!r}, which rnnviz does not know: "
            f"pass tokenizer= / --tokenizer ({', '.join(TOKENIZERS)})"
        )
    return name, ""


def implied_tokenizer(file_format: str, tokens: Sequence[str]) -> tuple[str, str]:
    """A vocabulary of single characters reads characters (char-rnn, min-char-rnn, keras-io's char
    LSTM); a PyTorch checkpoint reads whitespace-split tokens (word_language_model's corpus is
    pre-tokenized); anything else, words."""
    words = [t for t in tokens if not (t.startswith("<") and t.endswith(">"))]
    if len(words) >= 10 and sum(len(t) == 1 for t in words) >= 0.95 * len(words):
        return "chars", "its vocabulary is single characters"
    if file_format.startswith("PyTorch"):
        return "whitespace", "the default for PyTorch checkpoints"
    return DEFAULT_TOKENIZER, ""


@dataclass
class VocabLines:
    """How a one-token-a-line file was read: the clue when its count does not match the model."""

    path: Path
    lines: int
    blank: int  # lines that are empty once a trailing \r is removed
    carriage: int  # lines that ended in \r

    @property
    def suspect(self) -> bool:
        return bool(self.blank or self.carriage)

    def explain(self) -> str:
        return (
            f"the vocabulary file has {self.lines:,} lines, {self.blank:,} of them blank and "
            f"{self.carriage:,} with \\r; a token that is itself a newline or space can't be written one per "
            f"line: use a JSON list, {json_name(self.path)}"
        )


@dataclass
class FoundVocab:
    tokens: list[str]
    source: str  # "vocab=", "the file's metadata", or the vocabulary file's path
    lines: VocabLines | None = None  # for a one-token-a-line file


def find_vocab(weights: WeightsFile, vocab: VocabSource | None) -> tuple[list[str], str]:
    """The tokens and where they came from: the argument, the file's metadata, or a sibling file."""
    found = find_vocab_file(weights, vocab)
    return found.tokens, found.source


def find_vocab_file(weights: WeightsFile, vocab: VocabSource | None) -> FoundVocab:
    """The tokens, where they came from and, for a one-token-a-line file, how its lines were read."""
    if isinstance(vocab, (str, Path)):
        found = _read_vocab_file(Path(vocab))
    elif vocab is not None:
        found = FoundVocab(read_vocab(vocab), "vocab=")
    elif "vocab" in weights.found.metadata:
        found = FoundVocab(_metadata_vocab(weights), "the file's metadata")
        check_unique(found.tokens, f"{weights.path}: the vocabulary in the file's metadata", "position")
    elif (sibling := sibling_vocab(weights.path)) is not None:
        found = _read_vocab_file(sibling)
    else:
        stem = weights.path.stem
        raise WeightsError(
            f"{weights.path}: the file has no vocabulary: pass vocab=FILE / --vocab FILE (a JSON list, "
            f"or one token a line), or put it next to the weights as {stem}.vocab.json, "
            f"{stem}.vocab.txt or vocab.txt"
        )
    if not found.tokens:
        raise WeightsError(f"{weights.path}: the vocabulary from {found.source} is empty; give its tokens")
    return found


def sibling_vocab(path: Path) -> Path | None:
    """`<name>.vocab.json` or `<name>.vocab.txt` beside `<name>.<ext>`, else `vocab.json` or `vocab.txt`."""
    names = (f"{path.stem}.vocab.json", f"{path.stem}.vocab.txt", "vocab.json", "vocab.txt")
    for candidate in (path.with_name(name) for name in names):
        if candidate.is_file():
            return candidate
    return None


def json_name(path: Path) -> str:
    """The name a JSON vocabulary beside `path` would have (found by the sibling rule)."""
    name = path.name
    for text_suffix in (".vocab.txt", ".txt"):
        if name.endswith(text_suffix):
            return name.removesuffix(text_suffix) + text_suffix.replace(".txt", ".json")
    return f"{name}.vocab.json"


def _metadata_vocab(weights: WeightsFile) -> list[str]:
    try:
        tokens = json.loads(weights.found.metadata["vocab"])
    except (json.JSONDecodeError, RecursionError):
        tokens = None
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise WeightsError(
            f"{weights.path}: the 'vocab' metadata is not a JSON list of strings; pass vocab=..."
        )
    return tokens


def read_vocab(source: VocabSource) -> list[str]:
    """A vocabulary from a list, or from a file: a JSON list of strings, or one token a line."""
    if isinstance(source, (str, Path)):
        return _read_vocab_file(Path(source)).tokens
    tokens = [str(t) for t in source]
    check_unique(tokens, "the vocabulary", "position")
    return tokens


def _read_vocab_file(p: Path) -> FoundVocab:
    try:
        regular_file(p, WeightsError)
    except WeightsError as err:
        reason = str(err).removeprefix(f"{p}: ")
        raise WeightsError(f"{p}: cannot read the vocabulary file ({reason})") from None
    try:
        text = p.read_bytes().decode("utf-8-sig")  # bytes: no newline translation hides a \r
    except (OSError, UnicodeDecodeError) as err:
        raise WeightsError(f"{p}: cannot read the vocabulary file ({err.__class__.__name__})") from None
    if p.name.lower().endswith(".json") or text.lstrip().startswith("["):
        tokens = _json_vocab(p, text)
        check_unique(tokens, f"{p}: the vocabulary", "position")
        return FoundVocab(tokens, str(p))
    raw = text.split("\n")
    if raw and raw[-1] == "":
        raw.pop()  # the newline that ends the last line
    tokens = [line.removesuffix("\r") for line in raw]
    lines = VocabLines(
        p, len(raw), sum(1 for t in tokens if t == ""), sum(line.endswith("\r") for line in raw)
    )
    try:
        check_unique(tokens, f"{p}: the vocabulary", "line", first=1)
    except WeightsError as err:
        if lines.suspect:  # a blank line twice is a newline token written one per line, most likely
            raise WeightsError(f"{err}; {lines.explain()}") from None
        raise
    return FoundVocab(tokens, str(p), lines)


def _json_vocab(p: Path, text: str) -> list[str]:
    try:
        tokens = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        where = f" (line {err.lineno}, column {err.colno})" if isinstance(err, json.JSONDecodeError) else ""
        raise WeightsError(
            f"{p}: the vocabulary file is not valid JSON{where}: "
            "give a JSON list of strings, or one token a line"
        ) from None
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise WeightsError(
            f'{p}: the vocabulary file holds JSON but not a list of strings: give ["tok", ...]'
        )
    return tokens


def check_unique(tokens: Sequence[str], what: str, unit: str, first: int = 0) -> None:
    """WeightsError naming the first repeated token and both places, so the user can fix the file."""
    seen: dict[str, int] = {}
    for k, token in enumerate(tokens, start=first):
        if token in seen:
            raise WeightsError(
                f"{what} has {token!r} twice ({unit}s {seen[token]} and {k}): "
                "every token needs its own id; remove one"
            )
        seen[token] = k
