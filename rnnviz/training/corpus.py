"""The demo corpus: sentences in which "it" must stay linked to its animal (see shared/corpus.md)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnviz.core.vocab import Vocab, tokenize
from rnnviz.errors import InputError

DEMO_SENTENCE = "the cat sat on the mat because it was tired and it meowed ."
CODE_EXCERPT_CHARS = 600  # the viewer shows this much of a character model's demo function


def code_excerpt(limit: int = CODE_EXCERPT_CHARS) -> str:
    """The demo text of a character model: the start of `textwrap.dedent` from the standard library
    the user has, cut at the last line end within `limit` characters (it is the kind of text the
    bundled chars model was trained on, but never the text itself: textwrap is not in its corpus)."""
    import inspect
    import textwrap

    source = inspect.getsource(textwrap.dedent)
    if len(source) <= limit:
        return source
    cut = source.rfind("\n", 0, limit)
    return source[: cut + 1] if cut > 0 else source[:limit]


def demo_text(tokenizer: str) -> str:
    """The text a viewer opens on for a model that reads text this way."""
    return code_excerpt() if tokenizer == "chars" else DEMO_SENTENCE


SOUNDS: dict[str, tuple[str, ...]] = {
    "cat": ("meowed", "purred"),
    "dog": ("barked", "growled"),
    "bird": ("sang", "chirped"),
    "cow": ("mooed",),
    "duck": ("quacked",),
    "horse": ("neighed",),
    "sheep": ("bleated",),
    "frog": ("croaked",),
}
ANIMALS = tuple(SOUNDS)
PLACES = ("mat", "rug", "sofa", "bed", "chair", "box", "fence", "roof", "floor", "table", "porch", "step")
VERBS = ("sat", "slept", "waited", "rested", "stood", "lay")
PREPOSITIONS = ("on", "under", "near", "behind", "beside")
ADJECTIVES = ("tired", "hungry", "sleepy", "happy", "cold", "warm")
GLUE = (
    "the",
    "a",
    "it",
    "was",
    "and",
    "because",
    "while",
    "for",
    "long",
    "time",
    "all",
    "day",
    "in",
    "garden",
    "next",
    "to",
    "that",
    "chased",
    "with",
    "quietly",
    "again",
)
SPECIAL = ("<unk>", "<eos>", ".")


def demo_vocab() -> list[str]:
    """The bundled models' vocabulary: special tokens first, then the lexicon, each word once."""
    words: list[str] = list(SPECIAL)
    groups = (ANIMALS, *SOUNDS.values(), PLACES, VERBS, PREPOSITIONS, ADJECTIVES, GLUE)
    for group in groups:
        for word in group:
            if word not in words:
                words.append(word)
    return words


# -- the generator ---------------------------------------------------------------------------------
# Seeds: training corpora use seeds below 1000; `rnnviz span` draws its held-out sentences from
# seeds 10_000 and up, so a measured sentence is never one the bundled models were trained on.
TRAIN_SEED_LIMIT = 1000
HELD_OUT_SEED = 10_000

DEFAULT_SHORT_FRACTION = 0.3
DEFAULT_DISTRACTOR_FRACTION = 0.5

# Slots in filler phrases, filled per use; none of them is a vocabulary word, so a slot left unfilled
# would show up as an unknown word in the tests.
ANIMAL_SLOT, PLACE_SLOT, ADJ_SLOT = "<animal>", "<place>", "<adj>"

PLAIN_FILLERS: tuple[tuple[str, ...], ...] = (
    ("in", "the", "garden"),
    ("for", "a", "long", "time"),
    ("for", "a", "time"),
    ("all", "day"),
    ("all", "day", "long"),
    ("next", "to", "the", PLACE_SLOT),
    ("that", "was", ADJ_SLOT),
    ("quietly",),
    ("again",),
)
# Phrases naming another animal: the model must hold on to the subject, not the last animal it saw.
ANIMAL_FILLERS: tuple[tuple[str, ...], ...] = (
    ("that", "the", ANIMAL_SLOT, "chased"),
    ("that", "chased", "the", ANIMAL_SLOT),
    ("with", "the", ANIMAL_SLOT),
    ("with", "a", ANIMAL_SLOT),
    ("next", "to", "the", ANIMAL_SLOT),
)
NEXT_TO_PLACES = ("mat", "rug", "sofa", "bed", "chair", "box", "fence", "table", "porch", "step")

