"""The static picture as a self-contained HTML fragment: for Jupyter's `_repr_html_` and `rnnviz.show`.

The same `picture(...)` as `rnnviz render --html`, recorded by a Rich console and exported with
inline styles, so the fragment needs no stylesheet, no script and no network. Rich escapes every
character of the text (`<`, `&`, …), and the picture puts user words in as `Text`, never as markup,
so `<script>` and `[bold]` arrive as the characters typed.
"""

from __future__ import annotations

import io
from html import escape

from rich.console import Console

from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import RnnvizError
from rnnviz.render.picture import RenderOptions, picture
from rnnviz.training.corpus import DEMO_SENTENCE

DEFAULT_WIDTH = 100  # characters, as `rnnviz render --html`
# Placeholders are Rich's; the font list is the one terminals and notebooks commonly have.
FRAGMENT = (
    '<div class="rnnviz-picture"><pre style="font-family: Menlo, \'DejaVu Sans Mono\', Consolas, '
    "'Courier New', monospace; line-height: 1.25; padding: 0.6em; margin: 0; overflow-x: auto; "
    'color: {foreground}; background-color: {background}"><code style="font-family: inherit">'
    "{code}</code></pre></div>"
)


def picture_html(model: Model, trace: Trace, at: int = -1, width: int = DEFAULT_WIDTH) -> str:
    """An HTML fragment of the picture of `model` reading `trace`, gates and predictions at word `at`."""
    console = Console(
        record=True, file=io.StringIO(), width=width, color_system="truecolor", force_terminal=True
    )
    console.print(picture(model, trace, RenderOptions(width=width - 4, at=at)))
    return console.export_html(inline_styles=True, code_format=FRAGMENT)


def html_of(obj: object) -> str | None:
    """What `_repr_html_` shows: a Trace (with the model that ran it), or a Model on the demo sentence."""
    if isinstance(obj, Trace):
        if not isinstance(obj.model, Model):  # assembled by hand: nothing to name the picture after
            return None
        return picture_html(obj.model, obj)
    if isinstance(obj, Model):
        try:
            trace = obj.run(DEMO_SENTENCE)
        except RnnvizError as err:  # a vocabulary with neither these words nor <unk>
            return f"<pre>{escape(repr(obj))}\n{escape(str(err))}</pre>"
        return picture_html(obj, trace)
    return None
