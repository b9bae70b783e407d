"""Color scales shared by the static render and the TUI, as lookup tables of hex colors.

Diverging (hidden and cell state): −1 blue … 0 dark … +1 red. Sequential (gates): 0 dark … 1 bright.
Values are quantized to LEVELS steps, so a renderer can cache one style per step.
"""

from __future__ import annotations

import numpy as np

LEVELS = 33  # odd, so 0 falls exactly on the middle step

_NEGATIVE = np.array([66, 133, 244])  # blue
_ZERO = np.array([28, 28, 32])  # dark, near a terminal background
_POSITIVE = np.array([234, 67, 53])  # red
_GATE_LOW = np.array([24, 24, 36])
_GATE_HIGH = np.array([255, 214, 10])  # amber: "open"


def _hex(rgb: np.ndarray) -> str:
    r, g, b = (int(round(v)) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _diverging_table() -> list[str]:
    out = []
    for k in range(LEVELS):
        v = 2 * k / (LEVELS - 1) - 1  # −1 … 1
        end = _POSITIVE if v > 0 else _NEGATIVE
        out.append(_hex(_ZERO + (end - _ZERO) * abs(v)))
    return out


def _sequential_table() -> list[str]:
    return [_hex(_GATE_LOW + (_GATE_HIGH - _GATE_LOW) * (k / (LEVELS - 1))) for k in range(LEVELS)]


DIVERGING: list[str] = _diverging_table()
SEQUENTIAL: list[str] = _sequential_table()


def diverging_index(values: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Step of each value in DIVERGING, clipping at ±scale; NaN maps to the middle (0)."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64) / scale, nan=0.0)
    return np.rint((np.clip(v, -1, 1) + 1) * (LEVELS - 1) / 2).astype(np.intp)


def sequential_index(values: np.ndarray) -> np.ndarray:
    """Step of each value in SEQUENTIAL, clipping to [0, 1]."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0)
    return np.rint(np.clip(v, 0, 1) * (LEVELS - 1)).astype(np.intp)


def state_scale(values: np.ndarray) -> float:
    """The ± range a state heatmap uses: 1 for tanh-bounded values, else the largest magnitude."""
    finite = np.abs(values[np.isfinite(values)])
    peak = float(finite.max()) if finite.size else 1.0
    return max(1.0, peak)
