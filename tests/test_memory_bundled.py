"""The default links method on the bundled models: at the last "it", the subject outweighs every other
animal named in the sentence in at least 95% of held-out sentences with distractor animals."""

from __future__ import annotations

import numpy as np
import pytest

import rnnviz
from rnnviz.analysis.links import link_rows
from rnnviz.training.corpus import ANIMALS, HELD_OUT_SEED, generate

SENTENCES = 150
REQUIRED = 0.95


def subject_wins(row: np.ndarray, tokens: list[str], subject_index: int, it_index: int) -> bool:
    others = [s for s in range(it_index) if tokens[s] in ANIMALS and s != subject_index]
    assert others, "every sentence here names another animal"
    return all(row[subject_index] > row[s] for s in others)


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_default_links_tie_it_to_the_subject_not_the_distractors(name: str) -> None:
    model = rnnviz.load(name)
    if model.metadata.get("trained", "").startswith("no"):
        pytest.skip(f"the bundled {name} is still the untrained placeholder ({model.metadata['trained']})")
    sentences = generate(SENTENCES, HELD_OUT_SEED + 200, min_fillers=1, distractor_fraction=1.0)
    wins = 0
    for sentence in sentences:
        trace = model.run(sentence.tokens)
        row = link_rows(model, trace, [sentence.it_index])[0]
        wins += subject_wins(row, sentence.tokens, sentence.subject_index, sentence.it_index)
    share = wins / len(sentences)
    assert share >= REQUIRED, f"{name}: the subject outweighs every distractor in only {share:.0%}"
