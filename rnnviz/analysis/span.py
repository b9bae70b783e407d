"""Memory span: does the prediction at the last "it" name the right animal, word after word away?

For each held-out demo sentence the model reads the words up to and including the last "it"; the
probability it gives each animal's sounds is summed, and the link is correct when the subject's sum
is strictly the largest (a tie links nothing). Chance is 1 in 8. Accuracy is reported by distance:
the number of words between the subject and that "it" (see shared/corpus.md).

Held-out sentences come from seeds HELD_OUT_SEED (10_000) and up, bucket k from seed + k; training
corpora use seeds below 1000, so no measured sentence was seen in training.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rnnviz.core.model import Model, softmax
from rnnviz.errors import InputError
from rnnviz.training.corpus import ANIMALS, HELD_OUT_SEED, Sentence, generate_at_distance, sound_ids

if TYPE_CHECKING:  # rich is imported only when a table is drawn
    pass

DEFAULT_BUCKETS: tuple[tuple[int, int], ...] = tuple((lo, lo + 9) for lo in range(0, 70, 10))
CHANCE = 1 / len(ANIMALS)
BATCH = 256  # sentences per forward pass: bounds the memory of the recorded gates


@dataclass
class SpanResult:
    """Link accuracy of one model per distance bucket."""

    buckets: list[tuple[int, int]]  # inclusive distance ranges
    correct: list[int]
    count: list[int]
    name: str = ""
    cell: str = ""

    @property
    def accuracy(self) -> list[float]:
        return [c / n if n else float("nan") for c, n in zip(self.correct, self.count, strict=True)]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "cell": self.cell,
            "buckets": [list(b) for b in self.buckets],
            "accuracy": self.accuracy,
            "correct": self.correct,
            "count": self.count,
        }


def bucket_label(bucket: tuple[int, int]) -> str:
    lo, hi = bucket
    return f"{lo}–{hi}"


def _animal_sound_ids(model: Model) -> list[list[int]]:
    """Sound ids per animal in ANIMALS order; ValueError when the vocabulary lacks some animal's sounds."""
    if model.head != "next-token":
        raise InputError(
            f"span measures next-word predictions, and this model is a {model.head}: "
            "give a language model (a next-word head)"
        )
    ids = sound_ids(model.vocab_index)
    missing = [animal for animal in ANIMALS if not ids[animal]]
    if missing:
        raise InputError(
            f"the model's vocabulary has no sound word for {', '.join(missing)}: "
            "span needs a model trained on the demo corpus (rnnviz.training.corpus)"
        )
    return [ids[animal] for animal in ANIMALS]


def animal_scores(model: Model, sentences: Sequence[Sentence]) -> np.ndarray:
    """(N, 8): the probability each animal's sounds get right after each sentence's last "it".

    Sentences run in batches padded at the end: a recurrent state depends only on earlier words,
    so each sentence's state at its "it" is what a run of that sentence alone would give.
    """
    groups = _animal_sound_ids(model)
    scores = np.zeros((len(sentences), len(ANIMALS)))
    order = sorted(range(len(sentences)), key=lambda k: sentences[k].it_index)
    for start in range(0, len(order), BATCH):
        chunk = order[start : start + BATCH]
        steps = sentences[chunk[-1]].it_index + 1
        ids = np.zeros((steps, len(chunk)), dtype=np.int64)
        for column, k in enumerate(chunk):
            prefix = sentences[k].tokens[: sentences[k].it_index + 1]
            ids[: len(prefix), column] = model.vocab_index.encode(prefix)
        top = model.run_stack_of(ids).h[-1]  # (T, B, D·H_out)
        at_it = top[[sentences[k].it_index for k in chunk], np.arange(len(chunk))]  # (B, H)
        probs = softmax(model.logits(at_it).astype(np.float64))
        for a, sound_group in enumerate(groups):
            scores[chunk, a] = probs[:, sound_group].sum(axis=1)
    return scores


def linked(model: Model, sentences: Sequence[Sentence]) -> np.ndarray:
    """(N,) bool: the subject's sounds get strictly more probability than any other animal's."""
    scores = animal_scores(model, sentences)
    subjects = np.array([ANIMALS.index(s.subject) for s in sentences], dtype=np.int64)
    rows = np.arange(len(sentences))
    subject_score = scores[rows, subjects]
    others = scores.copy()
    others[rows, subjects] = -np.inf
    return subject_score > others.max(axis=1)


def span(
    model: Model,
    n_per_bucket: int = 200,
    seed: int = HELD_OUT_SEED,
    buckets: Sequence[tuple[int, int]] = DEFAULT_BUCKETS,
    name: str = "",
    on_progress: Callable[[int], None] | None = None,
) -> SpanResult:
    """Link accuracy per distance bucket on n_per_bucket fresh sentences each (bucket k: seed + k).
    `on_progress(1)` is called after each bucket."""
    if n_per_bucket < 1:
        raise InputError(f"--n is {n_per_bucket}: give at least 1 sentence per bucket")
    correct, count = [], []
    for k, bucket in enumerate(buckets):
        sentences = generate_at_distance(tuple(bucket), n_per_bucket, seed + k)
        correct.append(int(linked(model, sentences).sum()))
        count.append(len(sentences))
        if on_progress is not None:
            on_progress(1)
    return SpanResult([tuple(b) for b in buckets], correct, count, name=name, cell=model.cell_name)
