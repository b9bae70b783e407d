"""Change one thing and watch what follows: swap a word (cat → dog), or silence some units.

`counterfactual(model, text, position, new_word)` runs the sentence as typed and with one word
replaced; `state_difference` says how the hidden state differs from that word on, per unit and per
step, and whether the difference fades (a plain RNN forgets) or persists (an LSTM holds on).

`ablate(model, text, units, from_position)` silences units as in Lakretz et al. (2019): from
`from_position` on, after every step the chosen units of the layer's hidden state h (and, for an
LSTM, of its cell state c) are set to zero, so they neither reach the decoder nor the next step.
With an LSTM projection the units are h's P units and c is left alone (its H units are others);
a bidirectional model is refused (its backward direction has no "from a position on").
The gates a Trace records are those computed from the silenced state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import LayerWeights, run_layer
from rnnviz.core.model import Model, softmax
from rnnviz.core.trace import Trace
from rnnviz.errors import InputError
from rnnviz.numbers import percent, ratio


def _position(position: int, length: int, what: str = "position") -> int:
    if isinstance(position, bool) or not isinstance(position, int | np.integer):
        raise InputError(f"{what} {position!r} is not a word position: give a whole number")
    if not 0 <= position < length:
        raise InputError(
            f"{what} {position} is out of range: the sentence has {length} words (0..{length - 1})"
        )
    return int(position)


def counterfactual(
    model: Model, text: str | Sequence[str], position: int, new_word: str
) -> tuple[Trace, Trace]:
    """(trace of the sentence as given, trace with the word at `position` replaced by `new_word`)."""
    tokens, _ = model.encode(text)
    position = _position(position, len(tokens))
    words = model.tokenizer_spec.split(new_word) if isinstance(new_word, str) else []
    if len(words) != 1:
        raise InputError(f"new word {new_word!r} must be exactly one {_unit(model)}, like 'dog'")
    if not model.known(words[0]):
        raise InputError(f"{new_word!r} is not in the model's vocabulary: swap in a word the model knows")
    swapped = list(tokens)
    swapped[position] = words[0]
    return model.run(tokens), model.run(swapped)


def _unit(model: Model) -> str:
    """What one token is called under the model's tokenizer."""
    return "character" if model.tokenizer == "chars" else "word"


@dataclass
class StateDifference:
    """swapped − original state from the swapped word on."""

    position: int  # the swapped word
    tokens: list[str]  # the swapped sentence's words from `position` on
    per_unit: np.ndarray  # (T − position, H)
    norm: np.ndarray  # (T − position,): Euclidean norm of the difference at each step

    @property
    def persistence(self) -> float:
        """The last step's difference over the difference at the swap: near 0 faded, 1 or more persists."""
        first = float(self.norm[0])
        return float(self.norm[-1]) / first if first > 0 else 0.0

    @property
    def lowest(self) -> float:
        """The smallest difference after the swap, over the difference at the swap."""
        first = float(self.norm[0])
        return float(self.norm[1:].min()) / first if first > 0 and len(self.norm) > 1 else 0.0

    def summary(self) -> str:
        if float(self.norm[0]) == 0.0:
            return "the swap changes nothing in this state"
        if len(self.norm) == 1:
            return "the swapped word is the last one: nothing follows to remember it"
        share = self.persistence
        verdict = "persists" if share >= 0.5 else "fades" if share >= 0.1 else "is almost forgotten"
        compared = ratio(share, 1.0)
        size = f"{compared} {'as' if compared == 'about the same' else 'than'} at the swap"
        return (
            f"the difference {verdict}: at “{self.tokens[-1]}”, {len(self.tokens) - 1} words after the "
            f"swap, it is {size} (lowest on the way: {percent(self.lowest)} of it)"
        )


def state_difference(
    original: Trace, swapped: Trace, position: int, layer: int = -1, state: str = "hidden"
) -> StateDifference:
    """How the `state` ("hidden" or, for an LSTM, "cell") of `layer` differs from `position` on."""
    if len(original) != len(swapped):
        raise InputError("the two traces have different lengths: compare a sentence with its swap")
    position = _position(position, len(original))
    if state == "hidden":
        a, b = original.hidden, swapped.hidden
    elif state == "cell":
        if original.cell_state is None or swapped.cell_state is None:
            raise InputError("only an LSTM has a cell state: use state='hidden'")
        a, b = original.cell_state, swapped.cell_state
    else:
        raise InputError(f"unknown state {state!r}: use 'hidden' or 'cell'")
    difference = (b[layer, position:] - a[layer, position:]).astype(np.float64)
    return StateDifference(
        position=position,
        tokens=list(swapped.tokens[position:]),
        per_unit=difference,
        norm=np.linalg.norm(difference, axis=1),
    )


