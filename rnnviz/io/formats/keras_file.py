"""Read a Keras 3 `.keras` file: `config.json` for the architecture, `model.weights.h5` for the weights.

Only JSON and arrays are read; no Keras object is deserialized, so Keras itself is not needed (h5py is).
In the HDF5 file a layer's variables sit at `layers/<path>/vars/<i>` (recurrent layers: `.../cell/vars/<i>`)
where <path> is the snake_case class name, numbered `_1`, `_2`, … for repeats, in the model's layer order.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from rnnviz.errors import WeightsError, first_line
from rnnviz.io.files import memory_budget
from rnnviz.io.formats.found import Found, widen
from rnnviz.io.formats.keras_layers import SHAPE_OF_MODEL, KerasLayer, check_kinds
from rnnviz.io.formats.zipped import MAX_EXPANSION, open_zip, read_member

KINDS = {"Embedding": "embedding", "LSTM": "lstm", "GRU": "gru", "SimpleRNN": "simple_rnn", "Dense": "dense"}
VARIABLES = {
    "embedding": ("embeddings",),
    "dense": ("kernel", "bias"),
    "lstm": ("kernel", "recurrent_kernel", "bias"),
    "gru": ("kernel", "recurrent_kernel", "bias"),
    "simple_rnn": ("kernel", "recurrent_kernel", "bias"),
}
# Layers that do nothing when a trained model reads a sentence.
PASS_THROUGH = {
    "InputLayer", "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "ActivityRegularization",
}  # fmt: skip
NEEDS_H5PY = 'reading .keras files needs h5py: pip install "rnnviz[keras]"'


def read_keras(path: Path) -> tuple[Found, list[KerasLayer]]:
    with open_zip(path, ".keras file") as archive:
        config = _parse_config(read_member(archive, "config.json", ".keras file"))
        weights_h5 = read_member(archive, "model.weights.h5", ".keras file")
    layer_configs = _layer_configs(config)
    check_kinds([KINDS[class_name] for class_name, _, _ in layer_configs])
    try:
        import h5py
    except ImportError:
        raise WeightsError(NEEDS_H5PY) from None
    found = Found("keras", {}, metadata={"keras_model": str(config.get("class_name"))})
    layers: list[KerasLayer] = []
    budget = [memory_budget(path.stat().st_size)]  # bytes the datasets may still unpack to
    try:
        with h5py.File(io.BytesIO(weights_h5), "r") as h5:
            for class_name, cfg, h5_name in layer_configs:
                kind = KINDS[class_name]
                layer = KerasLayer(kind, str(cfg.get("name", h5_name)), {}, cfg)
                directions = [("", layer.weights)]
                if cfg.get("bidirectional"):  # layers/<name>/forward_layer/cell/vars, backward_layer/…
                    layer.reverse = {}
                    directions = [("forward_layer/", layer.weights), ("backward_layer/", layer.reverse)]
                for prefix, into in directions:
                    for var, value in _variables(h5, f"{h5_name}/{prefix}".rstrip("/"), kind, budget).items():
                        shown = f"{layer.name}/{prefix}{var}"
                        into[var] = found.tensors[shown] = widen(shown, value, found.stored_dtypes)
                layers.append(layer)
    except WeightsError:
        raise
    except Exception as err:  # h5py raises many types (OSError, KeyError, ValueError, …) for a damaged file
        reason = first_line(err)[:120]
        raise WeightsError(f"the weights inside the .keras file are not readable ({reason})") from None
    return found, layers


def _parse_config(raw: bytes) -> dict[str, Any]:
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise WeightsError("the .keras file's config.json is not valid JSON: the file is damaged") from None
    if not isinstance(config, dict):
        raise WeightsError("the .keras file's config.json is not a JSON object: the file is damaged")
    return config


def _layer_configs(config: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """(class name, layer config, HDF5 group name) of each layer that carries weights, in order."""
    model_class = config.get("class_name")
    inner = config.get("config")
    if model_class not in ("Sequential", "Functional") or not isinstance(inner, dict):
        raise WeightsError(
            f"this .keras file holds a {model_class!r} model: rnnviz reads Sequential and functional models "
            f"({SHAPE_OF_MODEL})"
        )
    entries = inner.get("layers")
    if not isinstance(entries, list):
        raise WeightsError("the .keras file's config.json lists no layers: the file is damaged")
    seen: dict[str, int] = {}
    out: list[tuple[str, dict[str, Any], str]] = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
            raise WeightsError("the .keras file's config.json has a malformed layer: the file is damaged")
        class_name, cfg = str(entry.get("class_name")), entry["config"]
        base = _snake_case(class_name)
        count = seen.get(base, 0)
        seen[base] = count + 1
        h5_name = base if count == 0 else f"{base}_{count}"
        if class_name in PASS_THROUGH or (class_name == "Activation" and _is_softmax_after_dense(cfg, out)):
            continue
        if class_name == "Bidirectional":
            class_name, cfg = _bidirectional(cfg)
        if class_name not in KINDS:
            raise WeightsError(
                f"Keras layer {cfg.get('name')!r} ({class_name}) is not supported: {SHAPE_OF_MODEL}"
            )
        out.append((class_name, cfg, h5_name))
    return out


def _bidirectional(cfg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The wrapped layer's class and config, marked bidirectional; only `concat` matches PyTorch's layout."""
    name = cfg.get("name")
    wrapped = cfg.get("layer")
    if not isinstance(wrapped, dict) or not isinstance(wrapped.get("config"), dict):
        raise WeightsError(f"Keras layer {name!r} (Bidirectional) wraps no layer: the file is damaged")
    if cfg.get("merge_mode", "concat") != "concat":
        raise WeightsError(
            f"Keras layer {name!r} merges its two directions by {cfg.get('merge_mode')!r}: rnnviz reads "
            "merge_mode='concat' (forward units first, as PyTorch's bidirectional layers)"
        )
    inner = dict(wrapped["config"], name=name, bidirectional=True)
    return str(wrapped.get("class_name")), inner


