"""One model's run over the sentence, reduced to the arrays a panel draws. No Textual here.

A ModelView is built once per (model, sentence); the widgets only index into it, so a keypress
never runs the model again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from rnnviz.core.cells import SIGMOID_GATES
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import InputError
from rnnviz.io.weights import BUNDLED, load
from rnnviz.render.colors import state_scale

# Three-letter column headers for the gates panel (the panel title says what they are).
GATE_LABELS = {
    "input": "in",
    "forget": "fgt",
    "cell": "g",
    "output": "out",
    "reset": "r",
    "update": "z",
    "new": "n",
    "preactivation": "pre",
}

MAX_WORDS = 200_000  # a longer text is refused with a message, before the model runs
MAX_CHARS = 2_000_000


def model_label(source: str | Path | Model) -> str:
    """A short name for a model source: the bundled name, or the file name."""
    if isinstance(source, Model):
        return source.cell_name
    text = str(source)
    return text.lower() if text.lower() in BUNDLED else Path(text).name


def load_source(
    source: str | Path | Model,
    vocab: str | None = None,
    cell: str | None = None,
    tokenizer: str | None = None,
) -> Model:
    """A Model from a bundled name, a weights path, or a Model given as is."""
    if isinstance(source, Model):
        return source
    return load(source, vocab=vocab, cell=cell, tokenizer=tokenizer)


def check_text(text: str | Sequence[str]) -> str | None:
    """Why a sentence cannot be read (one line), or None when it can."""
    if isinstance(text, str):
        if not text.strip():
            return "the sentence is empty: type at least one word"
        if len(text) > MAX_CHARS:
            return f"the sentence has {len(text):,} characters: the limit is {MAX_CHARS:,}"
    elif not text:
        return "the sentence is empty: type at least one word"
    elif len(text) > MAX_WORDS:
        return f"the sentence has {len(text):,} words: the limit is {MAX_WORDS:,}"
    return None


@dataclass
class ModelView:
    """A model, its name and its Trace over the current sentence, for one layer."""

    name: str
    model: Model
    trace: Trace
    layer: int = -1

    @classmethod
    def run(cls, name: str, model: Model, text: str | Sequence[str], layer: int = -1) -> ModelView:
        """Run the model once over the text; ValueError (one line) when it cannot be read."""
        problem = check_text(text)
        if problem:
            raise InputError(problem)
        tokens, ids = model.encode(text)
        if len(tokens) > MAX_WORDS:
            raise InputError(f"the sentence has {len(tokens):,} words: the limit is {MAX_WORDS:,}")
        if not -model.num_layers <= layer < model.num_layers:
            raise InputError(f"layer {layer} is out of range: this model has {model.num_layers} layer(s)")
        return cls(name=name, model=model, trace=model.run_ids(ids, tokens), layer=layer)

    @property
    def tokens(self) -> list[str]:
        return self.trace.tokens

    @property
    def steps(self) -> int:
        return len(self.trace)

    @property
    def units(self) -> int:
        """Units of h per direction: a bidirectional model's units are drawn once per direction."""
        return self.hidden.shape[1]

    @property
    def directions(self) -> int:
        return self.model.directions

    @property
    def cell(self) -> str:
        return self.model.cell

    @cached_property
    def hidden(self) -> np.ndarray:
        """(T, H) hidden state of the drawn layer (a bidirectional model: its forward direction)."""
        return self._forward(self.trace.hidden[self.layer])

    @cached_property
    def backward_hidden(self) -> np.ndarray | None:
        """(T, H) the backward direction's hidden state of a bidirectional model, else None."""
        if self.model.directions == 1:
            return None
        layer = self.trace.hidden[self.layer]
        return layer[:, layer.shape[1] // 2 :]

    def _forward(self, values: np.ndarray) -> np.ndarray:
        """The forward direction's units of a (T, D·units) array: the first half when bidirectional."""
        return values if self.model.directions == 1 else values[:, : values.shape[1] // 2]

    @cached_property
    def cell_state(self) -> np.ndarray | None:
        """(T, H) LSTM cell state of the drawn layer (forward direction), else None."""
        return None if self.trace.cell_state is None else self._forward(self.trace.cell_state[self.layer])

    @cached_property
    def gates(self) -> dict[str, np.ndarray]:
        """name -> (T, H) gate activations (RNN: its pre-activation) of the drawn layer (forward units)."""
        return {name: self._forward(values[self.layer]) for name, values in self.trace.gates.items()}

    @cached_property
    def hidden_scale(self) -> float:
        """One color scale for both directions' heatmaps."""
        return state_scale(self.trace.hidden[self.layer])

    @cached_property
    def cell_scale(self) -> float:
        return 1.0 if self.cell_state is None else state_scale(self.cell_state)

    def gate_scale(self, name: str) -> tuple[bool, float]:
        """(diverging?, scale) of a gate: sigmoid gates are 0..1, tanh ones ±1, a pre-activation ±max."""
        if name in SIGMOID_GATES:
            return False, 1.0
        if name == "preactivation":
            return True, self._preactivation_scale
        return True, 1.0

    @cached_property
    def unknown(self) -> frozenset[int]:
        """Positions of the words the vocabulary did not know (read as `<unk>`)."""
        unk = self.model.vocab_index.unk_id
        if unk is None:
            return frozenset()
        return frozenset(np.flatnonzero(np.asarray(self.trace.ids) == unk).tolist())

    @cached_property
    def _preactivation_scale(self) -> float:
        return state_scale(self.gates["preactivation"]) if "preactivation" in self.gates else 1.0

    def describe(self, tokenizer: bool = True) -> str:
        """One line: name, cell, sizes and (with `tokenizer`) how its text is split."""
        parts = [self.name]
        if self.name not in (self.model.cell, self.model.cell_name):
            parts.append(self.model.cell_name)
        parts.append(f"{self.units} units")
        if self.model.num_layers > 1:
            parts.append(f"layer {self.layer % self.model.num_layers + 1} of {self.model.num_layers}")
        if self.model.labels is not None:
            parts.append(f"classifier of {len(self.model.labels)} classes")
        if tokenizer:
            parts.append(f"tokenizer {self.model.tokenizer}")
        return " · ".join(parts + self.model.assumptions)


def describe_views(views: Sequence[ModelView]) -> str:
    """The title bar's models: each described, the tokenizer said once when they all share it."""
    shared = {view.model.tokenizer for view in views}
    if len(shared) != 1:
        return " vs ".join(view.describe() for view in views)
    return " vs ".join(view.describe(tokenizer=False) for view in views) + f" · tokenizer {shared.pop()}"
