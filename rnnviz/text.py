"""Text from files and users made safe to print: control characters shown as escapes, never obeyed.

A tensor name, a vocabulary token or a file name is data, and a terminal obeys some data: ESC starts a
sequence that can retitle the window or clear it, C1 0x9b is a one-byte CSI, a bidi override reorders
what follows. `printable` writes every character Python does not count as printable (C0, DEL, C1,
format characters such as bidi overrides, line and paragraph separators) the way a Python literal
would (`\\x1b`, `\\u202e`), so the user sees what the file holds. The viewer and every command use it.
No NumPy, no Rich: any layer may import it.
"""

from __future__ import annotations

from functools import lru_cache

LAYOUT = "\n\t"  # what `printable(text, keep=LAYOUT)` leaves alone in multi-line output


@lru_cache(maxsize=4096)
def printable(text: str, keep: str = "") -> str:
    """`text` with every non-printable character (except those in `keep`) written as its escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in keep else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    return repr(ch)[1:-1] if ch not in "'\"" else ch
