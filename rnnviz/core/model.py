"""Model: embedding → stacked recurrent layers → decoder, with the tensor names of PyTorch's
`word_language_model` example (`encoder.weight`, `rnn.weight_ih_l{k}`, …, `decoder.weight`).

Layer options as nn.LSTM/GRU/RNN have them: a bidirectional model has a second set of tensors per
layer named `…_l{k}_reverse`, and an LSTM with projections (proj_size P > 0) has `rnn.weight_hr_l{k}`
(P, H). A layer's output has H_out units per direction (P with a projection, else H); layer k > 0 of
a bidirectional model reads [forward h, backward h] (2·H_out), and so does the decoder (V, D·H_out).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from rnnviz.core import display
from rnnviz.core.cells import (
    CELL_ALIASES,
    CELLS,
    GATE_COUNT,
    STORED_NAMES,
    CellSpec,
    LayerRun,
    LayerWeights,
    StackRun,
    cells_with_gate_count,
    run_bidirectional,
    run_stack,
)
from rnnviz.core.tokenizers import DEFAULT_TOKENIZER, Tokenizer, tokenizer_named
from rnnviz.core.trace import Trace
from rnnviz.core.vocab import Vocab
from rnnviz.errors import InputError, WeightsError

HEADS = ("next-token", "classifier")  # what the decoder predicts after each token
DTYPES = {"float32": np.float32, "float64": np.float64}


def parse_cell(cell: str) -> tuple[str, str]:
    """("rnn" | "lstm" | "gru", "tanh" | "relu") from any accepted cell name."""
    try:
        return CELL_ALIASES[cell.lower()]
    except (KeyError, AttributeError):
        raise WeightsError(f"unknown cell type {cell!r}: use one of {', '.join(STORED_NAMES)}") from None


REVERSE = "_reverse"  # PyTorch's suffix for the backward direction's tensors


def layer_names(k: int, suffix: str = "") -> tuple[str, str, str, str]:
    """The four tensors of layer k (suffix "_reverse": of its backward direction)."""
    return tuple(f"rnn.{kind}_l{k}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))  # type: ignore[return-value]


def projection_name(k: int, suffix: str = "") -> str:
    """An LSTM projection's tensor W_hr (P, H) of layer k."""
    return f"rnn.weight_hr_l{k}{suffix}"


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in place on a copy, stable for any logits."""
    out = logits - logits.max(axis=-1, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


class Model:
    """A recurrent model (embedding → stacked layers → decoder) that runs in NumPy and records everything.

    head "next-token": the decoder predicts the next token (V outputs); "classifier": it maps the state to
    K classes (`labels`), applied after every token so a viewer can watch the decision form. A classifier
    with one output (a sigmoid) is read as two classes, [1 − σ(z), σ(z)] = softmax([0, z]).
    """

    def __init__(
        self,
        weights: Mapping[str, np.ndarray],
        cell: str,
        vocab: Sequence[str] | Vocab,
        dtype: str = "float32",
        metadata: Mapping[str, str] | None = None,
        head: str = "next-token",
        labels: Sequence[str] | None = None,
        tokenizer: str = DEFAULT_TOKENIZER,
    ):
        self.cell, self.nonlinearity = parse_cell(cell)
        self.tokenizer_spec: Tokenizer = tokenizer_named(tokenizer)
        if head not in HEADS:
            raise InputError(f"unknown head {head!r}: use one of {', '.join(HEADS)}")
        self.head = head
        if dtype not in DTYPES:
            raise InputError(f"unknown dtype {dtype!r}: use float32 or float64")
        self.dtype = np.dtype(DTYPES[dtype])
        self.vocab_index = vocab if isinstance(vocab, Vocab) else Vocab(vocab)
        self.metadata: dict[str, str] = dict(metadata or {})
        w = {name: np.asarray(value) for name, value in weights.items()}
        if head == "classifier":
            w = _sigmoid_as_two_classes(w)
        outputs = _decoder_rows(w) if head == "classifier" else len(self.vocab_index)
        _check_structure(w, self.cell, len(self.vocab_index), outputs)
        self.labels: list[str] | None = None
        if head == "classifier":
            names = [f"class {k}" for k in range(outputs)] if labels is None else [str(x) for x in labels]
            if len(names) != outputs:
                raise WeightsError(f"{len(names)} labels for {outputs} classes: give one label a class")
            self.labels = names
        cast = {name: np.ascontiguousarray(value, dtype=self.dtype) for name, value in w.items()}
        self.embedding = cast["encoder.weight"]  # (V, E)
        layers = _count_layers(cast)
        self.layers: list[LayerWeights] = [_layer(cast, k, "") for k in range(layers)]  # forward direction
        # the backward direction of each layer when bidirectional, else empty
        self.reverse_layers: list[LayerWeights] = (
            [_layer(cast, k, REVERSE) for k in range(layers)] if layer_names(0, REVERSE)[0] in cast else []
        )
        self.decoder_weight = cast["decoder.weight"]  # (V, D·H_out)
        self.decoder_bias = cast["decoder.bias"]  # (V,)

    # -- description -------------------------------------------------------------------------
    @property
    def vocab(self) -> list[str]:
        return self.vocab_index.tokens

    @property
    def tokenizer(self) -> str:
        """How typed text is split: "words", "whitespace" or "chars" (see core/tokenizers.py)."""
        return self.tokenizer_spec.name

    @property
    def cell_name(self) -> str:
        """The full cell name as stored in files: rnn_tanh, rnn_relu, lstm or gru."""
        return next(name for name, act in self.spec.file_names.items() if act == self.nonlinearity)

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def hidden_size(self) -> int:
        """H: the units of the gates (and of an LSTM's c), per direction, as nn.LSTM's hidden_size."""
        return self.layers[0].hidden_size

    @property
    def proj_size(self) -> int:
        """P of an LSTM with projections (h has P units), 0 for none, as nn.LSTM's proj_size."""
        w_hr = self.layers[0].w_hr
        return 0 if w_hr is None else w_hr.shape[0]

    @property
    def output_size(self) -> int:
        """H_out: the units of h per direction, P with a projection, else H."""
        return self.layers[0].output_size

    @property
    def bidirectional(self) -> bool:
        """True: every layer has a forward and a backward direction."""
        return bool(self.reverse_layers)

    @property
    def directions(self) -> int:
        return 2 if self.reverse_layers else 1

    @property
    def state_size(self) -> int:
        """D·H_out: the units of trace.hidden, what a layer above and the decoder read."""
        return self.directions * self.output_size

    @property
    def embedding_size(self) -> int:
        return self.embedding.shape[1]

    @property
    def assumptions(self) -> list[str]:
        """What rnnviz had to assume because the file does not say (shown in every title and header)."""
        return [self.metadata["assumed"]] if self.metadata.get("assumed") else []

    @property
    def spec(self) -> CellSpec:
        """The cell's spec: gate names, which are σ, whether there is a cell state."""
        return CELLS[self.cell]

    @property
    def gate_names(self) -> tuple[str, ...]:
        return self.spec.gates

    @property
    def weights(self) -> dict[str, np.ndarray]:
        """The tensors under their native names."""
        out = {"encoder.weight": self.embedding}
        for suffix, layers in (("", self.layers), (REVERSE, self.reverse_layers)):
            for k, layer in enumerate(layers):
                tensors = (layer.w_ih, layer.w_hh, layer.b_ih, layer.b_hh)
                out.update(zip(layer_names(k, suffix), tensors, strict=True))
                if layer.w_hr is not None:
                    out[projection_name(k, suffix)] = layer.w_hr
        out["decoder.weight"] = self.decoder_weight
        out["decoder.bias"] = self.decoder_bias
        return out

    def __repr__(self) -> str:
        options = (", bidirectional=True" if self.bidirectional else "") + (
            f", proj_size={self.proj_size}" if self.proj_size else ""
        )
        return (
            f"Model(cell={self.cell_name}, layers={self.num_layers}, embedding={self.embedding_size}, "
            f"hidden={self.hidden_size}{options}, vocab={len(self.vocab)}, tokenizer={self.tokenizer}, "
            f"dtype={self.dtype.name})"
        )

    def _repr_html_(self) -> str | None:
        """For Jupyter: the model reading the demo sentence, as `rnnviz render WEIGHTS` draws it."""
        return display.html_of(self)

    # -- running -------------------------------------------------------------------------------
    def split(self, text: str | Sequence[str]) -> list[str]:
        """A string split by the model's tokenizer, or a list taken as the tokens; InputError if none."""
        tokens = self.tokenizer_spec.split(text) if isinstance(text, str) else [str(t) for t in text]
        if not tokens:
            raise InputError("the sentence is empty: type at least one word")
        return tokens

    def known(self, token: str) -> bool:
        """Whether a token has an id of its own (not `<unk>`) under the model's tokenizer."""
        return self.tokenizer_spec.lookup(self.vocab_index, token) is not None

    def encode(self, text: str | Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Tokens as typed and their ids; ValueError for an empty text."""
        tokens = self.split(text)
        return tokens, self.tokenizer_spec.encode(self.vocab_index, tokens)

    def forward(self, inputs: np.ndarray) -> list[LayerRun]:
        """Run the stacked layers over inputs: ids (T, B) or embeddings (T, B, E).

        A bidirectional model gives its forward direction's runs (each layer fed by both directions
        of the one below); `run_stack_of` gives both directions and the concatenated states."""
        return self.run_stack_of(inputs).runs

    def run_stack_of(self, inputs: np.ndarray) -> StackRun:
        """Every layer's run over inputs, ids (T, B) or embeddings (T, B, E); h (L, T, B, D·H_out)."""
        x = self.embedding[inputs] if inputs.ndim == 2 else np.asarray(inputs, dtype=self.dtype)
        if self.reverse_layers:
            return run_bidirectional(self.cell, x, self.layers, self.reverse_layers, self.nonlinearity)
        return run_stack(self.cell, x, self.layers, self.nonlinearity)

    def logits(self, h_top: np.ndarray) -> np.ndarray:
        """Decoder output for top-layer states (..., D·H_out) → (..., V)."""
        out = h_top @ self.decoder_weight.T
        out += self.decoder_bias
        return out

    def sequence_probs(self, trace: Trace) -> np.ndarray:
        """The head on the whole sequence's final state, as a framework's sequence classifier predicts:
        the top layer's forward state after the last token and, for a bidirectional model, its
        backward state after reading back to the first token (Keras' `return_sequences=False`,
        PyTorch's `h_n`). For a one-way model this is `trace.probs[-1]`."""
        top = trace.hidden[-1]
        final = top[-1]
        if self.bidirectional:
            half = top.shape[-1] // 2
            final = np.concatenate([top[-1, :half], top[0, half:]])
        return softmax(self.logits(final))

    def run(self, text: str | Sequence[str], decode: bool = True) -> Trace:
        """Run a sentence (a string, or a list of tokens) and record every number a screen draws."""
        tokens, ids = self.encode(text)
        return self.run_ids(ids, tokens, decode=decode)

    def run_ids(self, ids: np.ndarray, tokens: Sequence[str] | None = None, decode: bool = True) -> Trace:
        ids = np.asarray(ids, dtype=np.int64)
        # The trace holds views of the arrays all layers wrote into: nothing is copied to stack them.
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below, in words
            stack = self.run_stack_of(ids[:, None])
            hidden = stack.h[:, :, 0]
            cell_state = None if stack.c is None else stack.c[:, :, 0]
            gates = {name: value[:, :, 0] for name, value in stack.gates(self.gate_names).items()}
            probs = softmax(self.logits(hidden[-1])) if decode else None
        words = list(tokens) if tokens is not None else [self.vocab[i] for i in ids]
        self._check_finite(hidden, cell_state, probs, words)
        return Trace(
            tokens=words,
            ids=ids,
            hidden=hidden,
            cell_state=cell_state,
            gates=gates,
            probs=probs,
            cell=self.cell,
            vocab=self.vocab,
            labels=self.labels,
            model=self,
        )

    def _check_finite(
        self, hidden: np.ndarray, cell_state: np.ndarray | None, probs: np.ndarray | None, words: list[str]
    ) -> None:
        """InputError at the first word where a state (or the prediction) stopped being a number.

        Weights can be valid and still too large for a text: a relu RNN with weights of 1e8 grows
        its state by that factor a word and reaches inf, then nan, within ten words.
        """
        bad = ~np.isfinite(hidden).all(axis=2)  # (L, T)
        if cell_state is not None:
            bad |= ~np.isfinite(cell_state).all(axis=2)
        if not bad.any() and (probs is None or np.isfinite(probs).all()):
            return
        if bad.any():
            t = int(np.flatnonzero(bad.any(axis=0))[0])
            where = f"layer {int(np.flatnonzero(bad[:, t])[0])}"
        else:
            t = int(np.flatnonzero(~np.isfinite(probs).all(axis=1))[0])  # type: ignore[union-attr]
            where = "the prediction"
        relu = " (a relu RNN?)" if self.nonlinearity == "relu" else ""
        raise InputError(
            f"the model's state overflowed at word {t} ({words[t]!r}), {where}: "
            f"the weights are too large for this text{relu}"
        )


def _layer(weights: Mapping[str, np.ndarray], k: int, suffix: str) -> LayerWeights:
    return LayerWeights(
        *(weights[n] for n in layer_names(k, suffix)), w_hr=weights.get(projection_name(k, suffix))
    )


def _count_layers(weights: Mapping[str, np.ndarray]) -> int:
    k = 0
    while f"rnn.weight_ih_l{k}" in weights:
        k += 1
    return k


# A weight beyond this is a broken file, not a trained model; the bound also keeps every state finite.
MAX_MAGNITUDE = 1e9
_LAYER_TENSOR = re.compile(r"rnn\.(weight_hr|(?:weight|bias)_(?:ih|hh))_l(\d+)(_reverse)?$")


def _decoder_rows(w: Mapping[str, np.ndarray]) -> int:
    decoder = w.get("decoder.weight")
    return int(decoder.shape[0]) if decoder is not None and decoder.ndim == 2 else 0


def _sigmoid_as_two_classes(w: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A one-output classifier (σ(z)) as two classes: softmax([0, z]) = [1 − σ(z), σ(z)], exactly."""
    out = dict(w)
    weight, bias = w.get("decoder.weight"), w.get("decoder.bias")
    if weight is not None and weight.ndim == 2 and weight.shape[0] == 1:
        out["decoder.weight"] = np.concatenate([np.zeros_like(weight), weight])
        if bias is not None and bias.shape == (1,):
            out["decoder.bias"] = np.concatenate([np.zeros_like(bias), bias])
    return out


def _check_structure(w: Mapping[str, np.ndarray], cell: str, vocab_size: int, outputs: int) -> None:
    """Every tensor present and of the right shape, or one WeightsError line naming what is wrong."""
    problems = structure_problems(w, cell, vocab_size, outputs)
    if problems:
        raise WeightsError(problems[0])


def structure_problems(
    w: Mapping[str, np.ndarray], cell: str, vocab_size: int, outputs: int | None = None
) -> list[str]:
    """Every problem of a dict of native tensors, one line each (empty when the model is sound).
    `outputs`: the decoder's rows (K classes for a classifier); default: one per vocabulary token."""
    problems: list[str] = []
    gates = GATE_COUNT[cell]
    for name in ("encoder.weight", "decoder.weight", "decoder.bias"):
        if name not in w:
            problems.append(f"missing tensor {name!r}: a model needs an embedding and a decoder")
    found = [m for name in w if (m := _LAYER_TENSOR.match(name))]
    indices = {int(m.group(2)) for m in found}
    layers = max(indices) + 1 if indices else 0
    suffixes = ("", REVERSE) if any(m.group(3) for m in found) else ("",)
    projected = any(m.group(1) == "weight_hr" for m in found)
    if layers == 0:
        problems.append("missing tensor 'rnn.weight_ih_l0': no recurrent layer found")
    if projected and cell != "lstm":
        problems.append(
            f"tensor {projection_name(0)!r} is an LSTM projection (proj_size), but the cell is {cell}: "
            "pass cell='lstm' / --cell lstm, or drop the weight_hr tensors"
        )
    expected_names = {"encoder.weight", "decoder.weight", "decoder.bias"}
    for k in range(layers):
        for suffix in suffixes:
            names = layer_names(k, suffix) + ((projection_name(k, suffix),) if projected else ())
            which = ", backward direction" if suffix else ""
            for name in names:
                expected_names.add(name)
                if name not in w:
                    problems.append(
                        f"missing tensor {name!r} (layer {k} of {layers}{which}): every layer needs "
                        + ("five with a projection" if projected else "four")
                    )
    for name in sorted(set(w) - expected_names):
        problems.append(f"unexpected tensor {name!r}: it is not part of a {cell} model")
    problems += _shape_problems(
        w, cell, gates, vocab_size, layers, vocab_size if outputs is None else outputs, suffixes
    )
    for name, value in w.items():
        problems += _value_problems(name, value)
    return problems


def _shape_problems(
    w: Mapping[str, np.ndarray],
    cell: str,
    gates: int,
    vocab_size: int,
    layers: int,
    outputs: int,
    suffixes: tuple[str, ...] = ("",),
) -> list[str]:
    problems: list[str] = []
    encoder = w.get("encoder.weight")
    if encoder is not None and encoder.ndim != 2:
        return [f"tensor 'encoder.weight' has shape {tuple(encoder.shape)}, expected 2 dimensions (V, E)"]
    if encoder is not None and encoder.shape[1] == 0:
        return [f"tensor 'encoder.weight' has shape {tuple(encoder.shape)}: an embedding of size 0"]
    if encoder is not None and encoder.shape[0] != vocab_size:
        problems.append(
            f"the vocabulary has {vocab_size} tokens but 'encoder.weight' has {encoder.shape[0]} rows: "
            "give the vocabulary this model was trained with"
        )
    hh = w.get("rnn.weight_hh_l0")
    if hh is None or hh.ndim != 2 or hh.shape[1] == 0:
        if hh is not None:
            problems.append(f"tensor 'rnn.weight_hh_l0' has shape {tuple(hh.shape)}, expected ({gates}·H, H)")
        return problems
    # H (the gates' units) and H_out (h's units): a projection W_hr (P, H) sets both, else W_hh's columns
    hr = w.get(projection_name(0))
    if hr is not None and (hr.ndim != 2 or 0 in hr.shape):
        return problems + [f"tensor {projection_name(0)!r} has shape {tuple(hr.shape)}, expected (P, H)"]
    hidden, output = (hr.shape[1], hr.shape[0]) if hr is not None else (hh.shape[1], hh.shape[1])
    directions = len(suffixes)
    emb = encoder.shape[1] if encoder is not None else None
    expected = {"decoder.weight": (outputs, directions * output), "decoder.bias": (outputs,)}
    if emb is not None:
        expected["encoder.weight"] = (vocab_size, emb)
    for k in range(layers):
        for suffix in suffixes:
            ih, hh_name, bi, bh = layer_names(k, suffix)
            layer_hh = w.get(hh_name)
            if (k or suffix) and layer_hh is not None and layer_hh.ndim == 2 and layer_hh.shape[1] != output:
                problems.append(
                    f"inconsistent hidden size: layer 0 has {output} units but {hh_name!r} has shape "
                    f"{tuple(layer_hh.shape)}; every layer must have the same hidden size"
                )
                continue
            if emb is not None or k:
                expected[ih] = (gates * hidden, emb if k == 0 else directions * output)
            expected[hh_name] = (gates * hidden, output)
            expected[bi] = expected[bh] = (gates * hidden,)
            if hr is not None:
                expected[projection_name(k, suffix)] = (output, hidden)
    for name, shape in expected.items():
        if name not in w or name == "encoder.weight":
            continue
        got = tuple(w[name].shape)
        if name == "decoder.weight" and len(got) == 2 and got[1] == directions * output and got[0] != outputs:
            problems.append(
                f"'decoder.weight' has {got[0]} rows for a vocabulary of {vocab_size}: a language model "
                "predicts every token; if this is a classifier, pass head='classifier' / --head classifier"
            )
            continue
        if got != shape:
            size = f"hidden size {hidden}" + (f" and proj_size {output}" if hr is not None else "")
            where = " (bidirectional)" if directions == 2 else ""
            problems.append(
                f"tensor {name!r} has shape {got}, expected {shape} for a {cell}{where} with {size}"
                + _gate_hint(got, hidden, gates)
            )
    return problems


def _gate_hint(shape: tuple[int, ...], hidden: int, gates: int) -> str:
    """When the rows fit another cell type, say which: the commonest cause of a shape error."""
    if len(shape) not in (1, 2) or shape[0] % hidden or shape[0] // hidden == gates:
        return ""
    fits = cells_with_gate_count(shape[0] // hidden)
    return f" (the shapes fit a {' or '.join(fits)}: pass cell=... / --cell)" if fits else ""


def _value_problems(name: str, value: np.ndarray) -> list[str]:
    if not np.issubdtype(value.dtype, np.floating):
        return [f"tensor {name!r} has dtype {value.dtype}: weights must be floating point (float16/32/64)"]
    finite = np.isfinite(value)
    bad = value.size - int(np.count_nonzero(finite))
    if bad:
        return [f"tensor {name!r} has {bad} NaN or infinite values: the weights are broken; re-export them"]
    largest = float(np.max(np.abs(value))) if value.size else 0.0
    if largest > MAX_MAGNITUDE:
        return [
            f"tensor {name!r} has values as large as {largest:.3g} (limit {MAX_MAGNITUDE:g}): "
            "the weights are broken; re-export them"
        ]
    return []