def compare_predictions(a: Trace, b: Trace, t: int, k: int = 5) -> list[tuple[str, float, float]]:
    """(word, p in a, p in b) for the words in either trace's top k after token t, most likely first."""
    if a.probs is None or b.probs is None or a.vocab is None:
        raise InputError("the traces carry no predictions: run the model with decode=True")
    t = _position(t, min(len(a), len(b)))
    words = {word for word, _ in a.top_next(t, k)} | {word for word, _ in b.top_next(t, k)}
    index = {word: i for i, word in enumerate(a.vocab)}
    rows = [(word, float(a.probs[t, index[word]]), float(b.probs[t, index[word]])) for word in words]
    return sorted(rows, key=lambda row: -max(row[1], row[2]))


def ablate(
    model: Model,
    text_or_ids: str | Sequence[str] | np.ndarray,
    units: Iterable[int],
    from_position: int = 0,
    layer: int = -1,
) -> Trace:
    """The trace of the text with `units` of `layer` (default: the top one) silenced from a position on."""
    if isinstance(text_or_ids, np.ndarray) and text_or_ids.dtype.kind in "iu":
        ids = text_or_ids.astype(np.int64).reshape(-1)
        if ids.size == 0 or ids.min() < 0 or ids.max() >= len(model.vocab):
            raise InputError(f"token ids must be between 0 and {len(model.vocab) - 1}")
        tokens = [model.vocab[i] for i in ids]
    else:
        tokens, ids = model.encode(text_or_ids)
    steps = len(ids)
    from_position = _position(from_position, steps, "from_position")
    if not -model.num_layers <= layer < model.num_layers:
        raise InputError(f"layer {layer} is out of range: this model has {model.num_layers} layer(s)")
    layer %= model.num_layers
    if model.bidirectional:
        raise InputError(
            "silencing units needs a unidirectional model: a bidirectional one's backward direction "
            "reads the sentence from its end, so 'from a position on' has no single meaning"
        )
    silenced = np.unique(np.asarray(list(units), dtype=np.int64))
    if silenced.size and (silenced.min() < 0 or silenced.max() >= model.output_size):
        raise InputError(f"units must be between 0 and {model.output_size - 1}")

    x = model.embedding[ids][:, None, :]  # (T, 1, E)
    hidden, cells, gates = [], [], {name: [] for name in model.gate_names}
    for k, weights in enumerate(model.layers):
        if k != layer:
            run = run_layer(model.cell, x, weights, nonlinearity=model.nonlinearity)
            h, c, layer_gates = run.h[:, 0], (run.c[:, 0] if run.c is not None else None), run.gates
            layer_gates = {name: value[:, 0] for name, value in layer_gates.items()}
        else:
            h, c, layer_gates = _run_silenced(model, x, weights, silenced, from_position)
        hidden.append(h)
        cells.append(c)
        for name in model.gate_names:
            gates[name].append(layer_gates[name])
        x = h[:, None, :]
    hidden_all = np.stack(hidden)
    return Trace(
        tokens=tokens,
        ids=ids,
        hidden=hidden_all,
        cell_state=np.stack(cells) if model.spec.has_cell_state else None,
        gates={name: np.stack(values) for name, values in gates.items()},
        probs=softmax(model.logits(hidden_all[-1])),
        cell=model.cell,
        vocab=model.vocab,
        model=model,
    )


def _run_silenced(
    model: Model, x: np.ndarray, weights: LayerWeights, silenced: np.ndarray, start: int
) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray]]:
    """One layer over x (T, 1, In): as usual before `start`, then step by step with units zeroed."""
    steps = x.shape[0]
    h = np.zeros((steps, model.output_size), dtype=model.dtype)
    c = np.zeros((steps, model.hidden_size), dtype=model.dtype) if model.spec.has_cell_state else None
    # With an LSTM projection h's units are not c's: only h's are silenced then.
    silence_cell = c is not None and model.proj_size == 0
    gates = {name: np.zeros((steps, model.hidden_size), dtype=model.dtype) for name in model.gate_names}
    h_prev = c_prev = None
    if start:
        run = run_layer(model.cell, x[:start], weights, nonlinearity=model.nonlinearity)
        h[:start] = run.h[:, 0]
        if c is not None:
            c[:start] = run.c[:, 0]
        for name in model.gate_names:
            gates[name][:start] = run.gates[name][:, 0]
        h_prev = run.h[-1]
        c_prev = run.c[-1] if run.c is not None else None
    for t in range(start, steps):
        run = run_layer(
            model.cell, x[t : t + 1], weights, h0=h_prev, c0=c_prev, nonlinearity=model.nonlinearity
        )
        step_h = run.h[0].copy()  # (1, H)
        step_h[:, silenced] = 0
        h[t] = step_h[0]
        h_prev = step_h
        if c is not None:
            step_c = run.c[0].copy()
            if silence_cell:
                step_c[:, silenced] = 0
            c[t] = step_c[0]
            c_prev = step_c
        for name in model.gate_names:
            gates[name][t] = run.gates[name][0, 0]
    return h, c, gates


