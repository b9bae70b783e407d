"""Memory units: the one-unit probe, the states it reads, the ranking, and `rnnviz units`."""

from __future__ import annotations

import numpy as np
import pytest

import rnnviz
from rnnviz import Model
from rnnviz.analysis.units import demo_sentences, memory_unit_ranking, score_units, states_at_it
from rnnviz.cli import main
from rnnviz.training.corpus import ANIMALS, demo_vocab, parse


def first_animal_lstm() -> Model:
    """A hand-made LSTM whose unit 0 stores the first animal it reads and ignores every later one.

    The one embedding dimension codes animal k as (k+1)/8 (other words 0). Unit 0 keeps its cell
    (forget gate pinned at 1), writes tanh(2x) through an input gate that opens on an animal while the
    unit is still empty and shuts once it holds something (−400·h). Unit 1 never changes.
    """
    vocab = demo_vocab()
    embedding = np.zeros((len(vocab), 1))
    for k, animal in enumerate(ANIMALS):
        embedding[vocab.index(animal)] = (k + 1) / len(ANIMALS)
    hidden = 2
    w_ih, w_hh, bias = np.zeros((4 * hidden, 1)), np.zeros((4 * hidden, hidden)), np.zeros(4 * hidden)
    w_ih[0], w_hh[0, 0] = 80.0, -400.0  # input gate of unit 0
    bias[2] = 30.0  # forget gate of unit 0
    w_ih[4] = 2.0  # candidate of unit 0
    bias[6] = 30.0  # output gate of unit 0
    weights = {
        "encoder.weight": embedding,
        "rnn.weight_ih_l0": w_ih,
        "rnn.weight_hh_l0": w_hh,
        "rnn.bias_ih_l0": bias,
        "rnn.bias_hh_l0": np.zeros(4 * hidden),
        "decoder.weight": np.zeros((len(vocab), hidden)),
        "decoder.bias": np.zeros(len(vocab)),
    }
    return Model(weights, "lstm", vocab, dtype="float64")


def test_a_unit_built_to_remember_the_subject_ranks_first() -> None:
    model = first_animal_lstm()
    sentences = demo_sentences(200, seed=5)
    assert all(s.distractors for s in sentences)
    scores = score_units(model, sentences)
    assert scores.accuracy[0] == 1.0
    assert scores.accuracy[1] <= 0.3  # a constant unit can only ever name one animal
    assert scores.ranking()[0] == 0
    for state in ("hidden", "cell"):
        assert memory_unit_ranking(model, n=100, seed=5, state=state)[0] == 0


def test_states_at_it_equal_single_sentence_runs() -> None:
    model = first_animal_lstm()
    model.layers[0].w_hh[:] += np.random.default_rng(0).normal(0, 0.3, model.layers[0].w_hh.shape)
    sentences = demo_sentences(30, seed=2)
    for state in ("hidden", "cell"):
        batched = states_at_it(model, sentences, state=state)
        for k, sentence in enumerate(sentences):
            trace = model.run(sentence.tokens)
            values = trace.hidden if state == "hidden" else trace.cell_state
            np.testing.assert_allclose(batched[k], values[-1, sentence.it_index], atol=1e-12)


def test_probe_accuracy_is_measured_on_held_out_sentences(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit 0 codes the subject, unit 1 is noise, unit 2 codes the subject only in the fitting half."""
    rng = np.random.default_rng(0)
    sentences = [parse(f"the {animal} sat and it meowed .") for animal in rng.permutation(ANIMALS * 20)]
    subjects = np.array([ANIMALS.index(s.subject) for s in sentences], dtype=float)
    values = np.stack([subjects, rng.normal(size=len(subjects)), subjects.copy()], axis=1)
    values[1::2, 2] = rng.permutation(subjects[1::2])
    monkeypatch.setattr("rnnviz.analysis.units.states_at_it", lambda *args, **kwargs: values)
    scores = score_units(first_animal_lstm(), sentences)
    assert scores.accuracy[0] == 1.0
    assert scores.accuracy[1] < 0.35 and scores.accuracy[2] < 0.35
    assert scores.separation[2] > scores.separation[1]  # it looked perfect where it was fitted
    assert list(scores.ranking()[:1]) == [0]
    assert scores.fitted == scores.tested == len(sentences) // 2
    np.testing.assert_allclose(scores.means[:, 0], np.arange(len(ANIMALS)))


def test_units_needs_a_demo_vocabulary() -> None:
    weights = first_animal_lstm().weights
    vocab = [f"w{k}" for k in range(len(demo_vocab()))]
    with pytest.raises(ValueError, match="trained on the demo corpus"):
        score_units(Model(weights, "lstm", vocab), demo_sentences(10))


def test_units_command_prints_the_top_units(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["units", "gru", "--top", "3", "--n", "40"]) == 0
    out = capsys.readouterr().out
    assert "memory units" in out
    assert "chance 12.5%" in out
    rows = [line.split("│") for line in out.splitlines() if line.startswith("│")]
    listed = [int(cells[2]) for cells in rows]
    assert listed == list(memory_unit_ranking(rnnviz.load("gru"), n=40)[:3])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["units", "gru", "--state", "cell"], "only an LSTM has a cell state"),
        (["units", "lstm", "--n", "1"], "at least 2"),
        (["units", "lstm", "--top", "0"], "at least 1"),
        (["units", "lstm", "--layer", "3"], "out of range"),
    ],
)
def test_units_command_bad_input_is_one_line(argv: list[str], message: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
