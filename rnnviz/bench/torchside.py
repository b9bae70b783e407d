"""PyTorch's own layers on the same weights and inputs, for the side-by-side forward figures."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from rnnviz.core.model import Model


def import_torch() -> ModuleType | None:
    """torch, or None when it is not installed (rnnviz never needs it)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


class TorchTwin:
    """Embedding → torch.nn.LSTM/GRU/RNN → Linear → softmax with a Model's weights, float32, CPU."""

    def __init__(self, torch: ModuleType, model: Model):
        self.torch = torch
        layers: dict[str, Any] = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
        options = {"nonlinearity": model.nonlinearity} if model.cell == "rnn" else {}
        self.rnn = layers[model.cell](model.embedding_size, model.hidden_size, model.num_layers, **options)
        tensors = {
            name: torch.from_numpy(np.asarray(value, dtype=np.float32))
            for name, value in model.weights.items()
        }
        self.rnn.load_state_dict(
            {name[len("rnn.") :]: t for name, t in tensors.items() if name.startswith("rnn.")}
        )
        self.rnn.eval()
        self.embedding = tensors["encoder.weight"]
        self.decoder_weight = tensors["decoder.weight"]
        self.decoder_bias = tensors["decoder.bias"]

    def run(self, ids: Any, decode: bool) -> Any:
        """Top-layer states (T, 1, H), or next-word probabilities (T, 1, V) when decode is set."""
        functional = self.torch.nn.functional
        with self.torch.inference_mode():
            output, _ = self.rnn(functional.embedding(ids, self.embedding))
            if decode:
                return functional.softmax(
                    functional.linear(output, self.decoder_weight, self.decoder_bias), dim=-1
                )
            return output

    def ids(self, ids: np.ndarray) -> Any:
        return self.torch.from_numpy(np.asarray(ids, dtype=np.int64)[:, None])


def threads(torch: ModuleType | None) -> int | None:
    return None if torch is None else int(torch.get_num_threads())
