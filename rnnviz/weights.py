"""Read and write weights files. Nothing here ever executes code from a file (no pickle).

Native format: safetensors with the tensor names of PyTorch's `word_language_model` example and
metadata `cell` (rnn_tanh | rnn_relu | lstm | gru) and `vocab` (a JSON list of tokens).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import WeightsError
from .model import Model

BUNDLED = ("rnn", "lstm", "gru")


def bundled_path(name: str) -> Path:
    """Path of a bundled demo model's file."""
    return Path(str(resources.files("rnnviz") / "models" / f"{name}.safetensors"))


def save(model: Model, path: str | Path, metadata: dict[str, str] | None = None) -> None:
    """Write a model as native safetensors; load(save(m)) is bit-exact."""
    from safetensors.numpy import save_file

    meta = dict(model.metadata)
    meta.update(metadata or {})
    meta["cell"] = model.cell_name
    meta["vocab"] = json.dumps(model.vocab, ensure_ascii=False)
    tensors = {name: np.ascontiguousarray(value) for name, value in model.weights.items()}
    save_file(tensors, str(path), metadata=meta)


def load(
    path: str | Path,
    vocab: Sequence[str] | str | Path | None = None,
    cell: str | None = None,
    dtype: str = "float32",
) -> Model:
    """Load a model: "rnn", "lstm", "gru" for the bundled demos, or a weights file."""
    if isinstance(path, str) and path.lower() in BUNDLED and not Path(path).exists():
        path = bundled_path(path.lower())
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path}: no such file; give a weights file or one of rnn, lstm, gru")
    if path.is_dir():
        raise WeightsError(f"{path}: is a directory; give a weights file inside it")
    tensors, metadata = read_safetensors(path)
    return build_model(tensors, metadata, path, vocab=vocab, cell=cell, dtype=dtype)


def read_safetensors(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    from safetensors import SafetensorError, safe_open

    if path.stat().st_size == 0:
        raise WeightsError(f"{path}: the file is empty; it holds no weights")
    try:
        with safe_open(str(path), framework="np") as f:
            metadata = dict(f.metadata() or {})
            tensors = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118 (safe_open is no dict)
    except (SafetensorError, OSError, ValueError, TypeError) as err:
        first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise WeightsError(f"{path}: not a readable safetensors file ({first_line})") from None
    return tensors, metadata


def read_vocab(source: Sequence[str] | str | Path) -> list[str]:
    """A vocabulary from a list, or from a text file with one token a line."""
    if isinstance(source, (str, Path)):
        p = Path(source)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise WeightsError(f"{p}: cannot read the vocabulary file ({err.__class__.__name__})") from None
        tokens = [line.rstrip("\r") for line in text.split("\n")]
        if tokens and tokens[-1] == "":
            tokens.pop()
        return tokens
    return [str(t) for t in source]


def build_model(
    tensors: dict[str, np.ndarray],
    metadata: dict[str, str],
    path: Path,
    vocab: Sequence[str] | str | Path | None = None,
    cell: str | None = None,
    dtype: str = "float32",
) -> Model:
    """A Model from native tensors, a vocabulary from the argument or the metadata, and a cell type."""
    if vocab is not None:
        tokens = read_vocab(vocab)
    elif "vocab" in metadata:
        try:
            tokens = json.loads(metadata["vocab"])
        except json.JSONDecodeError:
            raise WeightsError(f"{path}: the 'vocab' metadata is not a JSON list; pass vocab=...") from None
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise WeightsError(f"{path}: the 'vocab' metadata is not a JSON list of strings; pass vocab=...")
    else:
        raise WeightsError(f"{path}: the file has no vocabulary; pass vocab=FILE (one token a line)")
    cell_name = cell or metadata.get("cell")
    if cell_name is None:
        raise WeightsError(f"{path}: the file does not say its cell type; pass cell='lstm', 'gru' or 'rnn'")
    meta = {k: v for k, v in metadata.items() if k not in ("vocab", "cell")}
    try:
        return Model(tensors, cell_name, tokens, dtype=dtype, metadata=meta)
    except WeightsError as err:
        raise WeightsError(f"{path}: {err}") from None
