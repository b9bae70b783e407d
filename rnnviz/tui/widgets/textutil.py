"""User text made safe for a terminal cell grid: control characters shown as escapes, widths in cells."""

from __future__ import annotations

from functools import lru_cache

from rich.cells import cell_len, set_cell_size


@lru_cache(maxsize=4096)
def visible(text: str) -> str:
    """The text with control characters written as escapes, so `\\x1b[31m` shows as typed, not as a color."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def fit(text: str, cells: int) -> str:
    """Exactly `cells` terminal cells of visible text: cropped or padded with spaces."""
    return set_cell_size(visible(text), cells)


def width(text: str) -> int:
    """Cells the visible text takes."""
    return cell_len(visible(text))
