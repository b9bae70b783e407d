"""Interpretable cells, found automatically: which units track a property of the text.

Method (after Karpathy, Johnson & Fei-Fei 2015, "Visualizing and understanding recurrent networks"):
1. Run the model over the whole text, a chunk at a time with the state carried between chunks, and
   keep every unit's value after each character (the hidden state h, or an LSTM's cell state c).
2. Compute the properties of every character from the text alone (`char_properties`).
3. Split the characters into alternating blocks: even blocks fit, odd blocks test. On the fitting
   part, score every unit against every property — yes/no properties by the AUC of the unit's value
   (either sign: max(AUC, 1 − AUC), the sign kept), counts by |Pearson r| — and keep the best units.
4. Report those units' scores on the test part, with the sign chosen on the fitting part, so a unit
   that wins by chance on one half gains nothing on the other.
5. Do the same for a baseline: an untrained model of the same architecture, initialised as the
   trainer does with a fixed seed. What a random network already scores is not learned structure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rnnviz.analysis.char_properties import PROPERTIES, YES_NO, char_properties
from rnnviz.core.cells import project_inputs, run_projected
from rnnviz.core.model import Model
from rnnviz.errors import InputError

STATES = ("hidden", "cell")
CHUNK = 4096  # characters per forward pass: the gate buffer is CHUNK × 4H floats, never T × 4H
BLOCK = 1000  # characters per fit/test block
BASELINE_SEED = 0
MAX_STATE_BYTES = 1 << 30  # the collected states (T × units floats) may take up to 1 GiB
COLUMNS_PER_RANKING = 64  # units ranked together: bounds the (n × units) sort buffers

Progress = Callable[[int, int], None]  # (characters done, characters in all)


# -- running a model over a long text ----------------------------------------------------------------
def unit_names(model: Model, layer: int | None) -> list[str]:
    """Labels of the units `collect_states` returns: "17" for one layer, "L1:17" for all of them."""
    if layer is not None:
        return [str(j) for j in range(model.hidden_size)]
    if model.num_layers == 1:
        return [str(j) for j in range(model.hidden_size)]
    return [f"L{k}:{j}" for k in range(model.num_layers) for j in range(model.hidden_size)]


def _layer_index(model: Model, layer: int | None) -> list[int]:
    if layer is None:
        return list(range(model.num_layers))
    if not -model.num_layers <= layer < model.num_layers:
        raise InputError(f"--layer {layer} is out of range: this model has {model.num_layers} layer(s)")
    return [layer % model.num_layers]


def collect_states(
    model: Model,
    ids: np.ndarray,
    state: str = "cell",
    layer: int | None = None,
    chunk: int = CHUNK,
    progress: Progress | None = None,
) -> np.ndarray:
    """Every unit's value after each token, (T, units) float32: layer `layer` (None: all layers, side
    by side, layer 0 first). The text runs a chunk at a time, h and c carried from one to the next,
    so the result equals one run over the whole text."""
    if state not in STATES:
        raise InputError(f"unknown state {state!r}: use hidden or cell")
    if state == "cell" and not model.spec.has_cell_state:
        raise InputError(f"a {model.cell} has no cell state: use --state hidden")
    layers = _layer_index(model, layer)
    ids = np.asarray(ids, dtype=np.int64)
    steps, hidden = len(ids), model.hidden_size
    size = steps * len(layers) * hidden * 4
    if size > MAX_STATE_BYTES:
        raise InputError(
            f"the states of {steps} characters × {len(layers) * hidden} units take {size / 2**30:.1f} GiB "
            f"(limit {MAX_STATE_BYTES / 2**30:.0f}): use a shorter text or one --layer"
        )
    out = np.empty((steps, len(layers) * hidden), dtype=np.float32)
    h = [None] * model.num_layers
    c = [None] * model.num_layers
    for begin in range(0, steps, chunk):
        end = min(steps, begin + chunk)
        x = model.embedding[ids[begin:end, None]]  # (t, 1, E)
        with np.errstate(over="ignore", invalid="ignore"):
            for k, weights in enumerate(model.layers):
                acts = project_inputs(model.cell, x, weights)
                run = run_projected(model.cell, acts, weights, h[k], c[k], model.nonlinearity)
                h[k] = run.h[-1].copy()
                c[k] = None if run.c is None else run.c[-1].copy()
                if k in layers:
                    values = run.h if state == "hidden" else run.c
                    column = layers.index(k) * hidden
                    out[begin:end, column : column + hidden] = values[:, 0]
                x = run.h
        if progress is not None:
            progress(end, steps)
    if not np.isfinite(out).all():
        t = int(np.flatnonzero(~np.isfinite(out).all(axis=1))[0])
        raise InputError(f"the model's state overflowed at character {t}: the weights are too large")
    return out


def encode_characters(model: Model, text: str | Sequence[str]) -> np.ndarray:
    """Ids of every character of `text` (each character a token), or InputError for a model that does
    not read characters."""
    if model.tokenizer != "chars":
        raise InputError(
            f"this model reads {model.tokenizer}, not characters: cells needs a character-level model "
            "(--tokenizer chars if it is one)"
        )
    tokens = list(text)
    if not tokens:
        raise InputError("the text is empty: give a text of at least a few lines")
    return model.vocab_index.encode(tokens)


# -- scores --------------------------------------------------------------------------------------------
def auc_scores(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """ROC AUC of each column of values (n, units) for bool labels (n,): the chance that a positive
    outranks a negative, ties counting ½ (Mann–Whitney U from average ranks). NaN without both classes."""
    values = np.asarray(values)
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    negatives = labels.size - positives
    units = values.shape[1]
    if positives == 0 or negatives == 0:
        return np.full(units, np.nan)
    out = np.empty(units)
    n = labels.size
    rows = np.arange(n)
    for begin in range(0, units, COLUMNS_PER_RANKING):
        block = np.ascontiguousarray(
            values[:, begin : begin + COLUMNS_PER_RANKING].T
        )  # (units, n): rows sort fast
        order = np.argsort(block, axis=1)
        ordered = np.take_along_axis(block, order, axis=1)
        # ties share the mean of the ranks they span: first index of the run .. last index of the run
        new_run = np.ones_like(ordered, dtype=bool)
        new_run[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        first = np.maximum.accumulate(np.where(new_run, rows, 0), axis=1)
        run_ends = np.ones_like(new_run)
        run_ends[:, :-1] = new_run[:, 1:]
        last = np.minimum.accumulate(np.where(run_ends, rows, n)[:, ::-1], axis=1)[:, ::-1]
        ranks = (first + last) / 2 + 1  # 1-based average rank
        positive_rank_sum = (ranks * labels[order]).sum(axis=1)
        out[begin : begin + block.shape[0]] = (positive_rank_sum - positives * (positives + 1) / 2) / (
            positives * negatives
        )
    return out


def pearson_scores(values: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pearson r of each column of values (n, units) with target (n,); 0 for a constant unit, NaN for a
    constant target."""
    x = np.asarray(values, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    y = y - y.mean()
    y_norm = math.sqrt(float(y @ y))
    if y_norm == 0:
        return np.full(x.shape[1], np.nan)
    x = x - x.mean(axis=0)
    x_norm = np.sqrt(np.einsum("ij,ij->j", x, x))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (y @ x) / (x_norm * y_norm)
    return np.where(x_norm > 0, r, 0.0)


def signed_scores(values: np.ndarray, target: np.ndarray, kind: str) -> np.ndarray:
    """Per unit: AUC − ½ (yes/no) or r (counts), so the sign says which way the unit tracks the property
    and the magnitude how well (0 = not at all)."""
    if kind == YES_NO:
        return auc_scores(values, target) - 0.5
    return pearson_scores(values, target)


def strength(signed: np.ndarray, kind: str) -> np.ndarray:
    """The reported score of signed scores: max(AUC, 1 − AUC) for yes/no, |r| for counts."""
    return np.abs(signed) + (0.5 if kind == YES_NO else 0.0)


def fit_test_split(steps: int, block: int = BLOCK) -> np.ndarray:
    """True for characters of the fitting part: alternate blocks (even fit, odd test), so both parts
    cover the whole text; a text shorter than two blocks is cut in halves."""
    block = max(1, min(block, steps // 2))
    return (np.arange(steps) // block) % 2 == 0


# -- the report ----------------------------------------------------------------------------------------
@dataclass
class UnitScore:
    unit: int  # column of the collected states
    name: str  # "17" or "L1:17"
    score: float  # on the test part, with the sign fixed on the fitting part: AUC or r made positive
    fit_score: float  # on the fitting part
    sign: int  # +1: high values mean the property holds (or is large); −1: low values do


@dataclass
class PropertyResult:
    name: str
    kind: str
    description: str
    metric: str  # "AUC" | "|r|"
    units: list[UnitScore]  # best first (chosen on the fitting part)
    baseline: UnitScore | None  # the untrained model's best unit, chosen the same way
    note: str = ""  # why there is no score (the property never varies in one part of the text)

    @property
    def best(self) -> UnitScore | None:
        return self.units[0] if self.units else None

    @property
    def gain(self) -> float:
        """Test score of the best unit minus the baseline's (NaN when either is missing)."""
        if self.best is None or self.baseline is None:
            return math.nan
        return self.best.score - self.baseline.score


@dataclass
class CellReport:
    properties: list[PropertyResult]
    state: str
    layer: int | None
    characters: int
    fit_characters: int
    test_characters: int
    units: list[str] = field(default_factory=list)  # the names of the scored units, column order

    def result(self, name: str) -> PropertyResult:
        for found in self.properties:
            if found.name == name:
                return found
        raise InputError(f"no property {name!r} in this report: use one of {', '.join(PROPERTIES)}")

    def as_dict(self) -> dict:
        def unit(score: UnitScore | None) -> dict | None:
            if score is None:
                return None
            return {
                "unit": score.name,
                "score": _finite(score.score),
                "fit_score": _finite(score.fit_score),
                "sign": score.sign,
            }

        return {
            "state": self.state,
            "layer": self.layer,
            "characters": self.characters,
            "fit_characters": self.fit_characters,
            "test_characters": self.test_characters,
            "properties": [
                {
                    "name": p.name,
                    "kind": p.kind,
                    "metric": p.metric,
                    "description": p.description,
                    "units": [unit(u) for u in p.units],
                    "baseline": unit(p.baseline),
                    "gain": _finite(p.gain),
                    "note": p.note,
                }
                for p in self.properties
            ],
        }


def _finite(value: float) -> float | None:
    return None if not math.isfinite(value) else round(float(value), 6)


def best_units(
    states: np.ndarray, target: np.ndarray, kind: str, fit: np.ndarray, top: int, names: Sequence[str]
) -> tuple[list[UnitScore], str]:
    """The `top` units that score best on the fitting rows, each with its score on the other rows."""
    fitted = signed_scores(states[fit], target[fit], kind)
    tested = signed_scores(states[~fit], target[~fit], kind)
    if np.isnan(fitted).all() or np.isnan(tested).all():
        if (target == target[0]).all():
            return [], "not in this text"
        return [], f"constant in the {'fitting' if np.isnan(fitted).all() else 'test'} part"
    order = np.lexsort((np.arange(fitted.size), -np.nan_to_num(np.abs(fitted), nan=-1.0)))[:top]
    out = []
    for j in order:
        sign = 1 if fitted[j] >= 0 else -1
        out.append(
            UnitScore(
                unit=int(j),
                name=names[j],
                score=float(sign * tested[j] + (0.5 if kind == YES_NO else 0.0)),
                fit_score=float(strength(fitted[j : j + 1], kind)[0]),
                sign=sign,
            )
        )
    return out, ""


def baseline_model(model: Model, seed: int = BASELINE_SEED) -> Model:
    """An untrained model of the same architecture and vocabulary, initialised as the trainer does."""
    from rnnviz.training.train import TrainConfig, init_weights

    config = TrainConfig(
        cell=model.cell_name,
        embedding=model.embedding_size,
        hidden=model.hidden_size,
        layers=model.num_layers,
        seed=seed,
    )
    return Model(init_weights(config, len(model.vocab)), model.cell_name, model.vocab_index)


def discover_cells(
    model: Model,
    text: str,
    state: str = "cell",
    layer: int | None = None,
    top: int = 3,
    properties: Sequence[str] | None = None,
    baseline: bool = True,
    block: int = BLOCK,
    progress: Progress | None = None,
) -> CellReport:
    """The units that best track each property of `text`, scored on held-out characters, and what an
    untrained model of the same size scores (see the module docstring)."""
    if top < 1:
        raise InputError(f"--top is {top}: give at least 1")
    ids = encode_characters(model, text)
    if len(ids) < 4:
        raise InputError(f"the text has {len(ids)} characters: give at least a few lines")
    targets = char_properties(text, None if properties is None else list(properties))
    names = unit_names(model, layer)
    fit = fit_test_split(len(ids), block)
    runs = [model, baseline_model(model)] if baseline else [model]
    total = len(ids) * len(runs)
    states = []
    for k, each in enumerate(runs):
        done = k * len(ids)
        step = None if progress is None else (lambda n, _all, done=done: progress(done + n, total))
        states.append(collect_states(each, ids, state, layer, progress=step))
    results = []
    for name, target in targets.items():
        spec = PROPERTIES[name]
        units, note = best_units(states[0], target, spec.kind, fit, top, names)
        base = best_units(states[1], target, spec.kind, fit, 1, names)[0] if baseline else []
        results.append(
            PropertyResult(
                name=name,
                kind=spec.kind,
                description=spec.description,
                metric="AUC" if spec.kind == YES_NO else "|r|",
                units=units,
                baseline=base[0] if base else None,
                note=note,
            )
        )
    return CellReport(
        properties=results,
        state=state,
        layer=layer,
        characters=len(ids),
        fit_characters=int(fit.sum()),
        test_characters=int((~fit).sum()),
        units=names,
    )
