"""Pictures in a notebook: `rnnviz.show(model, text)`, and the renderer behind `_repr_html_`.

This module sits beside the layers: it imports only the core at load time (so `import rnnviz`
stays free of Rich) and the renderer inside functions, on the first picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rnnviz.core import display
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace


@dataclass
class Picture:
    """What `rnnviz.show` returns: a notebook displays it as the `rnnviz render` picture."""

    model: Model = field(repr=False)
    trace: Trace = field(repr=False)
    at: int = -1  # the word whose gates and predictions are shown
    width: int = 100  # characters

    def _repr_html_(self) -> str:
        from rnnviz.render.html import picture_html

        return picture_html(self.model, self.trace, at=self.at, width=self.width)

    def __repr__(self) -> str:
        return f"Picture({self.model!r}, {len(self.trace)} words, at={self.at})"


def show(model: Model, text: str | Sequence[str], at: int = -1, width: int = 100) -> Picture:
    """Run `model` on `text` (a string, or a list of tokens) and return its picture for a notebook."""
    trace = model.run(text)
    if not -len(trace) <= at < len(trace):
        from rnnviz.errors import InputError

        raise InputError(f"at={at} is out of range: the text has words 0 to {len(trace) - 1}")
    return Picture(model, trace, at, width)


def _render_html(obj: object) -> str | None:
    from rnnviz.render.html import html_of  # Rich is imported here, on the first picture

    return html_of(obj)


display.set_html_renderer(_render_html)
