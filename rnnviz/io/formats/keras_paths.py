"""Keras weights keyed by their variable paths, as `model.weights` names them (in an .npz).

Keras 3 paths look like `sequential/lstm/lstm_cell/kernel` (tf.keras 2: `lstm/lstm_cell/kernel:0`):
the component before `<type>_cell` is the layer; `embeddings` marks the embedding, and a kernel outside
any cell the Dense layer. With no config, layer order is the file's, or the `_1`, `_2` numbering Keras
gives repeated layers.
"""

from __future__ import annotations

import re

import numpy as np

from rnnviz.errors import WeightsError
from rnnviz.io.formats.keras_layers import KerasLayer

KERAS_VARIABLES = {"kernel", "recurrent_kernel", "bias", "embeddings"}
CELLS = {"lstm_cell": "lstm", "gru_cell": "gru", "simple_rnn_cell": "simple_rnn"}
_NUMBERED = re.compile(r"^(?P<base>.*?)(?:_(?P<n>\d+))?$")


def looks_like_keras_paths(names: list[str]) -> bool:
    return bool(names) and all("/" in n and _variable(n) in KERAS_VARIABLES for n in names)


def layers_from_paths(tensors: dict[str, np.ndarray]) -> list[KerasLayer]:
    layers: dict[str, KerasLayer] = {}
    for name, value in tensors.items():
        parts = name.split(":")[0].split("/")
        if any(p == "bidirectional" or p.startswith(("forward_", "backward_")) for p in parts):
            raise WeightsError(
                f"tensor {name!r} belongs to a bidirectional layer, which is not supported yet: "
                "rnnviz shows one direction"
            )
        var = parts[-1]
        if len(parts) >= 3 and parts[-2] in CELLS:
            key, kind = "/".join(parts[:-2]), CELLS[parts[-2]]
        elif len(parts) >= 3 and parts[-2].endswith("_cell"):
            raise WeightsError(f"tensor {name!r}: the cell type {parts[-2]!r} is not supported")
        else:
            key, kind = "/".join(parts[:-1]), "embedding" if var == "embeddings" else "dense"
        layer = layers.setdefault(key, KerasLayer(kind, key.split("/")[-1], {}))
        if layer.kind != kind or var in layer.weights:
            raise WeightsError(f"tensor {name!r} does not fit layer {key!r}: the paths are inconsistent")
        layer.weights[var] = value
    return _ordered(list(layers.values()))


def _ordered(layers: list[KerasLayer]) -> list[KerasLayer]:
    """Embedding first, Dense last, recurrent layers by Keras' numbering when they all share one base name."""
    first = [la for la in layers if la.kind == "embedding"]
    last = [la for la in layers if la.kind == "dense"]
    middle = [la for la in layers if la.kind not in ("embedding", "dense")]
    numbered = [_NUMBERED.match(la.name) for la in middle]
    if middle and len({m.group("base") for m in numbered if m}) == 1:
        middle.sort(key=lambda la: int(_NUMBERED.match(la.name).group("n") or 0))
    return first + middle + last


def _variable(name: str) -> str:
    return name.split(":")[0].split("/")[-1]
