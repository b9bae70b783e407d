"""Gradient flow: how much of the state at word t still depends on the state at an earlier word s.

    flow[s] = ‖∂h_t/∂h_s‖_F   (LSTM: c_s held fixed, since the cell path is measured on its own)
    of="cell" (LSTM):  flow[s] = ‖∂c_t/∂c_s‖_F

Computed exactly by the analytic backward pass (grad.py) with an identity cotangent: one backward
sweep of batch H carries every row of the Jacobian at once, and only the current (H, H) block is
kept, never T of them. flow[t] = ‖I‖ = √H. A plain RNN's flow falls off exponentially with the
distance t − s (the vanishing gradient); an LSTM's cell path stays flat where its forget gates
stay open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.text import Text

from .cells import LayerRun, LayerWeights
from .grad import layer_backward
from .model import Model
from .trace import Trace

FLOW_OF = ("hidden", "cell")
BLOCKS = " ▁▂▃▄▅▆▇█"  # eighths of a character cell, for bar heights
CURVE_COLORS = {"rnn": "#ea4335", "lstm": "#4285f4", "gru": "#34a853"}
CELL_PATH_COLOR = "#a0c4ff"  # an LSTM's cell path: paler than its hidden path
_NICE_STEPS = [m * 10**k for k in range(7) for m in (1, 2, 5)]
MAX_DECADES = 30.0  # a plot spans at most this many powers of ten, so one collapse cannot flatten the rest


def layer_flow(
    cell: str,
    run: LayerRun,
    weights: LayerWeights,
    position: int,
    *,
    of: str = "hidden",
    nonlinearity: str = "tanh",
    window: int | None = None,
    probes: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Flow norms (position+1,) for one recorded layer run of batch 1 (see the module docstring).

    `window` limits the work to the last `window` earlier words; entries farther back are NaN.
    `probes` (< H) trades exactness for speed, see `probe_cotangent`. The TUI can call this with
    the runs it already holds instead of re-running the model.
    """
    if of not in FLOW_OF:
        raise ValueError(f"unknown flow {of!r}: use of='hidden' or of='cell'")
    if of == "cell" and cell != "lstm":
        raise ValueError(f"of='cell' needs an LSTM, and this model is a {cell}: use of='hidden'")
    steps = run.h.shape[0]
    if not 0 <= position < steps:
        raise ValueError(f"position {position} is outside the run of {steps} steps")
    start = 0 if window is None else max(0, position - int(window))
    # Starting mid-sentence is exact for every value we read: the backward step at the first kept
    # word uses the missing earlier state only to go further back, which we never look at.
    piece = _slice_run(run, start, position + 1)
    w = LayerWeights(weights.w_ih, weights.w_hh.astype(np.float64), weights.b_ih, weights.b_hh)
    seeds = probe_cotangent(run.h.shape[2], probes, seed)
    identity = {position - start: seeds}
    norms = np.full(position + 1, np.nan)

    def record(s: int, dh: np.ndarray, dc: np.ndarray | None) -> None:
        norms[start + s] = np.linalg.norm(dc if of == "cell" else dh)

    layer_backward(
        cell,
        piece,
        np.empty((piece.h.shape[0], 1, 0)),  # the layer inputs: unused, no input gradient is asked for
        w,
        None if of == "cell" else identity,
        dc=identity if of == "cell" else None,
        batch=seeds.shape[0],
        nonlinearity=nonlinearity,
        need_inputs=False,
        on_step=record,
    )
    return norms


def probe_cotangent(hidden: int, probes: int | None = None, seed: int = 0) -> np.ndarray:
    """The cotangent rows sent backwards: the identity (exact), or `probes` random orthonormal rows
    scaled by √(H/probes). For Haar-random Q, E[QᵀQ] = (probes/H)·I, so ‖QJ‖²·H/probes is an
    unbiased estimate of ‖J‖²_F at probes/H of the cost, and still exactly √H at the position."""
    if probes is None or probes >= hidden:
        return np.eye(hidden)
    if probes < 1:
        raise ValueError(f"probes={probes}: give at least 1 (or None for the exact flow)")
    gaussian = np.random.default_rng(seed).standard_normal((hidden, probes))
    q, r = np.linalg.qr(gaussian)
    q *= np.sign(np.diag(r))  # makes the orthonormal columns Haar-distributed
    return q.T * np.sqrt(hidden / probes)


