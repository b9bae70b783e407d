"""`rnnviz render`: a static rich picture of a model reading a sentence, printable or exported.

Each section is a function from (model, trace) to a rich renderable, so new views add a section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rich.cells import cell_len, set_cell_size
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from rnnviz.core.cells import SIGMOID_GATES
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.render.colors import DIVERGING, LEVELS, SEQUENTIAL, diverging_index, sequential_index, state_scale
from rnnviz.text import printable

PLAIN_RAMP = "=-.+#"  # strongly negative … strongly positive, for output that is not a terminal
MAX_WORD_WIDTH = 7


@dataclass
class RenderOptions:
    width: int = 100  # characters available
    plain: bool = False  # no colors: characters carry the values
    layer: int = -1
    at: int = -1  # 0-based position of the word described (gates, predictions); negative: from the end


def _word_widths(tokens: list[str]) -> list[int]:
    """Terminal cells of each word's column (tokens already `printable`), one space after it."""
    return [min(max(cell_len(tok), 1), MAX_WORD_WIDTH) + 1 for tok in tokens]


def _visible_columns(tokens: list[str], room: int) -> int:
    """How many of the last words fit in `room` characters (at least one)."""
    used, count = 0, 0
    for width in reversed(_word_widths(tokens)):
        if used + width > room and count:
            break
        used += width
        count += 1
    return count


def _plain_char(value: float, scale: float) -> str:
    step = int(np.clip(np.rint((value / scale + 1) * 2), 0, 4))
    return PLAIN_RAMP[step]


def sentence_section(trace: Trace, cursor: int | None = None) -> Text:
    """The sentence with the cursor word (default: the last) highlighted; user text shown literally."""
    cursor = len(trace) - 1 if cursor is None else cursor
    text = Text()
    for t, tok in enumerate(trace.tokens):
        style = "bold reverse" if t == cursor else ""
        text.append(printable(tok), style=style)
        text.append(" ")
    return text


def heatmap_section(values: np.ndarray, tokens: list[str], title: str, opts: RenderOptions) -> Group:
    """Units (rows, two per line via ▀) × words (columns) of one (T, H) state array."""
    steps, hidden = values.shape
    tokens = [printable(tok) for tok in tokens]  # widths are measured on what the terminal shows
    label_width = len(f"{hidden - 1}") * 2 + 2
    shown = _visible_columns(tokens, max(opts.width - label_width - 2, 8))
    first = steps - shown
    widths = _word_widths(tokens[first:])
    scale = state_scale(values)
    header = Text(" " * label_width)
    for tok, width in zip(tokens[first:], widths, strict=True):
        header.append(set_cell_size(tok, width - 1) + " ", style="bold")
    lines = [Text(title, style="bold underline"), header]
    if first:
        lines.insert(1, Text(f"(the last {shown} of {steps} words)", style="dim"))
    index = diverging_index(values, scale)
    pair_step = 1 if opts.plain else 2
    for top in range(0, hidden, pair_step):
        bottom = top + 1 if not opts.plain and top + 1 < hidden else None
        label = f"{top}" if pair_step == 1 or bottom is None else f"{top}-{bottom}"
        line = Text(label.rjust(label_width - 1) + " ", style="dim")
        for t, width in zip(range(first, steps), widths, strict=True):
            if opts.plain:
                line.append(_plain_char(values[t, top], scale) * (width - 1) + " ")
                continue
            fg = DIVERGING[index[t, top]]
            bg = DIVERGING[index[t, bottom]] if bottom is not None else "default"
            line.append("▀" * (width - 1), style=Style(color=fg, bgcolor=bg))
            line.append(" ")
        lines.append(line)
    lines.append(legend(scale, opts.plain))
    return Group(*lines)


