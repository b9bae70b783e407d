"""What a reader found in a file, before any validation: the common currency of the readers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Found:
    """Tensors as the file names them, widened to float32 where stored narrower, and what the file says."""

    format: str  # e.g. "safetensors", "npz", "keras", "pytorch state dict"
    tensors: dict[str, np.ndarray]
    stored_dtypes: dict[str, str] = field(default_factory=dict)  # name → dtype in the file ("bfloat16", …)
    metadata: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    modules: dict[str, str] = field(default_factory=dict)  # module path → class, for whole pickled models


def widen(name: str, value: np.ndarray, found_dtypes: dict[str, str]) -> np.ndarray:
    """float16 becomes float32 (and is noted); everything else stays as stored for validation to judge."""
    found_dtypes[name] = str(value.dtype)
    if value.dtype == np.float16:
        return value.astype(np.float32)
    return value