def _slice_run(run: LayerRun, start: int, stop: int) -> LayerRun:
    """Steps start..stop−1 of a batch-1 run, in float64 so long collapses do not underflow early."""
    if run.h.shape[1] != 1:
        raise ValueError(f"gradient flow needs a run of one sentence, got a batch of {run.h.shape[1]}")

    def part(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[start:stop].astype(np.float64)

    return LayerRun(h=part(run.h), c=part(run.c), acts=part(run.acts), hn=part(run.hn))


def _check_position(trace: Trace, position: int) -> int:
    steps = len(trace)
    if isinstance(position, bool) or not isinstance(position, (int, np.integer)):
        raise ValueError(f"position must be a word index, got {position!r}")
    if not -steps <= position < steps:
        raise ValueError(f"position {position} is out of range: the sentence has {steps} words")
    return int(position) % steps


def _check_layer(model: Model, layer: int) -> int:
    if not -model.num_layers <= layer < model.num_layers:
        raise ValueError(f"layer {layer} is out of range: this model has {model.num_layers} layer(s)")
    return layer % model.num_layers


def gradient_flow(
    model: Model,
    trace: Trace,
    position: int,
    of: str = "hidden",
    layer: int = -1,
    window: int | None = None,
    probes: int | None = None,
) -> np.ndarray:
    """(position+1,) array: entry s = ‖∂h_position/∂h_s‖_F in `layer` (default: the top one).

    LSTM: c_s is held fixed; of="cell" gives ‖∂c_position/∂c_s‖_F instead (LSTM only).
    Entry `position` is ‖I‖ = √H. Negative positions count from the end. The model re-runs the
    trace's words up to `position` (the backward pass needs its recorded gates).

    Cost: one backward sweep with an (H, H) cotangent, about G·H³ multiply-adds per word (G = 4
    LSTM, 3 GRU, 1 RNN): at H = 1024 about 0.1–0.5 s a word on a busy 2-core machine. `window` stops after
    that many words back (farther entries NaN); `probes=k` estimates the norms from k random
    directions instead of H (exact at the position, a few percent off elsewhere for k ≈ 64).
    """
    if trace.cell != model.cell or trace.hidden_size != model.hidden_size:
        raise ValueError(
            f"this trace comes from a different model ({trace.cell}, hidden {trace.hidden_size}) than "
            f"the one given ({model.cell}, hidden {model.hidden_size}): run the sentence with this model"
        )
    position = _check_position(trace, position)
    layer = _check_layer(model, layer)
    if of == "cell" and model.cell != "lstm":
        raise ValueError(f"of='cell' needs an LSTM, and this model is a {model.cell}: use of='hidden'")
    runs = model.forward(np.asarray(trace.ids[: position + 1])[:, None])
    return layer_flow(
        model.cell,
        runs[layer],
        model.layers[layer],
        position,
        of=of,
        nonlinearity=model.nonlinearity,
        window=window,
        probes=probes,
    )


@dataclass
class FlowCurve:
    """One model's flow at one word, indexed by distance d = position − s (d = 0 is the word itself)."""

    label: str
    norms: np.ndarray  # (position+1,) indexed by s, as gradient_flow returns it
    tokens: list[str] = field(default_factory=list)
    cell: str = "lstm"
    of: str = "hidden"

    @property
    def position(self) -> int:
        return self.norms.shape[0] - 1

    @property
    def distances(self) -> np.ndarray:
        return np.arange(self.norms.shape[0])

    @property
    def by_distance(self) -> np.ndarray:
        return self.norms[::-1]

    @property
    def log10_norms(self) -> np.ndarray:
        """log10 of the norm at each distance; −inf where no gradient arrives, NaN where not computed."""
        with np.errstate(divide="ignore"):
            return np.log10(self.by_distance)

    def at(self, distance: int) -> float:
        """The norm at a distance (NaN beyond the sentence's start)."""
        if not 0 <= distance <= self.position:
            return float("nan")
        return float(self.by_distance[distance])

    def decades_per_word(self) -> float:
        """Least-squares slope of log10 norm against distance (negative: the flow fades).

        NaN when fewer than two distances have a finite, nonzero norm.
        """
        logs = self.log10_norms
        keep = np.isfinite(logs)
        if keep.sum() < 2:
            return float("nan")
        slope, _ = np.polyfit(self.distances[keep], logs[keep], 1)
        return float(slope)


def flow_curve(
    model: Model,
    trace: Trace,
    position: int = -1,
    of: str = "hidden",
    layer: int = -1,
    label: str | None = None,
    window: int | None = None,
    probes: int | None = None,
) -> FlowCurve:
    """gradient_flow as a curve against distance, with the log10 norms a log-scale plot draws."""
    norms = gradient_flow(model, trace, position, of=of, layer=layer, window=window, probes=probes)
    name = label or (f"{model.cell_name} {'c' if of == 'cell' else 'h'}")
    return FlowCurve(
        label=name, norms=norms, tokens=list(trace.tokens[: norms.shape[0]]), cell=model.cell, of=of
    )


def compare_flow(
    models: Mapping[str, Model] | Sequence[Model],
    text: str | Sequence[str],
    position: int = -1,
    layer: int = -1,
    cell_path: bool = True,
    window: int | None = None,
    probes: int | None = None,
) -> list[FlowCurve]:
    """Each model's flow on the same sentence, one curve per model (an LSTM adds its cell path).

    `models` maps labels to models, or is a list (labelled by cell type).
    """
    named: Iterable[tuple[str, Model]] = (
        models.items() if isinstance(models, Mapping) else ((m.cell_name, m) for m in models)
    )
    curves = []
    for name, model in named:
        trace = model.run(text, decode=False)
        paths = ("hidden", "cell") if cell_path and model.cell == "lstm" else ("hidden",)
        for of in paths:
            label = f"{name} {'c' if of == 'cell' else 'h'}"
            curves.append(flow_curve(model, trace, position, of, layer, label, window, probes))
    return curves


def _format_norm(value: float) -> str:
    if np.isnan(value):
        return "—"
    if value == 0:
        return "0"
    return f"{value:.0e}" if value < 0.01 or value >= 1000 else f"{value:.2f}"


class FlowPlot:
    """A log-scale bar chart of flow against distance: one block of rows per curve, all on one
    vertical scale so models compare at a glance. It fits the width it is given: a few columns per
    distance when there is room, bins of distances (their largest value) when there is not."""

    def __init__(
        self,
        curves: Sequence[FlowCurve],
        height: int = 3,
        plain: bool = False,
        marks: Sequence[int] = (10, 30),
        title: bool = True,
    ):
        if not curves:
            raise ValueError("nothing to plot: give at least one flow curve")
        self.curves = list(curves)
        self.height = max(1, height)
        self.plain = plain
        self.marks = tuple(marks)
        self.title = title
        self.top, self.bottom = self._scale()
        self.longest = max(c.norms.shape[0] for c in self.curves)

    def _scale(self) -> tuple[float, float]:
        """Whole powers of ten around every finite value, spanning at most MAX_DECADES."""
        finite = np.concatenate([c.log10_norms[np.isfinite(c.log10_norms)] for c in self.curves])
        if finite.size == 0:
            return 1.0, 0.0
        top = float(np.ceil(finite.max()))
        bottom = float(np.floor(max(finite.min(), top - MAX_DECADES)))
        return top, min(bottom, top - 1)

    def _columns(self, curve: FlowCurve, room: int) -> np.ndarray:
        """The log10 value drawn in each column (NaN: not computed; −inf: nothing arrives)."""
        logs = np.full(self.longest, -np.inf)  # a shorter sentence has no words that far back
        logs[: curve.norms.shape[0]] = curve.log10_norms
        if self.longest <= room:
            return np.repeat(logs, room // self.longest)
        edges = np.linspace(0, self.longest, room + 1).astype(int)
        out = np.empty(room)
        for j in range(room):
            chunk = logs[edges[j] : max(edges[j + 1], edges[j] + 1)]
            out[j] = np.nan if np.isnan(chunk).all() else np.nanmax(chunk)
        return out

    def _eighths(self, value: float) -> int:
        """Bar height in eighths of a character, 0 … 8·height."""
        if not np.isfinite(value):
            return 0
        share = (value - self.bottom) / (self.top - self.bottom)
        return int(np.clip(np.rint(share * 8 * self.height), 0, 8 * self.height))

    def _summary(self, curve: FlowCurve) -> list[str]:
        # d = 0 is always √H, so the summary starts at the first mark.
        lines = [f"d={d} {_format_norm(curve.at(d))}" for d in self.marks if d <= curve.position]
        slope = curve.decades_per_word()
        if np.isfinite(slope):
            lines.append(f"{slope:+.2f} dec/word")
        return lines

    def _color(self, curve: FlowCurve) -> Style:
        if self.plain:
            return Style()
        if curve.of == "cell":
            return Style(color=CELL_PATH_COLOR)
        return Style(color=CURVE_COLORS.get(curve.cell))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        label_width = max(len(c.label) for c in self.curves) + 1
        axis_labels = (f"1e{int(self.top):+d}", f"1e{int(self.bottom):+d}")
        axis_width = max(map(len, axis_labels)) + 2
        summaries = [self._summary(c) for c in self.curves]
        summary_width = max((len(line) for lines in summaries for line in lines), default=0) + 2
        room = options.max_width - label_width - axis_width
        beside = summary_width > 2 and all(len(s) <= self.height for s in summaries)
        if beside and room - summary_width >= min(self.longest, 24):
            room -= summary_width
        else:
            beside = False
        room = max(room, 4)
        if self.title:
            first = self.curves[0]
            word = first.tokens[-1] if first.tokens else str(first.position)
            yield Text(
                f"gradient flow at “{word}” (word {first.position}): ‖∂state_t/∂state_s‖ "
                "by distance t − s, log scale",
                style="bold underline",
            )
        for curve, summary in zip(self.curves, summaries, strict=True):
            columns = self._columns(curve, room)
            for row in range(self.height):
                line = Text((curve.label if row == 0 else "").ljust(label_width), style="bold")
                axis = axis_labels[0] if row == 0 else (axis_labels[1] if row == self.height - 1 else "")
                line.append(axis.rjust(axis_width - 2) + " ┤", style="dim")
                line.append_text(self._bar_row(columns, row, self._color(curve)))
                if beside and row < len(summary):
                    line.append(" " * (room - len(columns)) + "  " + summary[row], style="dim")
                yield line
        yield self._x_axis(label_width + axis_width, room, options.max_width)
        if not beside:
            for curve, summary in zip(self.curves, summaries, strict=True):
                yield Text(f"{curve.label}: " + " · ".join(summary), style="dim")

    def _bar_row(self, columns: np.ndarray, row: int, style: Style) -> Text:
        """One character row of the bars; `row` 0 is the top. Not-computed columns show a dim dot."""
        below = (self.height - 1 - row) * 8  # eighths drawn by the rows under this one
        text = Text()
        for value in columns:
            if np.isnan(value):
                text.append("·" if row == self.height - 1 else " ", style="dim")
            else:
                text.append(BLOCKS[int(np.clip(self._eighths(value) - below, 0, 8))], style=style)
        return text

    def _x_axis(self, indent: int, room: int, width: int) -> Text:
        """Distance ticks under the bars, 0 at the left, every ten words (or a multiple of ten)."""
        per_distance = room // self.longest if self.longest <= room else room / self.longest
        columns = int(self.longest * per_distance) if self.longest <= room else room
        ticks = [" "] * columns
        step = next(s for s in _NICE_STEPS if s * per_distance >= 5)  # room for a label and a gap
        for distance in range(0, self.longest, step):
            col = int(distance * per_distance)
            label = str(distance)
            free = all(c == " " for c in ticks[max(0, col - 1) : col + len(label)])
            if free and col + len(label) <= columns:
                ticks[col : col + len(label)] = list(label)
        name = "  distance →"
        fits = indent + columns + len(name) <= width
        return Text(" " * indent + "".join(ticks) + (name if fits else ""), style="dim")


def flow_section(compare: Sequence[str] | None = None, position: int = -1):
    """A render section (model, trace, opts) → FlowPlot; with `compare`, those models on the same words."""

    def section(model: Model, trace: Trace, opts) -> FlowPlot:
        if compare:
            from .weights import load

            models = {name: load(name) for name in compare}
            curves = compare_flow(models, trace.tokens, position, layer=opts.layer)
        else:
            curves = [flow_curve(model, trace, position, layer=opts.layer)]
            if model.cell == "lstm":
                curves.append(flow_curve(model, trace, position, of="cell", layer=opts.layer))
        return FlowPlot(curves, plain=opts.plain)

    return section