def _is_softmax_after_dense(cfg: dict[str, Any], so_far: list[tuple[str, dict[str, Any], str]]) -> bool:
    return bool(so_far) and so_far[-1][0] == "Dense" and cfg.get("activation") in ("softmax", "linear")


def _dataset(dset: Any, where: str, budget: list[int]) -> np.ndarray:
    """One HDF5 dataset's values, after checking from its header what reading it would cost.

    Refused: external storage (the values live in another file, any file, named by this one),
    unallocated storage (nothing was ever written), a declared size over the budget, and a
    compressed size that could only come from a bomb.
    """
    import h5py

    if not isinstance(dset, h5py.Dataset):
        raise WeightsError(f"the .keras file has a group, not an array, at {where!r}: the file is damaged")
    if dset.id.get_create_plist().get_external_count() > 0 or dset.external:
        raise WeightsError(
            f"the array at {where!r} keeps its values in another file (HDF5 external storage), "
            "which rnnviz never reads"
        )
    declared = int(dset.size) * dset.dtype.itemsize
    stored = int(dset.id.get_storage_size())
    if declared and stored == 0:
        raise WeightsError(f"the array at {where!r} has no stored values (its storage was never written)")
    if declared > budget[0]:
        raise WeightsError(
            f"the array at {where!r} declares {declared:,} bytes, more than the file can hold "
            "(20× its size plus 200 MB): the file is damaged or forged"
        )
    if declared > MAX_EXPANSION * stored + 1024:
        raise WeightsError(f"the array at {where!r} claims an impossible compression ratio: a bomb or damage")
    budget[0] -= declared
    return np.asarray(dset[()])


def _variables(h5: Any, h5_name: str, kind: str, budget: list[int]) -> dict[str, np.ndarray]:
    """A layer's arrays by Keras variable name; a missing bias (use_bias=False) is simply absent."""
    group_path = (
        f"layers/{h5_name}/cell/vars" if kind in ("lstm", "gru", "simple_rnn") else f"layers/{h5_name}/vars"
    )
    if group_path not in h5:
        raise WeightsError(f"the .keras file has no weights at {group_path!r}: the file is incomplete")
    group = h5[group_path]
    arrays = [_dataset(group[str(i)], f"{group_path}/{i}", budget) for i in range(len(group))]
    names = VARIABLES[kind]
    if kind != "embedding" and len(arrays) == len(names) - 1:
        names = names[:-1]  # use_bias=False
    if len(arrays) != len(names):
        raise WeightsError(
            f"the .keras file has {len(arrays)} arrays at {group_path!r}, expected {len(names)} "
            f"({', '.join(names)})"
        )
    return dict(zip(names, arrays, strict=True))


def _snake_case(name: str) -> str:
    """Keras' own rule for naming a layer's weights group after its class (SimpleRNN → simple_rnn)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
