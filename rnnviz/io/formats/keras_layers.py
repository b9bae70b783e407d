"""Keras `Embedding → LSTM|GRU|SimpleRNN (one or more, one type) → Dense` turned into native tensors.

Keras keeps a kernel (in, G·H) and a recurrent kernel (H, G·H) per layer, i.e. the transposes of PyTorch's
W_ih and W_hh. Gate order: LSTM i, f, c, o is PyTorch's i, f, g, o; GRU z, r, h becomes r, z, n.
A GRU with `reset_after=True` (Keras 3's default) computes exactly PyTorch's GRU, its bias (2, 3H) holding
the input and the recurrent bias; with `reset_after=False` the reset gate multiplies h before the recurrent
matrix, which no PyTorch-style GRU can express, so it is refused. One bias per layer goes to `bias_ih`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnviz.errors import WeightsError

RECURRENT = {"lstm": ("lstm", 4), "gru": ("gru", 3), "simple_rnn": ("rnn", 1)}
DECODER_ACTIVATIONS = {None, "linear", "softmax", "log_softmax"}  # all give the same softmax over outputs
SHAPE_OF_MODEL = (
    "rnnviz reads [Embedding →] LSTM|GRU|SimpleRNN (one or more of one type, Bidirectional or not) → Dense"
)


@dataclass
class KerasLayer:
    kind: str  # "embedding", "lstm", "gru", "simple_rnn", "dense"
    name: str
    weights: dict[str, np.ndarray]  # embeddings | kernel, recurrent_kernel, bias
    config: dict[str, Any] = field(default_factory=dict)  # empty when only the weights are known (.npz)
    reverse: dict[str, np.ndarray] | None = None  # a Bidirectional layer's backward weights


@dataclass
class Converted:
    tensors: dict[str, np.ndarray]
    cell: str
    notes: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)  # e.g. head=classifier


def check_kinds(kinds: list[str]) -> None:
    """[Embedding,] then one or more recurrent layers of one type, then Dense; else a message."""
    recurrent = [kind for kind in kinds if kind in RECURRENT]
    if len(set(recurrent)) > 1:
        raise WeightsError(
            f"mixed recurrent layer types ({' → '.join(recurrent)}) are not supported: {SHAPE_OF_MODEL}"
        )
    if not recurrent or kinds not in (["embedding", *recurrent, "dense"], [*recurrent, "dense"]):
        raise WeightsError(f"this Keras model is {' → '.join(kinds) or 'empty'}: {SHAPE_OF_MODEL}")


def convert(layers: list[KerasLayer]) -> Converted:
    check_kinds([layer.kind for layer in layers])
    recurrent = [layer for layer in layers if layer.kind in RECURRENT]
    dense = layers[-1]
    cell = _cell_name(recurrent)
    if layers[0].kind == "embedding":
        out = Converted({"encoder.weight": _var(layers[0], "embeddings", 2)}, cell)
    else:  # one-hot inputs (keras-io's character LSTM): x_t = e_id, so the embedding is the identity
        kernel = _var(recurrent[0], "kernel", 2)
        out = Converted({"encoder.weight": np.eye(kernel.shape[0], dtype=kernel.dtype)}, cell)
        out.notes.append(f"one-hot inputs ({kernel.shape[0]} symbols): read through an identity embedding")
    if any(layer.reverse is not None for layer in recurrent) and not all(
        layer.reverse is not None for layer in recurrent
    ):
        raise WeightsError(
            "some recurrent layers are Bidirectional and some are not: rnnviz reads all or none"
        )
    for k, layer in enumerate(recurrent):
        directions = [("", layer.weights)] + ([("_reverse", layer.reverse)] if layer.reverse else [])
        for suffix, weights in directions:
            w_ih, w_hh, b_ih, b_hh = _recurrent_layer(
                KerasLayer(layer.kind, layer.name, weights, layer.config)
            )
            out.tensors.update(
                {f"rnn.weight_ih_l{k}{suffix}": w_ih, f"rnn.weight_hh_l{k}{suffix}": w_hh,
                 f"rnn.bias_ih_l{k}{suffix}": b_ih, f"rnn.bias_hh_l{k}{suffix}": b_hh}
            )  # fmt: skip
    kernel = _var(dense, "kernel", 2)
    _check_head_activation(dense, kernel.shape[1], out)
    out.tensors["decoder.weight"] = kernel.T
    out.tensors["decoder.bias"] = dense.weights.get("bias", np.zeros(kernel.shape[1], kernel.dtype))
    if not recurrent[0].config:
        out.notes.append("no Keras config: activations assumed Keras' defaults (tanh, sigmoid)")
    if layers[0].kind == "embedding" and layers[0].config.get("mask_zero"):
        out.notes.append("Embedding(mask_zero=True): Keras skips id 0 as padding; rnnviz reads it as a word")
    return out


def _check_head_activation(dense: KerasLayer, units: int, out: Converted) -> None:
    """softmax, log_softmax and linear logits give the same distribution; one sigmoid unit is two classes."""
    activation = _activation(dense, "activation", None) if dense.config else None
    if activation == "sigmoid" and units == 1:
        out.metadata["head"] = "classifier"
        out.notes.append(f"Keras layer {dense.name!r}: one sigmoid output, read as two classes [1 − p, p]")
        return
    if activation == "sigmoid":
        raise WeightsError(
            f"Keras layer {dense.name!r} has {units} independent sigmoid outputs (multi-label): rnnviz reads "
            "a softmax over classes or one sigmoid"
        )
    _check_activation(dense, "activation", DECODER_ACTIVATIONS)


def _cell_name(recurrent: list[KerasLayer]) -> str:
    kind = recurrent[0].kind
    if kind != "simple_rnn":
        return kind
    activations = {_activation(layer, "activation", "tanh") for layer in recurrent}
    if len(activations) > 1 or not activations <= {"tanh", "relu"}:
        raise WeightsError(
            f"SimpleRNN activations {sorted(map(str, activations))} are not supported: use tanh or relu, "
            "the same in every layer"
        )
    return f"rnn_{activations.pop()}"


def _recurrent_layer(layer: KerasLayer) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(W_ih, W_hh, b_ih, b_hh) in PyTorch's layout and gate order."""
    cfg = layer.config
    if cfg.get("go_backwards"):
        raise WeightsError(
            f"Keras layer {layer.name!r} runs backwards (go_backwards=True): not supported yet"
        )
    if layer.kind != "simple_rnn":
        _check_activation(layer, "activation", {"tanh"})
        _check_activation(layer, "recurrent_activation", {"sigmoid"})
    gates = RECURRENT[layer.kind][1]
    kernel, recurrent = _var(layer, "kernel", 2), _var(layer, "recurrent_kernel", 2)
    hidden = recurrent.shape[0]
    for var, value in (("kernel", kernel), ("recurrent_kernel", recurrent)):
        if value.shape[1] != gates * hidden:
            raise WeightsError(
                f"Keras layer {layer.name!r}: {var} has shape {value.shape}, expected (…, {gates * hidden}) "
                f"for {hidden} units"
            )
    bias = layer.weights.get("bias")
    zeros = np.zeros(gates * hidden, dtype=kernel.dtype)
    if layer.kind == "gru":
        reset_after = cfg.get("reset_after", bias is None or bias.ndim == 2)
        if not reset_after:
            raise WeightsError(
                f"Keras GRU {layer.name!r} uses reset_after=False (Keras 2's default), which applies the "
                "reset gate before the recurrent matrix: no exact conversion exists; retrain with "
                "reset_after=True"
            )
        if bias is not None and bias.shape != (2, 3 * hidden):
            raise WeightsError(
                f"Keras GRU {layer.name!r}: bias has shape {bias.shape}, expected (2, {3 * hidden})"
            )
        b_ih, b_hh = (bias[0], bias[1]) if bias is not None else (zeros, zeros)
        return _zrh_to_rzn(kernel.T), _zrh_to_rzn(recurrent.T), _zrh_to_rzn(b_ih), _zrh_to_rzn(b_hh)
    if bias is not None and bias.shape != (gates * hidden,):
        raise WeightsError(
            f"Keras layer {layer.name!r}: bias has shape {bias.shape}, expected ({gates * hidden},)"
        )
    return kernel.T, recurrent.T, zeros if bias is None else bias, zeros