# Words strictly between the animal and the last "it" when there are no fillers:
# "the cat [sat and] it meowed ." and "the cat [sat on the mat because it was tired and] it meowed ."
SHORT_BASE_DISTANCE = 2
LONG_BASE_DISTANCE = 9
MIN_DISTANCE = SHORT_BASE_DISTANCE


@dataclass
class Sentence:
    """One demo sentence and where its subject and its last "it" stand."""

    tokens: list[str]
    subject: str  # the animal "it" refers to
    subject_index: int  # position of the subject animal
    it_index: int  # position of the last "it" (the one followed by the sound)
    distance: int  # words strictly between the subject and the last "it"
    distractors: list[str] = field(default_factory=list)  # other animals named, in order

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    @property
    def sound(self) -> str:
        """The word after the last "it" ("" when the text stops at "it")."""
        following = self.tokens[self.it_index + 1 : self.it_index + 2]
        return following[0] if following else ""


def parse(text: str | Sequence[str]) -> Sentence:
    """The Sentence view of any text: the first animal is the subject, the last "it" the reference.

    ValueError when the text names no animal before its last "it".
    """
    tokens = tokenize(text.lower()) if isinstance(text, str) else [str(t).lower() for t in text]
    it_positions = [k for k, tok in enumerate(tokens) if tok == "it"]
    animal_positions = [k for k, tok in enumerate(tokens) if tok in SOUNDS]
    if not it_positions or not animal_positions or animal_positions[0] > it_positions[-1]:
        raise InputError(
            'the sentence needs an animal and, after it, "it" (e.g. "the cat sat and it meowed .")'
        )
    subject_index, it_index = animal_positions[0], it_positions[-1]
    distractors = [
        tokens[k] for k in animal_positions[1:] if k < it_index and tokens[k] != tokens[subject_index]
    ]
    return Sentence(
        tokens=tokens,
        subject=tokens[subject_index],
        subject_index=subject_index,
        it_index=it_index,
        distance=it_index - subject_index - 1,
        distractors=distractors,
    )


def _fill(template: tuple[str, ...], rng: random.Random, subject: str) -> list[str]:
    """A filler phrase with its slots filled; the animal slot never gets the subject."""
    words = []
    for word in template:
        if word == ANIMAL_SLOT:
            word = rng.choice([a for a in ANIMALS if a != subject])
        elif word == PLACE_SLOT:
            word = rng.choice(NEXT_TO_PLACES)
        elif word == ADJ_SLOT:
            word = rng.choice(ADJECTIVES)
        words.append(word)
    return words


def _fillers_by_count(rng: random.Random, count: int, with_distractor: bool) -> list[tuple[str, ...]]:
    """`count` filler templates; at least one names another animal when with_distractor."""
    if count == 0:
        return []
    pool = PLAIN_FILLERS + ANIMAL_FILLERS if with_distractor else PLAIN_FILLERS
    chosen = [rng.choice(pool) for _ in range(count)]
    if with_distractor and not any(ANIMAL_SLOT in t for t in chosen):
        chosen[rng.randrange(count)] = rng.choice(ANIMAL_FILLERS)
    return chosen


def _fillers_by_words(rng: random.Random, words: int, with_distractor: bool) -> list[tuple[str, ...]]:
    """Filler templates with exactly `words` words in all (one-word phrases make any total reachable)."""
    chosen: list[tuple[str, ...]] = []
    remaining = words
    fitting_animal = [t for t in ANIMAL_FILLERS if len(t) <= remaining]
    if with_distractor and fitting_animal:
        chosen.append(rng.choice(fitting_animal))
        remaining -= len(chosen[0])
    pool = PLAIN_FILLERS + ANIMAL_FILLERS if with_distractor else PLAIN_FILLERS
    while remaining > 0:
        template = rng.choice([t for t in pool if len(t) <= remaining])
        chosen.append(template)
        remaining -= len(template)
    rng.shuffle(chosen)
    return chosen