EFFECT_BATCH = 256  # units silenced side by side in one batched run (bounds the (B, V) decoder output)


def silencing_effects(
    model: Model, trace: Trace, at: int, from_position: int = 0, layer: int = -1, stop=None
) -> np.ndarray:
    """(H,) how much silencing each unit of `layer` alone, from `from_position` on (as `ablate`),
    changes the prediction after word `at`: the total variation ½·Σ|p − p_silenced| of the
    next-token distribution (0: no change, 1: all the probability moved). A causal ranking of the
    units, where a probe ranking says only what a unit's value tells.

    Every unit is silenced in its own batch column, so the whole ranking is one batched run of the
    words from_position..at (in chunks of EFFECT_BATCH units). `stop()`, when given, is asked between
    chunks: True abandons the work (the result is then None).
    """
    if trace.probs is None:
        raise InputError("the trace carries no predictions: run the model with decode=True")
    if model.bidirectional:
        raise InputError(
            "silencing units needs a unidirectional model: a bidirectional one's backward direction "
            "reads the sentence from its end, so 'from a position on' has no single meaning"
        )
    steps = len(trace)
    at = _position(at, steps, "at")
    from_position = _position(from_position, steps, "from_position")
    if not -model.num_layers <= layer < model.num_layers:
        raise InputError(f"layer {layer} is out of range: this model has {model.num_layers} layer(s)")
    layer %= model.num_layers
    units = model.output_size  # h's units (P with an LSTM projection)
    effects = np.zeros(units)
    if at < from_position:
        return effects  # the silencing starts after the word: it cannot change its prediction
    baseline = trace.probs[at].astype(np.float64)
    for first in range(0, units, EFFECT_BATCH):
        if stop is not None and stop():
            return None
        columns = np.arange(first, min(units, first + EFFECT_BATCH))
        probs = _silenced_predictions(model, trace, at, from_position, layer, columns)
        effects[columns] = 0.5 * np.abs(probs - baseline).sum(axis=1)
    return effects


def _silenced_predictions(
    model: Model, trace: Trace, at: int, start: int, layer: int, columns: np.ndarray
) -> np.ndarray:
    """(B, V) the next-token distribution after `at`, with unit columns[b] silenced in column b."""
    batch = len(columns)
    rows = np.arange(batch)

    def state_before(values: np.ndarray | None, k: int) -> np.ndarray | None:
        if values is None or start == 0:
            return None
        return np.repeat(values[k, start - 1][None], batch, axis=0)

    weights = model.layers[layer]
    below = (
        model.embedding[trace.ids[start : at + 1]] if layer == 0 else trace.hidden[layer - 1, start : at + 1]
    )
    x = np.repeat(np.asarray(below)[:, None, :], batch, axis=1)  # (T', B, In)
    h_prev = state_before(trace.hidden, layer)
    c_prev = state_before(trace.cell_state, layer)
    outputs = np.zeros((at + 1 - start, batch, model.output_size), dtype=model.dtype)
    silence_cell = model.proj_size == 0  # with a projection c's units are others: as `ablate`, h only
    for t in range(at + 1 - start):
        run = run_layer(
            model.cell, x[t : t + 1], weights, h0=h_prev, c0=c_prev, nonlinearity=model.nonlinearity
        )
        h_prev = run.h[0].copy()
        h_prev[rows, columns] = 0
        outputs[t] = h_prev
        if run.c is not None:
            c_prev = run.c[0].copy()
            if silence_cell:
                c_prev[rows, columns] = 0
    h = outputs
    for k in range(layer + 1, model.num_layers):
        above = run_layer(
            model.cell,
            h,
            model.layers[k],
            h0=state_before(trace.hidden, k),
            c0=state_before(trace.cell_state, k),
            nonlinearity=model.nonlinearity,
        )
        h = above.h
    return softmax(model.logits(h[-1].astype(np.float64)))
