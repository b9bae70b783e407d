"""Memory units: which units, at the last "it", tell which animal the subject was.

Method — a one-unit probe per unit, scored on sentences it was not fitted on:
1. Draw n demo sentences (rnnviz.training.corpus.generate, seed UNITS_SEED by default: held out
   from training), every one naming other animals besides its subject, so a unit that only tracks
   the last animal seen scores badly.
2. Read each unit's value (the hidden state h, or an LSTM's cell state c) at the sentence's last "it".
3. Fit on the even-numbered sentences: the mean value of the unit for each subject animal.
4. Test on the odd-numbered ones: predict the animal whose mean is nearest the unit's value
   (a nearest-class-mean classifier in one dimension) and count how often it is the subject.
Units are ranked by that held-out accuracy (chance: 1 in 8), ties broken by how well the animal
means separate on the fitting half (variance of the means over the mean variance within animals).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rnnviz.core.model import Model
from rnnviz.errors import InputError
from rnnviz.training.corpus import ANIMALS, HELD_OUT_SEED, Sentence, generate

if TYPE_CHECKING:  # rich is imported only when a table is drawn
    pass

UNITS_SEED = HELD_OUT_SEED + 100  # apart from the seeds `rnnviz span` uses (HELD_OUT_SEED + bucket)
DEFAULT_N = 400
BATCH = 256  # sentences per forward pass
EXAMPLE = "the cat that the dog chased sat on the mat because it was tired and it meowed ."


@dataclass
class UnitScores:
    """How well each unit of one layer tells the subject animal at the last "it"."""

    accuracy: np.ndarray  # (H,): held-out accuracy of the unit's nearest-class-mean probe
    separation: np.ndarray  # (H,): between-animal / within-animal variance on the fitting half
    means: np.ndarray  # (A, H): the unit's mean value per subject animal (fitting half; NaN if unseen)
    animals: tuple[str, ...]
    fitted: int  # sentences the means come from
    tested: int  # sentences the accuracy comes from

    @property
    def chance(self) -> float:
        return 1 / len(self.animals)

    def ranking(self) -> np.ndarray:
        """Unit indices, best first."""
        return np.lexsort((np.arange(self.accuracy.size), -self.separation, -self.accuracy))


def _check_demo_vocabulary(model: Model) -> None:
    missing = [word for word in ("it", *ANIMALS) if not model.vocab_index.known(word)]
    if missing:
        raise InputError(
            f"the model's vocabulary has no {', '.join(repr(w) for w in missing[:3])}: memory units need "
            "a model trained on the demo corpus (rnnviz.training.corpus)"
        )


def states_at_it(
    model: Model,
    sentences: Sequence[Sentence],
    layer: int = -1,
    state: str = "hidden",
    on_progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """(N, H): the layer's state after each sentence's last "it" (sentences run padded in batches);
    `on_progress(k)` after each batch of k sentences."""
    if state not in ("hidden", "cell"):
        raise InputError(f"unknown state {state!r}: use hidden or cell")
    if state == "cell" and not model.spec.has_cell_state:
        raise InputError("only an LSTM has a cell state: use --state hidden")
    if not -model.num_layers <= layer < model.num_layers:
        raise InputError(f"layer {layer} is out of range: this model has {model.num_layers} layer(s)")
    out = np.zeros((len(sentences), model.output_size if state == "hidden" else model.hidden_size))
    order = sorted(range(len(sentences)), key=lambda k: sentences[k].it_index)
    for first in range(0, len(order), BATCH):
        chunk = order[first : first + BATCH]
        steps = sentences[chunk[-1]].it_index + 1
        ids = np.zeros((steps, len(chunk)), dtype=np.int64)  # padding after "it" never reaches "it"
        for column, k in enumerate(chunk):
            prefix = sentences[k].tokens[: sentences[k].it_index + 1]
            ids[: len(prefix), column] = model.vocab_index.encode(prefix)
        run = model.forward(ids)[layer]
        values = run.h if state == "hidden" else run.c
        out[chunk] = values[[sentences[k].it_index for k in chunk], np.arange(len(chunk))]
        if on_progress is not None:
            on_progress(len(chunk))
    return out


def score_units(
    model: Model,
    sentences: Sequence[Sentence],
    layer: int = -1,
    state: str = "hidden",
    on_progress: Callable[[int], None] | None = None,
) -> UnitScores:
    """Fit each unit's probe on the even-numbered sentences and test it on the odd-numbered ones."""
    if len(sentences) < 2:
        raise InputError("memory units need at least 2 sentences (one to fit, one to test)")
    _check_demo_vocabulary(model)
    values = states_at_it(model, sentences, layer, state, on_progress)
    subjects = np.array([ANIMALS.index(s.subject) for s in sentences])
    fit, test = np.arange(0, len(sentences), 2), np.arange(1, len(sentences), 2)
    means = np.full((len(ANIMALS), values.shape[1]), np.nan)
    spread = np.zeros(values.shape[1])
    for a in range(len(ANIMALS)):
        members = values[fit[subjects[fit] == a]]
        if len(members):
            means[a] = members.mean(axis=0)
            spread += ((members - means[a]) ** 2).sum(axis=0)
    distance = np.abs(values[test][:, None, :] - means[None])  # (N_test, A, H)
    distance[:, np.isnan(means[:, 0])] = np.inf  # an animal never fitted is never predicted
    predicted = distance.argmin(axis=1)  # (N_test, H)
    accuracy = (predicted == subjects[test][:, None]).mean(axis=0)
    seen = ~np.isnan(means[:, 0])
    counts = np.array([np.count_nonzero(subjects[fit] == a) for a in range(len(ANIMALS))])[seen]
    grand = values[fit].mean(axis=0)
    between = (counts[:, None] * (means[seen] - grand) ** 2).sum(axis=0) / len(fit)
    within = spread / len(fit)
    # A unit constant within each animal but not across them separates perfectly: infinitely well.
    perfect = np.where(between > 0, np.inf, 0.0)
    separation = np.divide(between, within, out=perfect, where=within > 0)
    return UnitScores(accuracy, separation, means, ANIMALS, fitted=len(fit), tested=len(test))


def demo_sentences(n: int = DEFAULT_N, seed: int = UNITS_SEED) -> list[Sentence]:
    """n held-out demo sentences, each naming at least one animal besides its subject."""
    if n < 2:
        raise InputError(f"--n is {n}: give at least 2 sentences")
    return generate(n, seed, min_fillers=1, distractor_fraction=1.0)


def memory_unit_ranking(
    model: Model, n: int = DEFAULT_N, seed: int = UNITS_SEED, layer: int = -1, state: str = "hidden"
) -> np.ndarray:
    """Unit indices of `layer`, the units that best tell the subject animal at "it" first."""
    return score_units(model, demo_sentences(n, seed), layer, state).ranking()
