"""Block glyphs shared by the static render and the viewer (no Rich here)."""

from __future__ import annotations

EIGHTHS = " ▁▂▃▄▅▆▇█"  # EIGHTHS[k]: the lower k/8 of a character cell filled, k = 0..8 (bars over rows)
SPARKS = EIGHTHS[1:]  # one mark a value, lowest to highest; never blank, so every value shows