def _zrh_to_rzn(values: np.ndarray) -> np.ndarray:
    """Keras' GRU blocks (z, r, h) along the first axis → PyTorch's (r, z, n)."""
    z, r, h = np.split(values, 3, axis=0)
    return np.concatenate([r, z, h], axis=0)


def _var(layer: KerasLayer, name: str, ndim: int) -> np.ndarray:
    value = layer.weights.get(name)
    if value is None:
        raise WeightsError(f"Keras layer {layer.name!r} has no {name!r} weights: the file is incomplete")
    if value.ndim != ndim:
        raise WeightsError(
            f"Keras layer {layer.name!r}: {name} has shape {value.shape}, expected {ndim} dimensions"
        )
    return value


def _check_activation(layer: KerasLayer, key: str, allowed: set[str | None]) -> None:
    if not layer.config:
        return
    value = _activation(layer, key, None)
    if value not in allowed:
        shown = ", ".join(sorted(str(a) for a in allowed))
        raise WeightsError(
            f"Keras layer {layer.name!r} has {key}={value!r}, which is not supported: use {shown}"
        )


def _activation(layer: KerasLayer, key: str, default: str | None) -> str | None:
    """An activation's name from a layer config, where it is a string or a serialized object."""
    value = layer.config.get(key, default)
    if isinstance(value, dict):
        inner = value.get("config")
        value = inner.get("name") if isinstance(inner, dict) else value.get("class_name")
    return value if value is None else str(value)
