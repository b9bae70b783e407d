"""Read a PyTorch `.pt` state dict through `torch.load(weights_only=True)`, when torch is installed.

`weights_only=True` is PyTorch's restricted loader: it rebuilds tensors and plain containers and refuses
anything else, so no code from the file runs. A whole pickled model (`torch.save(model)`) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rnnviz.errors import WeightsError, first_line
from rnnviz.io.formats.found import Found

SAVE_AS_SAFETENSORS = (
    "or save the state dict as safetensors: "
    'safetensors.torch.save_file(model.state_dict(), "model.safetensors")'
)
# Where training scripts commonly nest the state dict inside a checkpoint dict.
NESTED_KEYS = ("state_dict", "model_state_dict", "model", "net", "module")


def read_torch(path: Path) -> Found:
    try:
        import torch
    except ImportError:
        raise WeightsError(
            f"this is a PyTorch .pt file; reading it needs PyTorch (pip install torch), {SAVE_AS_SAFETENSORS}"
        ) from None
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises any of a dozen types for a damaged or unsafe file
        if "weights_only" in str(err) or "Unsupported global" in str(err):
            raise WeightsError(
                "this .pt file holds a pickled Python object (a whole model?), which rnnviz never unpickles: "
                "if you trust it, convert it with demos/convert_torch_checkpoint.py, " + SAVE_AS_SAFETENSORS
            ) from None
        reason = first_line(err)[:120]
        raise WeightsError(f"not a readable PyTorch file ({reason})") from None
    state = _state_dict(loaded, torch)
    found = Found("pytorch state dict", {})
    for name, tensor in state.items():
        found.tensors[name] = _to_numpy(name, tensor, torch, found.stored_dtypes)
    return found


def _state_dict(loaded: Any, torch: Any) -> Mapping[str, Any]:
    """The dict of tensors, directly or under one of the usual checkpoint keys."""
    if isinstance(loaded, Mapping):
        tensors = {k: v for k, v in loaded.items() if isinstance(v, torch.Tensor)}
        if tensors and len(tensors) == len(loaded):
            return tensors
        for key in NESTED_KEYS:
            inner = loaded.get(key)
            if (
                isinstance(inner, Mapping)
                and inner
                and all(isinstance(v, torch.Tensor) for v in inner.values())
            ):
                return inner
        if tensors:
            return tensors
    raise WeightsError(
        "this .pt file holds no state dict (a dict of tensors): save model.state_dict(), "
        + SAVE_AS_SAFETENSORS
    )


def _to_numpy(name: str, tensor: Any, torch: Any, stored: dict[str, str]) -> np.ndarray:
    stored[name] = str(tensor.dtype).removeprefix("torch.")
    tensor = tensor.detach().cpu()
    if tensor.is_floating_point() and tensor.dtype not in (torch.float32, torch.float64):
        tensor = tensor.to(torch.float32)  # float16, bfloat16: widened, as for other formats
    try:
        return tensor.numpy()
    except (TypeError, RuntimeError):
        raise WeightsError(f"tensor {name!r} has dtype {stored[name]}, which rnnviz cannot use") from None
