"""The curves the flow panel plots at the cursor, computed from the runs the app holds. No Textual here.

A cursor's flow must never keep a keypress waiting, so it runs in a worker and its cost is capped:
`plan_flow` picks how far back to look (`window`) and whether to estimate with random probes
(`probes`) so one cursor costs at most FLOW_BUDGET multiply-adds. On the demo models (64 units) that
is the exact flow over the whole sentence; on a 1,024-unit model, an estimate over the last words.

Only the words in the window are run again, from the state the trace recorded just before them, so a
cursor deep in a 100,000-word text costs what one near the start does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from rnnviz.analysis.flow import FlowCurve, layer_flow
from rnnviz.core.cells import GATE_COUNT, LayerRun, run_layer
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace

FLOW_BUDGET = 2e9  # multiply-adds one cursor may cost: ~0.2-0.5 s on a busy 2-core machine
MAX_WINDOW = 512  # a plot a terminal wide cannot show more distances than this apart
MIN_WINDOW = 8  # below this a curve says too little; a huge model pays for 8 words anyway
PROBES = 64  # random directions of an estimated flow (a few percent off, see flow.probe_cotangent)
CELL_ORDER = {"rnn": 0, "lstm": 1, "gru": 2}


@dataclass(frozen=True)
class FlowPlan:
    """How one cursor's flow is computed: `window` words back (None: to the first word), exact or
    estimated from `probes` random directions."""

    window: int | None
    probes: int | None

    def describe(self) -> str:
        """A few words for the panel's subtitle ('' when the flow is exact over the whole sentence)."""
        parts = []
        if self.window is not None:
            parts.append(f"last {self.window} words")
        if self.probes is not None:
            parts.append(f"estimated from {self.probes} probes")
        return " · ".join(parts)


def plan_flow(model: Model, position: int, budget: float = FLOW_BUDGET) -> FlowPlan:
    """The window and probes that keep one cursor's flow (h, and c for an LSTM) within `budget`."""
    hidden = model.hidden_size
    paths = 2 if model.cell == "lstm" else 1
    # One backward step with a (P, H) cotangent costs about G·H·H·P multiply-adds per path.
    per_word_exact = GATE_COUNT[model.cell] * hidden * hidden * hidden * paths
    words = min(position + 1, MAX_WINDOW)
    window = None if position + 1 <= MAX_WINDOW else MAX_WINDOW - 1
    if per_word_exact * words <= budget:
        return FlowPlan(window, None)
    probes = PROBES if hidden > PROBES else None
    per_word = per_word_exact * (probes or hidden) // hidden
    fits = int(np.clip(budget // per_word, MIN_WINDOW, MAX_WINDOW))
    return FlowPlan(None if fits > position else fits - 1, probes)


def window_run(model: Model, trace: Trace, layer: int, start: int, stop: int) -> LayerRun:
    """The layer's run over words start..stop−1 (batch 1), started from the state the trace recorded
    before `start`: exactly what a run of the whole sentence computes there."""
    layer %= model.num_layers
    if layer == 0:
        x = model.embedding[np.asarray(trace.ids[start:stop])][:, None]
    else:
        x = np.ascontiguousarray(trace.hidden[layer - 1, start:stop])[:, None]
    h0 = c0 = None
    if start > 0:  # the forward direction's units (the flow follows it in a bidirectional model)
        h0 = trace.hidden[layer, start - 1, : model.output_size][None]
        if trace.cell_state is not None:
            c0 = trace.cell_state[layer, start - 1, : model.hidden_size][None]
    return run_layer(model.cell, x, model.layers[layer], h0, c0, model.nonlinearity)


def cursor_flow(
    model: Model, trace: Trace, position: int, layer: int = -1, plan: FlowPlan | None = None, label: str = ""
) -> list[FlowCurve]:
    """The flow at `position`: the hidden path, and for an LSTM also the cell path (a curve each).

    Entries outside the plan's window are NaN; with the whole sentence and no probes the norms are
    those of rnnviz.gradient_flow.
    """
    plan = plan or plan_flow(model, position)
    start = 0 if plan.window is None else max(0, position - plan.window)
    run = window_run(model, trace, layer, start, position + 1)
    weights = model.layers[layer % model.num_layers]
    name = label or model.cell_name
    tokens = list(trace.tokens[: position + 1])
    curves = []
    for of in ("hidden", "cell") if model.cell == "lstm" else ("hidden",):
        norms = np.full(position + 1, np.nan)
        norms[start:] = layer_flow(
            model.cell,
            run,
            weights,
            position - start,
            of=of,
            nonlinearity=model.nonlinearity,
            probes=plan.probes,
        )
        curves.append(
            FlowCurve(
                label=f"{name} {'c' if of == 'cell' else 'h'}",
                norms=norms,
                tokens=tokens,
                cell=model.cell,
                of=of,
            )
        )
    return curves


@dataclass(frozen=True)
class FlowSource:
    """One model reading the sentence: what a flow curve is computed from."""

    label: str
    model: Model
    trace: Trace
    layer: int = -1


def by_cell(sources: Sequence[FlowSource]) -> list[FlowSource]:
    """RNN, then LSTM, then GRU (the order the story is told in); others keep their place after them."""
    return sorted(sources, key=lambda s: CELL_ORDER.get(s.model.cell, len(CELL_ORDER)))


@cache
def bundled_model(name: str) -> Model:
    """A bundled model, loaded once per process."""
    from rnnviz.io.weights import load

    return load(name)
