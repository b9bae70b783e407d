"""User text made safe for a terminal cell grid: control characters shown as escapes, widths in cells."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

from rnnviz.text import printable as visible  # the one rule for every output: `\x1b[31m` shows as typed

__all__ = ["fit", "visible", "width"]


def fit(text: str, cells: int) -> str:
    """Exactly `cells` terminal cells of visible text: cropped or padded with spaces."""
    return set_cell_size(visible(text), cells)


def width(text: str) -> int:
    """Cells the visible text takes."""
    return cell_len(visible(text))
