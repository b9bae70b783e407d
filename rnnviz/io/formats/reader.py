"""Any supported weights file → tensors under native names, a cell type and what the file says of itself.

Two stages, so `rnnviz inspect` can still show a file's tensors when mapping them fails:
`read_found` reads the file as it is; `interpret` maps it onto the native model layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnviz.core.cells import CELL_ALIASES, STORED_NAMES
from rnnviz.errors import WeightsError
from rnnviz.io.files import regular_file
from rnnviz.io.formats.found import Found
from rnnviz.io.formats.keras_layers import KerasLayer, convert
from rnnviz.io.formats.keras_paths import layers_from_paths, looks_like_keras_paths
from rnnviz.io.formats.minchar_names import from_minchar_names, looks_like_minchar
from rnnviz.io.formats.sniff import sniff
from rnnviz.io.formats.torch_names import from_torch_names, infer_cell

CELL_METADATA_KEYS = ("cell", "rnn_type", "model")  # word_language_model's --model: LSTM, GRU, RNN_TANH, …
NARROW_FLOATS = ("float16", "bfloat16")


@dataclass
class WeightsFile:
    """A weights file mapped onto native names; validation happens when a Model is built from it."""

    path: Path
    found: Found
    tensors: dict[str, np.ndarray]
    cell: str | None  # as the file tells or its shapes imply; None when they cannot
    cell_source: str  # "metadata", "Keras config", "shapes", ""
    notes: list[str] = field(default_factory=list)


def read(path: Path) -> WeightsFile:
    found, layers = read_found(path)
    return interpret(path, found, layers)


def read_found(path: Path) -> tuple[Found, list[KerasLayer] | None]:
    """The file's tensors as it names them, plus Keras layers when it is a .keras file."""
    check_path(path)
    try:
        kind = sniff(path)
        if kind == "safetensors":
            from rnnviz.io.formats.safetensors_file import read_safetensors

            return read_safetensors(path), None
        if kind == "npz":
            from rnnviz.io.formats.npz_file import read_npz

            return read_npz(path), None
        if kind == "keras":
            from rnnviz.io.formats.keras_file import read_keras

            return read_keras(path)
        from rnnviz.io.formats.torch_file import read_torch

        return read_torch(path), None
    except WeightsError as err:
        raise WeightsError(f"{path}: {err}") from None
    except OSError as err:
        raise WeightsError(f"{path}: cannot read the file ({err.strerror or err})") from None
    except MemoryError:
        raise WeightsError(f"{path}: not enough memory to read the file's tensors") from None


def check_path(path: Path) -> None:
    if path.is_dir():
        inside = sorted(
            p.name for p in path.iterdir() if p.suffix in (".safetensors", ".npz", ".keras", ".pt")
        )
        hint = f" (it holds {', '.join(inside[:3])})" if inside else ""
        raise WeightsError(f"{path}: is a directory; give a weights file inside it{hint}")
    info = regular_file(path, WeightsError, "give a weights file or one of rnn, lstm, gru")
    if info.st_size == 0:
        raise WeightsError(f"{path}: the file is empty; it holds no weights")


def interpret(path: Path, found: Found, layers: list[KerasLayer] | None) -> WeightsFile:
    try:
        if layers is None and looks_like_keras_paths(list(found.tensors)):
            layers = layers_from_paths(found.tensors)
            found.format += " (Keras weights)"
        if layers is not None:
            converted = convert(layers)
            source = "Keras config" if layers[0].config else "Keras layer types"
            out = WeightsFile(path, found, converted.tensors, converted.cell, source, list(converted.notes))
            found.metadata.update(converted.metadata)
        elif looks_like_minchar(list(found.tensors)):
            found.format += " (min-char-rnn)"
            note = "min-char-rnn: one-hot characters read through an identity embedding"
            out = WeightsFile(
                path, found, from_minchar_names(found.tensors), "rnn_tanh", "min-char-rnn", [note]
            )
        else:
            renamed = from_torch_names(found.tensors)
            out = WeightsFile(path, found, renamed.tensors, None, "", list(renamed.notes))
            out.cell, out.cell_source = _metadata_cell(found.metadata)
            if out.cell is None:
                out.cell, note = infer_cell(out.tensors)
                out.cell_source = "shapes" if out.cell else ""
                out.notes += [note] if note else []
    except WeightsError as err:
        raise WeightsError(f"{path}: {err}") from None
    narrow = sorted({d for d in found.stored_dtypes.values() if d in NARROW_FLOATS})
    if narrow:
        out.notes.append(f"{' and '.join(narrow)} weights widened to float32")
    return out


def _metadata_cell(metadata: dict[str, str]) -> tuple[str | None, str]:
    stated = metadata.get("cell")
    if stated is not None and stated.strip().lower() not in CELL_ALIASES:
        raise WeightsError(
            f"the file's metadata names cell type {stated!r}, which rnnviz does not know: "
            f"pass cell= / --cell ({', '.join(STORED_NAMES)})"
        )
    for key in CELL_METADATA_KEYS:
        value = metadata.get(key, "").strip().lower()
        if value in CELL_ALIASES:
            return value, "metadata"
    return None, ""
