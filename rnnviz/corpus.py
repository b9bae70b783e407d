"""The demo corpus: sentences in which "it" must stay linked to its animal (see shared/corpus.md)."""

from __future__ import annotations

DEMO_SENTENCE = "the cat sat on the mat because it was tired and it meowed ."

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
