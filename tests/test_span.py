"""The memory-span metric on tiny hand-built models whose answer is known in advance."""

from __future__ import annotations

import json

import numpy as np
import pytest

import rnnviz
from rnnviz.analysis.span import CHANCE, DEFAULT_BUCKETS, animal_scores, linked, span
from rnnviz.cli import main
from rnnviz.core.model import Model
from rnnviz.training.corpus import ANIMALS, SOUNDS, demo_vocab, generate, generate_at_distance

VOCAB = demo_vocab()
N = 60
SEED = 10_000


def _model(
    cell: str,
    embedding: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    decoder: np.ndarray,
    decoder_bias: np.ndarray | None = None,
) -> Model:
    hidden = w_hh.shape[1]
    gate_rows = w_hh.shape[0]
    weights = {
        "encoder.weight": embedding,
        "rnn.weight_ih_l0": w_ih,
        "rnn.weight_hh_l0": w_hh,
        "rnn.bias_ih_l0": np.zeros(gate_rows),
        "rnn.bias_hh_l0": np.zeros(gate_rows),
        "decoder.weight": decoder,
        "decoder.bias": np.zeros(len(VOCAB)) if decoder_bias is None else decoder_bias,
    }
    assert decoder.shape == (len(VOCAB), hidden)
    return Model(weights, cell, VOCAB)


def _one_hot_animals() -> tuple[np.ndarray, np.ndarray]:
    """Embedding: animal k → unit vector k, other words → 0; decoder: unit k → the sounds of animal k."""
    embedding = np.zeros((len(VOCAB), len(ANIMALS)))
    decoder = np.zeros((len(VOCAB), len(ANIMALS)))
    for k, animal in enumerate(ANIMALS):
        embedding[VOCAB.index(animal), k] = 1.0
        for sound in SOUNDS[animal]:
            decoder[VOCAB.index(sound), k] = 20.0
    return embedding, decoder


def always_cat() -> Model:
    """Ignores its input and always says "meowed"."""
    bias = np.zeros(len(VOCAB))
    bias[VOCAB.index("meowed")] = 20.0
    return _model(
        "rnn_tanh",
        np.zeros((len(VOCAB), 2)),
        np.zeros((2, 2)),
        np.zeros((2, 2)),
        np.zeros((len(VOCAB), 2)),
        bias,
    )


def first_animal() -> Model:
    """A ReLU latch: the first animal switches its unit on and inhibits every later one (a perfect linker)."""
    embedding, decoder = _one_hot_animals()
    size = len(ANIMALS)
    w_hh = np.eye(size) - 20.0 * (1 - np.eye(size))  # keep itself, silence the others
    return _model("rnn_relu", embedding, np.eye(size), w_hh, decoder)


def last_animal() -> Model:
    """A tanh memory that every new animal overwrites: fooled by each distractor."""
    embedding, decoder = _one_hot_animals()
    size = len(ANIMALS)
    w_ih = 20.0 * np.eye(size) - 10.0  # +10 for the animal's own unit, −10 for the rest
    return _model("rnn_tanh", embedding, w_ih, 3.0 * np.eye(size), decoder / 2)


def bucket_sentences(k: int, bucket: tuple[int, int]) -> list:
    return generate_at_distance(bucket, N, SEED + k)  # span's documented rule: bucket k uses seed + k


def test_a_model_that_always_says_meowed_links_exactly_the_cat_sentences():
    result = span(always_cat(), n_per_bucket=N, seed=SEED)
    for k, bucket in enumerate(DEFAULT_BUCKETS):
        sentences = bucket_sentences(k, bucket)
        cats = sum(s.subject == "cat" for s in sentences)
        assert result.correct[k] == cats and result.count[k] == N
        assert result.accuracy[k] == pytest.approx(cats / N)
    overall = sum(result.correct) / sum(result.count)
    assert abs(overall - CHANCE) < 0.06  # cats are one subject in eight


def test_a_model_that_remembers_the_first_animal_links_every_sentence():
    result = span(first_animal(), n_per_bucket=N, seed=SEED)
    assert result.accuracy == [1.0] * len(DEFAULT_BUCKETS)


def test_a_model_that_remembers_the_last_animal_is_fooled_by_each_distractor():
    result = span(last_animal(), n_per_bucket=N, seed=SEED)
    for k, bucket in enumerate(DEFAULT_BUCKETS):
        sentences = bucket_sentences(k, bucket)
        last_named = [[t for t in s.tokens[: s.it_index] if t in ANIMALS][-1] for s in sentences]
        expected = sum(animal == s.subject for animal, s in zip(last_named, sentences, strict=True))
        assert result.correct[k] == expected
    assert result.accuracy[-1] < 0.8  # far sentences nearly always name another animal on the way


def test_a_tie_links_nothing():
    # All-zero weights: a uniform prediction, where cat, dog and bird tie with two sounds each.
    zero = _model(
        "rnn_tanh", np.zeros((len(VOCAB), 2)), np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((len(VOCAB), 2))
    )
    assert not linked(zero, generate(40, seed=1)).any()


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_batched_scores_match_running_each_sentence_alone(name):
    model = rnnviz.load(name)
    sentences = generate(25, seed=3, max_fillers=8)  # lengths differ, so batches are padded
    scores = animal_scores(model, sentences)
    for s, row in zip(sentences, scores, strict=True):
        probs = model.run(s.tokens[: s.it_index + 1]).probs[-1]
        alone = [sum(probs[VOCAB.index(w)] for w in SOUNDS[a]) for a in ANIMALS]
        np.testing.assert_allclose(row, alone, rtol=1e-4, atol=1e-7)


def test_a_vocabulary_without_the_sounds_is_refused():
    vocab = ["<unk>", "the", "cat", "it"]
    weights = {
        "encoder.weight": np.zeros((4, 2)),
        "rnn.weight_ih_l0": np.zeros((2, 2)),
        "rnn.weight_hh_l0": np.zeros((2, 2)),
        "rnn.bias_ih_l0": np.zeros(2),
        "rnn.bias_hh_l0": np.zeros(2),
        "decoder.weight": np.zeros((4, 2)),
        "decoder.bias": np.zeros(4),
    }
    with pytest.raises(ValueError, match="no sound word"):
        span(Model(weights, "rnn", vocab), n_per_bucket=2)


def test_cli_table_names_every_model_and_bucket(capsys):
    assert main(["span", "rnn", "lstm", "--n", "5"]) == 0
    out = capsys.readouterr().out
    for label in ("rnn", "lstm", "0–9", "60–69", "chance 12.5%"):
        assert label in out


def test_cli_json_reports_the_saved_models_accuracy(tmp_path, capsys):
    path = tmp_path / "cat.safetensors"
    rnnviz.save(always_cat(), path)
    assert main(["span", str(path), "--n", str(N), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["chance"] == CHANCE and payload["seed"] == SEED and payload["n_per_bucket"] == N
    (entry,) = payload["models"]
    assert entry["name"] == str(path) and entry["count"] == [N] * len(DEFAULT_BUCKETS)
    expected = [
        sum(s.subject == "cat" for s in bucket_sentences(k, b)) / N for k, b in enumerate(DEFAULT_BUCKETS)
    ]
    assert entry["accuracy"] == pytest.approx(expected)
    assert [tuple(b) for b in entry["buckets"]] == list(DEFAULT_BUCKETS)


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["span", "no/such/model.safetensors"], "no such file"), (["span", "lstm", "--n", "0"], "--n")],
)
def test_cli_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in captured.err