def _sentence(rng: random.Random, subject: str, fillers: list[tuple[str, ...]], short: bool) -> Sentence:
    tokens = ["the", subject]
    for template in fillers:
        tokens += _fill(template, rng, subject)
    distractors = [tok for tok in tokens[2:] if tok in SOUNDS]
    verb, sound = rng.choice(VERBS), rng.choice(SOUNDS[subject])
    if short:
        tokens += [verb, "and", "it", sound, "."]
    else:
        place, adjective = rng.choice(PLACES), rng.choice(ADJECTIVES)
        tokens += [verb, rng.choice(PREPOSITIONS), "the", place, rng.choice(("because", "while"))]
        tokens += ["it", "was", adjective, "and", "it", sound, "."]
    it_index = len(tokens) - 3
    return Sentence(
        tokens=tokens,
        subject=subject,
        subject_index=1,
        it_index=it_index,
        distance=it_index - 2,
        distractors=distractors,
    )


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{name} is {value}: give a fraction between 0 and 1")


def generate(
    n: int,
    seed: int,
    min_fillers: int = 0,
    max_fillers: int = 6,
    short_fraction: float = DEFAULT_SHORT_FRACTION,
    distractor_fraction: float = DEFAULT_DISTRACTOR_FRACTION,
) -> list[Sentence]:
    """n demo sentences, the same for the same arguments.

    Each has a uniformly drawn subject and between min_fillers and max_fillers filler phrases (1–4
    words each); short_fraction of them take the short form, distractor_fraction name other animals.
    """
    if not 0 <= min_fillers <= max_fillers:
        raise InputError(f"fillers {min_fillers}..{max_fillers}: need 0 <= min_fillers <= max_fillers")
    _check_fraction("short_fraction", short_fraction)
    _check_fraction("distractor_fraction", distractor_fraction)
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        subject = rng.choice(ANIMALS)
        count = rng.randint(min_fillers, max_fillers)
        fillers = _fillers_by_count(rng, count, rng.random() < distractor_fraction)
        sentences.append(_sentence(rng, subject, fillers, short=rng.random() < short_fraction))
    return sentences


def generate_at_distance(
    distance: int | tuple[int, int],
    n: int,
    seed: int,
    short_fraction: float = DEFAULT_SHORT_FRACTION,
    distractor_fraction: float = DEFAULT_DISTRACTOR_FRACTION,
) -> list[Sentence]:
    """n demo sentences whose distance (words between the subject and the last "it") is `distance`,
    or drawn uniformly from the inclusive range (lo, hi).

    The shortest possible distance is MIN_DISTANCE (2, "the cat sat and it meowed ."); below
    LONG_BASE_DISTANCE (9) only the short form fits. Any longer distance is reachable.
    """
    lo, hi = (distance, distance) if isinstance(distance, int) else distance
    lo = max(lo, MIN_DISTANCE)
    if lo > hi:
        raise InputError(f"no demo sentence has a distance in {distance}: the shortest is {MIN_DISTANCE}")
    _check_fraction("short_fraction", short_fraction)
    _check_fraction("distractor_fraction", distractor_fraction)
    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        subject = rng.choice(ANIMALS)
        target = rng.randint(lo, hi)
        short = target < LONG_BASE_DISTANCE or rng.random() < short_fraction
        base = SHORT_BASE_DISTANCE if short else LONG_BASE_DISTANCE
        fillers = _fillers_by_words(rng, target - base, rng.random() < distractor_fraction)
        sentences.append(_sentence(rng, subject, fillers, short=short))
    return sentences


def write_corpus(path: str | Path, n: int, seed: int, **options: Any) -> Path:
    """Write n generated sentences (see generate for the options), one a line; returns the path."""
    path = Path(path)
    lines = [s.text for s in generate(n, seed, **options)]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def sound_ids(vocab: Sequence[str] | Vocab) -> dict[str, list[int]]:
    """Each animal's sound words as token ids of `vocab` (sounds missing from it are left out)."""
    index = vocab if isinstance(vocab, Vocab) else Vocab(vocab)
    found: dict[str, list[int]] = {}
    for animal, sounds in SOUNDS.items():
        ids = (index.lookup(sound) for sound in sounds)
        found[animal] = [i for i in ids if i is not None]
    return found


def token_stream(n: int, seed: int) -> tuple[list[str], list[int]]:
    """n generated sentences as one stream of ids, each sentence followed by <eos>, with the
    vocabulary in first-seen order (as PyTorch's word_language_model builds it), <unk> first."""
    words = ["<unk>"]  # so rnnviz can read words outside the corpus
    index = {"<unk>": 0}
    ids = []
    for sentence in generate(n, seed):
        for word in [*sentence.tokens, "<eos>"]:
            if word not in index:
                index[word] = len(words)
                words.append(word)
            ids.append(index[word])
    return words, ids
