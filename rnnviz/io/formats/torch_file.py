"""Read `.pt` / `.pth` files from `torch.save`: state dicts, checkpoints and whole pickled models.

No torch is needed and nothing from the file runs: `torch_pickle` unpickles into inert records. For a
whole model (`torch.save(model)`, as pytorch/examples `word_language_model` and char-rnn save), the
module tree says what the state dict cannot: the recurrent module's class and `mode` (LSTM, GRU,
RNN_TANH, RNN_RELU), its `nonlinearity`, and whether it has biases, projections or two directions.
Those facts go into the metadata the rest of the reader already understands (`cell`, …).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rnnviz.errors import WeightsError
from rnnviz.io.formats.found import Found
from rnnviz.io.formats.torch_pickle import ModuleInfo, TorchPickle, read_torch_pickle

# torch.nn's recurrent classes, and what their `mode` attribute names
RECURRENT_CLASSES = ("torch.nn.modules.rnn.LSTM", "torch.nn.modules.rnn.GRU", "torch.nn.modules.rnn.RNN")
MODE_TO_CELL = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}
OPTIONS = ("num_layers", "bias", "bidirectional", "proj_size", "batch_first", "dropout")


def read_torch(path: Path) -> Found:
    loaded = read_torch_pickle(path)
    found = Found(_format_name(loaded), loaded.tensors, dict(loaded.stored_dtypes))
    found.notes.extend(loaded.notes)
    found.modules = {p: m.class_path for p, m in loaded.modules.items()}
    recurrent = _recurrent_modules(loaded)
    if loaded.kind == "whole model" and not recurrent:
        classes = sorted({m.class_path.rsplit(".", 1)[-1] for m in loaded.modules.values()})
        raise WeightsError(
            f"this pickled model ({', '.join(classes)}) has no nn.RNN, nn.LSTM or nn.GRU: "
            "rnnviz shows recurrent networks"
        )
    if len(recurrent) == 1:
        ((where, info),) = recurrent.items()
        found.metadata.update(_recurrent_metadata(where, info))
    return found


def _format_name(loaded: TorchPickle) -> str:
    if loaded.kind == "whole model":
        root = loaded.modules.get("")
        return f"PyTorch whole model ({root.class_path})" if root else "PyTorch whole model"
    return f"PyTorch {loaded.kind}"


def _recurrent_modules(loaded: TorchPickle) -> dict[str, ModuleInfo]:
    return {p: m for p, m in loaded.modules.items() if m.class_path in RECURRENT_CLASSES}


def _recurrent_metadata(where: str, info: ModuleInfo) -> dict[str, str]:
    """`cell` exactly as the module computes it (relu vs tanh from `mode`/`nonlinearity`), and options."""
    attrs = info.attributes
    out: dict[str, str] = {"torch_module": where or "(root)"}
    cell = _cell_of(info.class_path, attrs)
    if cell is not None:
        out["cell"] = cell
    for key in OPTIONS:
        value = attrs.get(key)
        if isinstance(value, bool | int | float) and not isinstance(value, bool) or isinstance(value, bool):
            out[f"torch_{key}"] = str(value)
    return out


def _cell_of(class_path: str, attrs: dict[str, Any]) -> str | None:
    mode = attrs.get("mode")
    if isinstance(mode, str) and mode.upper() in MODE_TO_CELL:
        return MODE_TO_CELL[mode.upper()]
    if class_path.endswith(".LSTM"):
        return "lstm"
    if class_path.endswith(".GRU"):
        return "gru"
    nonlinearity = attrs.get("nonlinearity")
    if class_path.endswith(".RNN") and nonlinearity in ("tanh", "relu"):
        return f"rnn_{nonlinearity}"
    return None
