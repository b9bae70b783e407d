"""Memory links drawn with Rich: the sentence tinted by one links row (`rnnviz render --links`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rnnviz.analysis.links import DEFAULT_METHOD, DEFAULT_WINDOW, link_rows, target_positions, top_links
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.numbers import percent
from rnnviz.text import printable


def links_section(
    method: str = DEFAULT_METHOD, position: int = -1, window: int = DEFAULT_WINDOW
) -> Callable[[Model, Trace, Any], Any]:
    """A render section (model, trace, opts) → the sentence tinted by the links row of `position`."""

    def section(model: Model, trace: Trace, opts: Any) -> Any:  # opts: render.RenderOptions
        from rich.console import Group
        from rich.style import Style
        from rich.text import Text

        from rnnviz.render.colors import LEVELS, SEQUENTIAL, sequential_index

        (t,) = target_positions([position], len(trace))
        row = link_rows(model, trace, [t], method=method, window=window)[0]
        peak = float(row.max())
        levels = sequential_index(row / peak if peak > 0 else row)
        title = Text(
            f"memory links at “{printable(trace.tokens[t])}” ({method}): how much the next-word prediction "
            "depends on each earlier word",
            style="bold underline",
        )
        line = Text()
        first = max(0, t - window + 1)
        for s, token in enumerate(map(printable, trace.tokens)):
            if s < first or s > t:
                line.append(token, style="dim")
            elif opts.plain:
                line.append(token)
            else:
                dark = levels[s] > LEVELS // 2
                style = Style(bgcolor=SEQUENTIAL[levels[s]], color="black" if dark else None, bold=s == t)
                line.append(token, style=style)
            line.append(" ")
        strongest = ", ".join(
            f"{printable(word)} {percent(share)}" for _, word, share in top_links(row, trace.tokens)
        )
        summary = Text(f"strongest: {strongest}" if strongest else "no earlier word has any influence")
        return Group(title, line, summary)

    return section
