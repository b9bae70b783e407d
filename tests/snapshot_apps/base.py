"""What every snapshot app shares: the viewer's stylesheet, and an App that mounts one widget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from textual.app import App, ComposeResult
from textual.widget import Widget

import rnnviz.tui
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.tui.state.modelview import ModelView

APP_CSS = Path(rnnviz.tui.__file__).parent / "app.tcss"
LAYERS = 1


class OneWidget(App):
    """The widget `make()` returns, alone on the screen, styled as in the viewer."""

    CSS_PATH = APP_CSS
    CSS = "Screen { align: left top; }"

    def make(self) -> Widget:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        yield self.make()


def zero_model(cell: str, vocab: list[str], hidden: int, embedding: int = 4) -> Model:
    """A Model with all-zero weights: widgets read its cell type and vocabulary, never its outputs."""
    gates = {"lstm": 4, "gru": 3, "rnn_tanh": 1}[cell] * hidden
    weights = {
        "encoder.weight": np.zeros((len(vocab), embedding)),
        "rnn.weight_ih_l0": np.zeros((gates, embedding)),
        "rnn.weight_hh_l0": np.zeros((gates, hidden)),
        "rnn.bias_ih_l0": np.zeros(gates),
        "rnn.bias_hh_l0": np.zeros(gates),
        "decoder.weight": np.zeros((len(vocab), hidden)),
        "decoder.bias": np.zeros(len(vocab)),
    }
    return Model(weights, cell, vocab)


def synthetic_view(
    model: Model,
    tokens: list[str],
    gates: dict[str, np.ndarray],
    probs: np.ndarray,
    name: str = "synthetic",
) -> ModelView:
    """A ModelView on hand-made arrays: gates (T, H) by name, probs (T, V) over model.vocab."""
    steps, units = next(iter(gates.values())).shape
    hidden = np.zeros((LAYERS, steps, units), dtype=np.float32)
    trace = Trace(
        tokens=tokens,
        ids=np.zeros(steps, dtype=np.int64),
        hidden=hidden,
        cell_state=hidden.copy() if model.cell == "lstm" else None,
        gates={name: values[None].astype(np.float32) for name, values in gates.items()},
        probs=probs.astype(np.float32),
        cell=model.cell,
        vocab=model.vocab,
    )
    return ModelView(name, model, trace)
