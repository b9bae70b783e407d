"""Load and save models. Nothing here ever executes code from a file (no pickle).

Native format: safetensors with the tensor names of PyTorch's `word_language_model` example and
metadata `cell` (rnn_tanh | rnn_relu | lstm | gru) and `vocab` (a JSON list of tokens). Also read:
`.npz` (native, PyTorch-style or Keras-path names), Keras `.keras` files and PyTorch `.pt` state dicts
(see rnnviz/formats/). The vocabulary comes from `vocab=`, else the file, else a sibling text file:
`<name>.vocab.txt` next to `<name>.<ext>`, then `vocab.txt` in the same folder (one token a line).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from rnnviz.core.model import Model
from rnnviz.errors import WeightsError
from rnnviz.io.atomic import write_atomic
from rnnviz.io.files import regular_file
from rnnviz.io.formats.reader import WeightsFile, read

BUNDLED = ("rnn", "lstm", "gru")
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
    meta.pop("assumed", None)  # said when the model was read; the saved file states its cell
    tensors = {name: np.ascontiguousarray(value) for name, value in model.weights.items()}
    write_atomic(path, to_bytes(tensors, metadata=meta), force=force, inputs=inputs)


def resolve_path(path: str | Path) -> Path:
    """A bundled model's name ("rnn", "lstm", "gru") or a path, as a path."""
    if isinstance(path, str) and path.lower() in BUNDLED and not Path(path).exists():
        return bundled_path(path.lower())
    return Path(path)


def load(
    path: str | Path,
    vocab: VocabSource | None = None,
    cell: str | None = None,
    dtype: str = "float32",
    *,
    head: str | None = None,
    labels: VocabSource | None = None,
) -> Model:
    """Load a model: "rnn", "lstm", "gru" for the bundled demos, or a weights file of any supported format.

    head: "next-token" or "classifier" (default: the file's metadata, else a classifier when the decoder
    has fewer rows than the vocabulary); labels: class names (a list or a file, as for vocab)."""
    weights = read(resolve_path(path))
    return build_model(weights, vocab=vocab, cell=cell, dtype=dtype, head=head, labels=labels)


def build_model(
    weights: WeightsFile,
    vocab: VocabSource | None = None,
    cell: str | None = None,
    dtype: str = "float32",
    *,
    head: str | None = None,
    labels: VocabSource | None = None,
) -> Model:
    """A validated Model from a read file, a vocabulary and a cell type (arguments win over the file)."""
    path = weights.path
    tokens, vocab_from = find_vocab(weights, vocab)
    cell_name = cell or weights.cell
    if cell_name is None:
        raise WeightsError(
            f"{path}: the file does not say its cell type and its shapes do not tell; "
            "pass cell= / --cell (rnn_tanh, rnn_relu, lstm, gru)"
        )
    meta = {k: v for k, v in weights.found.metadata.items() if k not in ("vocab", "cell", "head", "labels")}
    if cell is None and weights.cell_source == "shapes" and cell_name == "rnn_tanh":
        meta["assumed"] = "tanh assumed (the file does not say): --cell rnn_relu if it was relu"
    head_name = head or weights.found.metadata.get("head") or implied_head(weights.tensors, len(tokens))
    class_names = _labels(weights, labels) if head_name == "classifier" else None
    try:
        return Model(
            weights.tensors, cell_name, tokens, dtype=dtype, metadata=meta, head=head_name, labels=class_names
        )
    except WeightsError as err:
        where = f" (vocabulary from {vocab_from})" if "vocabulary has" in str(err) else ""
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


def find_vocab(weights: WeightsFile, vocab: VocabSource | None) -> tuple[list[str], str]:
    """The tokens and where they came from: the argument, the file's metadata, or a sibling file."""
    if vocab is not None:
        tokens, source = read_vocab(vocab), "vocab=" if not isinstance(vocab, (str, Path)) else str(vocab)
    elif "vocab" in weights.found.metadata:
        tokens, source = _metadata_vocab(weights), "the file's metadata"
        check_unique(tokens, f"{weights.path}: the vocabulary in the file's metadata", "position")
    elif (sibling := sibling_vocab(weights.path)) is not None:
        tokens, source = read_vocab(sibling), str(sibling)
    else:
        raise WeightsError(
            f"{weights.path}: the file has no vocabulary: pass vocab=FILE / --vocab FILE (one token a line), "
            f"or put it next to the weights as {weights.path.stem}.vocab.txt or vocab.txt"
        )
    if not tokens:
        raise WeightsError(f"{weights.path}: the vocabulary from {source} is empty; give one token a line")
    return tokens, source


def sibling_vocab(path: Path) -> Path | None:
    """`<name>.vocab.txt` beside `<name>.<ext>`, else `vocab.txt` in the same folder."""
    for candidate in (path.with_name(f"{path.stem}.vocab.txt"), path.with_name("vocab.txt")):
        if candidate.is_file():
            return candidate
    return None


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
    """A vocabulary from a list, or from a text file with one token a line."""
    if isinstance(source, (str, Path)):
        p = Path(source)
        try:
            regular_file(p, WeightsError)
        except WeightsError as err:
            reason = str(err).removeprefix(f"{p}: ")
            raise WeightsError(f"{p}: cannot read the vocabulary file ({reason})") from None
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise WeightsError(f"{p}: cannot read the vocabulary file ({err.__class__.__name__})") from None
        tokens = [line.rstrip("\r") for line in text.split("\n")]
        if tokens and tokens[-1] == "":
            tokens.pop()
        check_unique(tokens, f"{p}: the vocabulary", "line", first=1)
        return tokens
    tokens = [str(t) for t in source]
    check_unique(tokens, "the vocabulary", "position")
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
