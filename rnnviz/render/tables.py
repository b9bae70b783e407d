"""Rich tables of the analysis results: the memory-span table and the memory-units table."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.table import Table
from rich.text import Text

from rnnviz.analysis.span import CHANCE, DEFAULT_BUCKETS, SpanResult, bucket_label
from rnnviz.analysis.units import UnitScores
from rnnviz.core.model import Model
from rnnviz.errors import RnnvizError
from rnnviz.render.colors import DIVERGING, diverging_index
from rnnviz.render.glyphs import SPARKS
from rnnviz.text import printable
from rnnviz.training.corpus import ANIMALS, parse


def _cell_style(accuracy: float) -> str:
    if accuracy >= 0.9:
        return "bold green"
    if accuracy >= 2 * CHANCE:
        return "yellow"
    return "red"


def span_table(results: Sequence[SpanResult], n_per_bucket: int, seed: int) -> Table:
    """One row per model, one column per distance bucket, accuracies colored against chance."""
    from rich.table import Table

    grid = Table(
        title="does “it” stay linked to its animal? accuracy by words between them",
        caption=f"chance {CHANCE:.1%} (1 in {len(ANIMALS)}) · {n_per_bucket} held-out sentences "
        f"per bucket · seed {seed}",
    )
    grid.add_column("model")
    grid.add_column("cell", style="dim")
    for bucket in results[0].buckets if results else DEFAULT_BUCKETS:
        grid.add_column(bucket_label(bucket), justify="right")
    for result in results:
        cells = [Text(f"{a:.1%}", style=_cell_style(a)) for a in result.accuracy]
        grid.add_row(Text(printable(result.name)), Text(result.cell), *cells)
    return grid


def sparkline(values: np.ndarray, scale: float) -> list[int]:
    """The SPARKS level (0..7) of each value on a −scale…+scale axis."""
    levels = np.rint((np.clip(values / scale, -1, 1) + 1) / 2 * (len(SPARKS) - 1))
    return [int(v) for v in levels]


def units_table(model: Model, scores: UnitScores, top: int, text: str, layer: int, state: str) -> Table:
    """The top units: held-out accuracy, the animals they are high and low for, a sparkline each."""
    from rich.table import Table

    trace = model.run(text)
    example = trace.hidden if state == "hidden" else trace.cell_state
    series = example[layer]  # (T, H)
    try:
        marked = parse(trace.tokens)
        marks = {marked.subject_index, marked.it_index}
    except RnnvizError:  # a sentence without animal and "it" is still drawn, unmarked
        marks = set()
    grid = Table(
        title=f"memory units: who is “it”? ({model.cell_name} · {state} · layer {layer % model.num_layers})",
        caption=Text(
            f"held-out accuracy of a one-unit nearest-mean probe ({scores.fitted} sentences to fit, "
            f"{scores.tested} to test); chance {scores.chance:.1%}. Sparklines: the unit over "
            f"“{printable(text)}”, "
            "one bar a word, ▁ −m … █ +m with m the unit's largest |value| (column m); the subject and "
            "the last “it” underlined."
        ),
    )
    grid.add_column("rank", justify="right", style="dim")
    grid.add_column("unit", justify="right", style="bold")
    grid.add_column("accuracy", justify="right")
    grid.add_column("high for")
    grid.add_column("low for")
    grid.add_column("over the example")
    grid.add_column("m", justify="right", style="dim")
    for rank, unit in enumerate(scores.ranking()[:top], start=1):
        means = scores.means[:, unit]
        seen = ~np.isnan(means)
        animals = np.array(scores.animals)[seen]
        high, low = animals[np.argmax(means[seen])], animals[np.argmin(means[seen])]
        accuracy = float(scores.accuracy[unit])
        style = "bold green" if accuracy >= 0.5 else "yellow" if accuracy >= 2 * scores.chance else "red"
        line = Text()
        scale = max(float(np.abs(series[:, unit]).max()), 1e-6)
        colors = diverging_index(series[:, unit], scale)
        for t, level in enumerate(sparkline(series[:, unit], scale)):
            underline = " underline" if t in marks else ""
            line.append(SPARKS[level], style=f"{DIVERGING[colors[t]]}{underline}")
        grid.add_row(
            str(rank),
            str(unit),
            Text(f"{accuracy:.0%}", style=style),
            Text(high),
            Text(low),
            line,
            f"{scale:.2g}",
        )
    return grid
