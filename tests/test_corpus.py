"""The demo corpus generator: reproducible, well-formed sentences at every distance (shared/corpus.md)."""

from __future__ import annotations

import pytest

from rnnviz.core.vocab import tokenize
from rnnviz.training.corpus import (
    ADJECTIVES,
    ANIMALS,
    PLACES,
    PREPOSITIONS,
    SOUNDS,
    VERBS,
    Sentence,
    demo_vocab,
    generate,
    generate_at_distance,
    parse,
    sound_ids,
    write_corpus,
)

ALL_SOUNDS = {sound for sounds in SOUNDS.values() for sound in sounds}
BUCKETS = [(lo, lo + 9) for lo in range(0, 70, 10)]


def _check_tail(tokens: list[str], subject: str) -> int:
    """Assert the sentence ends in one of the two forms; return the length of that ending."""
    assert tokens[-1] == "." and tokens[-3] == "it" and tokens[-2] in SOUNDS[subject]
    if len(tokens) >= 14 and tokens[-7:-5] == ["it", "was"]:
        verb, prep, the, place, conj, it, was, adjective, and_ = tokens[-12:-3]
        assert verb in VERBS and prep in PREPOSITIONS and the == "the" and place in PLACES
        assert conj in ("because", "while") and (it, was, and_) == ("it", "was", "and")
        assert adjective in ADJECTIVES
        return 12
    verb, and_ = tokens[-5:-3]
    assert verb in VERBS and and_ == "and"
    return 5


def check_sentence(s: Sentence) -> None:
    """Every rule of corpus.md, checked from the tokens alone."""
    tokens = s.tokens
    vocab = set(demo_vocab())
    assert all(tok in vocab for tok in tokens), [t for t in tokens if t not in vocab]
    assert tokens[:2] == ["the", s.subject] and s.subject in ANIMALS and s.subject_index == 1
    last_it = max(k for k, tok in enumerate(tokens) if tok == "it")
    assert s.it_index == last_it == len(tokens) - 3
    assert s.distance == len(tokens[s.subject_index + 1 : s.it_index])
    assert tokens[s.it_index + 1] in SOUNDS[s.subject] and s.sound == tokens[s.it_index + 1]
    tail = _check_tail(tokens, s.subject)
    fillers = tokens[2 : len(tokens) - tail]
    # Fillers are glue: no "it", no sound, no main verb, no full stop, and the subject is named once.
    assert not {"it", ".", *ALL_SOUNDS, *VERBS} & set(fillers), fillers
    assert s.subject not in fillers
    assert s.distractors == [tok for tok in fillers if tok in ANIMALS]
    assert s.text == " ".join(tokens)


