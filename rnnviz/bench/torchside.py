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


class TorchTrainer:
    """nn.Embedding → nn.LSTM/GRU/RNN → nn.Linear with a Model's weights, trained as rnnviz's Trainer
    trains: mean cross-entropy over the masked positions, global-norm clipping, torch.optim.Adam with
    the same lr, betas and ε. `dtype` "float64" for gradient checks."""

    def __init__(self, torch: ModuleType, model: Model, lr: float, clip: float, dtype: str = "float32"):
        self.torch = torch
        self.dtype = getattr(torch, dtype)
        nn = torch.nn
        layers: dict[str, Any] = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
        options = {"nonlinearity": model.nonlinearity} if model.cell == "rnn" else {}
        self.embedding = nn.Embedding(len(model.vocab), model.embedding_size)
        self.rnn = layers[model.cell](model.embedding_size, model.hidden_size, model.num_layers, **options)
        self.decoder = nn.Linear(model.hidden_size, len(model.vocab))
        self.modules = {"encoder": self.embedding, "rnn": self.rnn, "decoder": self.decoder}
        for prefix, module in self.modules.items():
            module.to(self.dtype)
            state = {
                name[len(prefix) + 1 :]: torch.from_numpy(np.array(value, dtype=dtype))
                for name, value in model.weights.items()
                if name.startswith(prefix + ".")
            }
            module.load_state_dict(state)
        self.params = [p for module in self.modules.values() for p in module.parameters()]
        self.optimizer = torch.optim.Adam(self.params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
        self.clip = clip

    def batch(self, inputs: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> tuple[Any, Any, Any]:
        """A batch (T, B) as torch tensors, made once outside the timed step."""
        torch = self.torch
        return torch.from_numpy(inputs), torch.from_numpy(targets), torch.from_numpy(mask)

    def loss(self, inputs: Any, targets: Any, mask: Any, state: Any = None) -> tuple[Any, Any]:
        output, after = self.rnn(self.embedding(inputs), state)
        logits = self.decoder(output[mask])
        return self.torch.nn.functional.cross_entropy(logits, targets[mask]), after

    def step(self, inputs: Any, targets: Any, mask: Any, state: Any = None) -> tuple[float, Any]:
        """One optimizer step; the loss before it, and the final state (detached, to carry on)."""
        self.optimizer.zero_grad(set_to_none=True)
        loss, after = self.loss(inputs, targets, mask, state)
        loss.backward()
        if self.clip > 0:
            self.torch.nn.utils.clip_grad_norm_(self.params, self.clip)
        self.optimizer.step()
        detached = tuple(s.detach() for s in after) if isinstance(after, tuple) else after.detach()
        return float(loss.detach()), detached

    def grads(self, inputs: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
        """The loss gradient of every tensor under rnnviz's native names (no clipping, no step)."""
        self.optimizer.zero_grad(set_to_none=True)
        loss, _ = self.loss(*self.batch(inputs, targets, mask))
        loss.backward()
        return {
            f"{prefix}.{name}": p.grad.detach().numpy().copy()
            for prefix, module in self.modules.items()
            for name, p in module.named_parameters()
        }
