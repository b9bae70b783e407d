"""Gate saturation: how often each unit's gates sit shut (< 0.1), wide open (> 0.9) or in between.

As in Karpathy, Johnson & Fei-Fei 2015, "Visualizing and understanding recurrent networks": for
each unit, the share of its gate values that are left-saturated against the share that are
right-saturated, over a sentence or a corpus, drawn as a scatter per gate. A forget gate unit far
up the right axis keeps its cell for long stretches (an integrator); a unit at the origin decides
word by word.

Gates: LSTM input, forget, output; GRU reset, update — the sigmoid gates, which multiply and so
really open and shut. The tanh candidates (LSTM "cell" g, GRU "new" n) are values being written,
not gates; they are left out unless asked for (`candidates=True`), and then measured on (v+1)/2,
so "left" means v < −0.8 (writing −1) and "right" v > 0.8 (writing +1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.cells import GATE_NAMES, SIGMOID_GATES
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import InputError

LOW, HIGH = 0.1, 0.9


@dataclass
class GateSaturation:
    """One gate's saturation per unit: shares of its values below `low` and above `high`."""

    name: str
    left: np.ndarray  # (H,) share of values < low
    right: np.ndarray  # (H,) share of values > high
    count: int  # values seen per unit (words)
    rescaled: bool = False  # a tanh candidate measured on (v+1)/2

    @property
    def between(self) -> np.ndarray:
        return 1.0 - self.left - self.right

    @property
    def units(self) -> int:
        return self.left.shape[0]

    def mostly_right(self, share: float = 0.5) -> int:
        """Units whose gate is wide open more than `share` of the time."""
        return int(np.count_nonzero(self.right > share))

    def mostly_left(self, share: float = 0.5) -> int:
        """Units whose gate is shut more than `share` of the time."""
        return int(np.count_nonzero(self.left > share))


@dataclass
class Saturation:
    """Every measured gate of one layer, over `sentences` sentences of `words` words in all."""

    cell: str
    gates: dict[str, GateSaturation]
    sentences: int
    words: int
    layer: int = -1
    low: float = LOW
    high: float = HIGH
    source: str = "the sentence"  # what was measured, for titles


@dataclass
class _Counts:
    left: np.ndarray
    right: np.ndarray
    count: int = 0


@dataclass
class SaturationCounter:
    """Accumulates left/right counts over traces one at a time, so a corpus is never held at once."""

    cell: str
    layer: int = -1
    low: float = LOW
    high: float = HIGH
    candidates: bool = False
    sentences: int = 0
    words: int = 0
    _counts: dict[str, _Counts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.cell not in GATE_NAMES:
            raise InputError(f"unknown cell type {self.cell!r}; use lstm or gru")
        if self.cell == "rnn":
            raise InputError("a plain RNN has no gates: gate saturation needs an LSTM or a GRU")
        if not 0 <= self.low < self.high <= 1:
            raise InputError(
                f"thresholds must satisfy 0 ≤ low < high ≤ 1, got low={self.low}, high={self.high}"
            )

    @property
    def gate_names(self) -> list[str]:
        names = GATE_NAMES[self.cell]
        return [n for n in names if n in SIGMOID_GATES or self.candidates]

    def add(self, trace: Trace) -> None:
        if trace.cell != self.cell:
            raise InputError(f"cannot mix a {trace.cell} trace into {self.cell} gate saturation")
        if not -trace.layers <= self.layer < trace.layers:
            raise InputError(f"layer {self.layer} is out of range: the trace has {trace.layers} layer(s)")
        for name in self.gate_names:
            values = np.asarray(trace.gates[name][self.layer], dtype=np.float64)  # (T, H)
            if name not in SIGMOID_GATES:
                values = (values + 1.0) / 2.0
            counts = self._counts.get(name)
            if counts is None:
                hidden = values.shape[1]
                counts = self._counts[name] = _Counts(np.zeros(hidden, np.int64), np.zeros(hidden, np.int64))
            counts.left += np.count_nonzero(values < self.low, axis=0)
            counts.right += np.count_nonzero(values > self.high, axis=0)
            counts.count += values.shape[0]
        self.sentences += 1
        self.words += len(trace)

    def result(self, source: str = "the sentence") -> Saturation:
        if not self.sentences:
            raise InputError("no sentences were measured: give at least one trace")
        gates = {
            name: GateSaturation(
                name=name,
                left=c.left / c.count,
                right=c.right / c.count,
                count=c.count,
                rescaled=name not in SIGMOID_GATES,
            )
            for name, c in self._counts.items()
        }
        return Saturation(
            cell=self.cell,
            gates=gates,
            sentences=self.sentences,
            words=self.words,
            layer=self.layer,
            low=self.low,
            high=self.high,
            source=source,
        )


def gate_saturation(
    traces: Trace | Iterable[Trace],
    layer: int = -1,
    low: float = LOW,
    high: float = HIGH,
    candidates: bool = False,
) -> Saturation:
    """Per gate and unit, the share of values < low and > high over one trace or many (a corpus)."""
    if isinstance(traces, Trace):
        traces = [traces]
    counter: SaturationCounter | None = None
    for trace in traces:
        if counter is None:
            counter = SaturationCounter(trace.cell, layer=layer, low=low, high=high, candidates=candidates)
        counter.add(trace)
    if counter is None:
        raise InputError("no sentences were measured: give at least one trace")
    return counter.result("the sentence" if counter.sentences == 1 else f"{counter.sentences} sentences")


def corpus_sentences(n: int = 200, seed: int = 0) -> list[list[str]]:
    """n demo-corpus sentences as token lists, from rnnviz.training.corpus.generate."""
    from rnnviz.training import corpus

    generate = getattr(corpus, "generate", None)
    if generate is None:
        raise InputError("this rnnviz has no corpus generator yet: pass the sentences to measure")
    return [list(sentence.tokens) for sentence in generate(n, seed)]


def corpus_saturation(
    model: Model,
    sentences: Iterable[str | Sequence[str]] | None = None,
    n: int = 200,
    seed: int = 0,
    layer: int = -1,
    low: float = LOW,
    high: float = HIGH,
    candidates: bool = False,
) -> Saturation:
    """Gate saturation of `model` over many sentences: the given ones, or n from the demo corpus."""
    if sentences is None:
        sentences = corpus_sentences(n, seed)
    counter = SaturationCounter(model.cell, layer=layer, low=low, high=high, candidates=candidates)
    for sentence in sentences:
        counter.add(model.run(sentence, decode=False))
    return counter.result(f"{counter.sentences} corpus sentences")
