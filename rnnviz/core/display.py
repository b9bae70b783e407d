"""How a notebook draws a Model or a Trace, while the core stays NumPy only.

Jupyter asks the object itself for `_repr_html_`, but drawing is Rich's work, in `rnnviz.render`,
which the core may not import (tests/test_layers.py). So the core keeps one slot: a function from
an object to HTML. `rnnviz/__init__.py` fills it (through `rnnviz.notebook`) with a function that
imports the renderer only when a picture is first asked for, so `import rnnviz` and running a
model never load Rich (tests/test_import_hygiene.py). With the slot empty, `_repr_html_` returns
None and a notebook shows the plain repr.
"""

from __future__ import annotations

from collections.abc import Callable

HtmlRenderer = Callable[[object], "str | None"]

_renderer: HtmlRenderer | None = None


def set_html_renderer(renderer: HtmlRenderer | None) -> None:
    """Install the function that turns a Model or a Trace into an HTML fragment (None: remove it)."""
    global _renderer
    _renderer = renderer


def html_of(obj: object) -> str | None:
    """The object's HTML picture, or None when no renderer is installed or it cannot draw `obj`."""
    return None if _renderer is None else _renderer(obj)