def test_same_seed_gives_the_same_sentences_and_another_seed_others():
    assert generate(300, seed=7) == generate(300, seed=7)
    assert [s.text for s in generate(300, seed=7)] != [s.text for s in generate(300, seed=8)]
    assert generate_at_distance((40, 49), 50, seed=3) == generate_at_distance((40, 49), 50, seed=3)
    assert generate_at_distance((40, 49), 50, seed=3) != generate_at_distance((40, 49), 50, seed=4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_sentences_are_well_formed(seed):
    for s in generate(400, seed=seed, max_fillers=10):
        check_sentence(s)


@pytest.mark.parametrize("bucket", BUCKETS)
def test_sentences_at_a_distance_are_well_formed_and_in_range(bucket):
    sentences = generate_at_distance(bucket, 200, seed=11)
    for s in sentences:
        check_sentence(s)
    lo, hi = bucket
    distances = {s.distance for s in sentences}
    # The shortest possible distance is 2 ("the cat sat and it meowed ."): every other value shows up.
    assert distances == set(range(max(lo, 2), hi + 1))


def test_distractors_name_other_animals_and_appear_as_often_as_asked():
    sentences = generate(2000, seed=5, min_fillers=1, max_fillers=4, distractor_fraction=0.5)
    share = sum(bool(s.distractors) for s in sentences) / len(sentences)
    assert 0.45 < share < 0.55
    assert all(s.subject not in s.distractors for s in sentences)
    assert all(s.distractors for s in generate(200, seed=5, min_fillers=1, distractor_fraction=1.0))
    assert not any(s.distractors for s in generate(200, seed=5, max_fillers=8, distractor_fraction=0.0))
    far = generate_at_distance((60, 69), 200, seed=5, distractor_fraction=1.0)
    assert all(s.distractors for s in far)


def test_the_two_forms_and_the_filler_count_set_the_distance():
    bare = generate(300, seed=2, min_fillers=0, max_fillers=0)
    assert {s.distance for s in bare} == {2, 9}  # short and long form, no fillers
    assert all(len(s.tokens) == 7 for s in generate(50, seed=2, max_fillers=0, short_fraction=1.0))
    assert all(len(s.tokens) == 14 for s in generate(50, seed=2, max_fillers=0, short_fraction=0.0))
    long_ones = generate(500, seed=2, min_fillers=20, max_fillers=20, short_fraction=0.0)
    assert min(s.distance for s in long_ones) >= 9 + 20  # every filler has at least one word
    assert max(s.distance for s in long_ones) >= 60


def test_the_generator_reaches_any_long_distance():
    for target in (2, 9, 10, 60, 70, 85):
        assert {s.distance for s in generate_at_distance(target, 20, seed=target)} == {target}


def test_every_subject_is_drawn():
    counts = {a: 0 for a in ANIMALS}
    for s in generate(1600, seed=9):
        counts[s.subject] += 1
    assert all(150 < c < 250 for c in counts.values()), counts


def test_bad_requests_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="shortest is 2"):
        generate_at_distance((0, 1), 5, seed=0)
    with pytest.raises(ValueError, match="min_fillers"):
        generate(5, seed=0, min_fillers=4, max_fillers=2)
    with pytest.raises(ValueError, match="fraction"):
        generate(5, seed=0, short_fraction=1.5)


def test_write_corpus_round_trips(tmp_path):
    path = write_corpus(tmp_path / "corpus.txt", 120, seed=4, max_fillers=9, short_fraction=0.5)
    lines = path.read_text(encoding="utf-8").splitlines()
    expected = generate(120, seed=4, max_fillers=9, short_fraction=0.5)
    assert len(lines) == 120
    assert [tokenize(line) for line in lines] == [s.tokens for s in expected]


def test_parse_reads_any_sentence_the_way_the_generator_labels_it():
    demo = parse("The cat sat on the mat because it was tired and it meowed .")
    # Hand count: the(0) cat(1) sat on the mat because it was tired and(10) it(11).
    assert (demo.subject, demo.subject_index, demo.it_index, demo.distance) == ("cat", 1, 11, 9)
    chased = parse("the dog that the cow chased sat and it barked .")
    assert (chased.subject, chased.distractors, chased.distance) == ("dog", ["cow"], 6)
    for s in generate(100, seed=1, max_fillers=5):
        assert parse(s.text) == s
    with pytest.raises(ValueError, match="animal"):
        parse("it was tired and the cat slept .")


def test_sound_ids_name_each_animals_sounds():
    vocab = demo_vocab()
    ids = sound_ids(vocab)
    assert set(ids) == set(ANIMALS)
    for animal, found in ids.items():
        assert sorted(vocab[i] for i in found) == sorted(SOUNDS[animal])
    partial = sound_ids(["<unk>", "meowed", "mooed"])
    assert partial["cat"] == [1] and partial["cow"] == [2] and partial["dog"] == []


def test_token_stream_reads_back_as_the_sentences_each_ended_by_eos():
    from rnnviz.training.corpus import generate, token_stream

    words, ids = token_stream(5, seed=3)
    assert words[0] == "<unk>" and len(set(words)) == len(words)
    expected = [w for s in generate(5, seed=3) for w in [*s.tokens, "<eos>"]]
    assert [words[i] for i in ids] == expected