def legend(scale: float, plain: bool) -> Text:
    text = Text("legend ", style="dim")
    if plain:
        text.append(f"{PLAIN_RAMP[0]} −{scale:.3g} … {PLAIN_RAMP[2]} 0 … {PLAIN_RAMP[4]} +{scale:.3g}")
        return text
    text.append(f"−{scale:.3g} ")
    for k in range(LEVELS):
        text.append(" ", style=Style(bgcolor=DIVERGING[k]))
    text.append(f" +{scale:.3g}")
    return text


def gates_section(model: Model, trace: Trace, t: int, opts: RenderOptions) -> Group:
    """One row per gate at word t: a cell per unit, 0 dark … 1 bright.

    The tanh candidates (LSTM cell, GRU new) and the RNN's pre-activation are signed, so they use
    the diverging scale of the states.
    """
    word = printable(trace.tokens[t])
    lines = [Text(f"gates at “{word}” (one cell per unit)", style="bold underline")]
    name_width = max(len(n) for n in trace.gates) + 1
    for name, values in trace.gates.items():
        row = values[opts.layer, t]
        line = Text(name.rjust(name_width) + " ", style="dim")
        if name not in SIGMOID_GATES:
            scale = state_scale(row)
            if opts.plain:
                line.append("".join(_plain_char(v, scale) for v in row))
            else:
                for k in diverging_index(row, scale):
                    line.append("█", style=Style(color=DIVERGING[k]))
        elif opts.plain:
            line.append("".join(" .:-=+*#%@"[min(int(v * 10), 9)] for v in np.clip(row, 0, 1)))
        else:
            for k in sequential_index(row):
                line.append("█", style=Style(color=SEQUENTIAL[k]))
        line.append(f"  mean {float(row.mean()):.2f}", style="dim")
        lines.append(line)
    return Group(*lines)


def predictions_section(trace: Trace, t: int, k: int = 5) -> Table:
    what = "classes" if trace.head == "classifier" else "next word"
    table = Table(
        title=Text(f"{what} after “{printable(trace.tokens[t])}”"),
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    table.add_column("class" if trace.head == "classifier" else "word", style="bold")
    table.add_column("p", justify="right")
    table.add_column("")
    for word, p in trace.top_next(t, k):
        table.add_row(
            Text(printable(word)), f"{p:.3f}", Text("█" * max(1, int(round(p * 30))), style="green")
        )
    return table


Section = Callable[[Model, Trace, RenderOptions], RenderableType]


def default_sections(model: Model, trace: Trace, opts: RenderOptions) -> list[RenderableType]:
    at = opts.at % len(trace)
    layer = opts.layer % trace.layers
    sections: list[RenderableType] = [Text(f"note: {note}", style="yellow") for note in model.assumptions]
    sections += [
        sentence_section(trace, at),
        heatmap_section(trace.hidden[opts.layer], trace.tokens, f"hidden state h, layer {layer}", opts),
    ]
    if trace.cell_state is not None:
        sections.append(
            heatmap_section(trace.cell_state[opts.layer], trace.tokens, f"cell state c, layer {layer}", opts)
        )
    sections.append(gates_section(model, trace, at, opts))
    sections.append(predictions_section(trace, at))
    return sections


def picture(model: Model, trace: Trace, opts: RenderOptions, extra: list[Section] | None = None) -> Panel:
    parts = default_sections(model, trace, opts)
    for section in extra or []:
        parts.append(section(model, trace, opts))
    spaced: list[RenderableType] = []
    for part in parts:
        spaced.extend([part, Text("")])
    return Panel(Group(*spaced[:-1]), title=f"rnnviz · {_describe(model)}", title_align="left")


def _describe(model: Model) -> str:
    layers = f"{model.num_layers} layers" if model.num_layers > 1 else "1 layer"
    parts = [model.cell_name, layers, f"{model.hidden_size} units", f"vocabulary {len(model.vocab):,}"]
    if model.labels is not None:
        parts.append(f"classifier of {len(model.labels)} classes")
    return " · ".join(parts + model.assumptions)
