"""Training on a stream: parallel streams, chunks whose state carries over, truncated BPTT checked by
finite differences (the gradient stops at the chunk's start), and bits per character."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import CELL_TYPES, make_vocab, random_weights

from rnnviz import Model
from rnnviz.core.carry import LayerState, run_carried, zero_state
from rnnviz.errors import InputError
from rnnviz.training.stream import (
    StreamTrainer,
    bits,
    chunk_loss_and_grads,
    chunks,
    evaluate,
    split_streams,
)
from rnnviz.training.train import TrainConfig

VOCAB = 9


def model_of(cell: str, layers: int = 2, seed: int = 3) -> Model:
    weights = random_weights(cell, layers=layers, vocab=VOCAB, embedding=5, hidden=4, seed=seed, scale=0.6)
    return Model(weights, cell, make_vocab(VOCAB), dtype="float64")


def test_split_streams_cuts_side_by_side_columns_and_targets_are_the_next_id() -> None:
    ids = np.arange(23)
    inputs, targets = split_streams(ids, 4)  # (23 − 1) // 4 = 5 steps a stream; the tail is dropped
    assert inputs.shape == targets.shape == (5, 4)
    np.testing.assert_array_equal(inputs[:, 0], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(inputs[:, 3], [15, 16, 17, 18, 19])
    np.testing.assert_array_equal(targets, inputs + 1)


def test_chunks_cover_the_streams_in_order_the_last_one_shorter() -> None:
    inputs, targets = split_streams(np.arange(31), 3)  # 10 steps a stream
    pieces = list(chunks(inputs, targets, 4))
    assert [len(x) for x, _ in pieces] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in pieces]), inputs)
    np.testing.assert_array_equal(np.concatenate([y for _, y in pieces]), targets)


def test_a_stream_too_short_for_its_streams_is_refused_in_words() -> None:
    with pytest.raises(InputError, match="too few for 8 parallel streams"):
        split_streams(np.arange(5), 8)


@pytest.mark.parametrize("cell", CELL_TYPES)
def test_chunks_with_the_state_carried_equal_one_long_run(cell: str) -> None:
    """The forward pass of consecutive chunks, each from the last one's final h and c, is the run of
    the whole stream at once: concatenated chunk states equal the long run's states."""
    model = model_of(cell)
    inputs, _ = split_streams(np.random.default_rng(0).integers(0, VOCAB, 61), 3)  # (20, 3)
    whole = model.forward(inputs)
    state = zero_state(model, 3)
    pieces: list[list[np.ndarray]] = [[] for _ in model.layers]
    cells: list[list[np.ndarray]] = [[] for _ in model.layers]
    for x, _ in chunks(inputs, inputs, 7):
        runs, state = run_carried(model, x, state)
        for k, run in enumerate(runs):
            pieces[k].append(run.h)
            if run.c is not None:
                cells[k].append(run.c)
    for k, run in enumerate(whole):
        np.testing.assert_allclose(np.concatenate(pieces[k]), run.h, rtol=1e-12, atol=1e-14)
        if run.c is not None:
            np.testing.assert_allclose(np.concatenate(cells[k]), run.c, rtol=1e-12, atol=1e-14)


def carried_state(model: Model, batch: int, seed: int) -> list[LayerState]:
    """A nonzero state, as a previous chunk would leave it."""
    rng = np.random.default_rng(seed)
    has_c = model.spec.has_cell_state
    shape = (batch, model.hidden_size)
    return [
        LayerState(rng.uniform(-0.8, 0.8, shape), rng.uniform(-1.5, 1.5, shape) if has_c else None)
        for _ in model.layers
    ]


@pytest.mark.parametrize("cell", CELL_TYPES)
@pytest.mark.parametrize("carried", [False, True])
def test_chunk_gradient_matches_finite_differences_with_the_state_held_fixed(
    cell: str, carried: bool
) -> None:
    """Truncated BPTT: the chunk's loss as a function of the weights with the carried state a constant
    (it came from the previous chunk, which the gradient must not reach)."""
    rng = np.random.default_rng(1)
    inputs, targets = rng.integers(0, VOCAB, (5, 2)), rng.integers(0, VOCAB, (5, 2))
    weights = random_weights(cell, layers=2, vocab=VOCAB, embedding=3, hidden=4, seed=3, scale=0.6)
    vocab = make_vocab(VOCAB)
    model = Model(weights, cell, vocab, dtype="float64")
    state = carried_state(model, 2, seed=4) if carried else zero_state(model, 2)
    label = f"{cell} (carried={carried})"

    check_finite_differences(
        weights, lambda: Model(weights, cell, vocab, dtype="float64"), inputs, targets, state, label
    )
    assert set(chunk_loss_and_grads(model, inputs, targets, state)[1]) == set(weights)


def check_finite_differences(weights, make_model, inputs, targets, state, label: str = "") -> None:
    """Every tensor's gradient from chunk_loss_and_grads against central differences of the loss."""

    def loss() -> float:
        return chunk_loss_and_grads(make_model(), inputs, targets, state)[0]

    _, grads, _ = chunk_loss_and_grads(make_model(), inputs, targets, state)
    assert set(grads) <= set(weights)
    step = 1e-6
    for name in grads:  # the trainer has no gradient for a projection's W_hr (it trains none)
        value = weights[name]
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + step
            plus = loss()
            value[index] = original - step
            minus = loss()
            value[index] = original
            numeric[index] = (plus - minus) / (2 * step)
        assert np.linalg.norm(numeric) > 1e-6, f"{name}: the check would be vacuous"
        error = np.linalg.norm(grads[name] - numeric) / (
            np.linalg.norm(grads[name]) + np.linalg.norm(numeric)
        )
        assert error < 1e-6, f"{label} {name}: relative error {error:.2e}"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_carried_state_enters_the_recurrent_gradient(cell: str) -> None:
    """W_hh's gradient at the first step reads h_{−1} (and an LSTM's forget gate c_{−1}): a chunk from a
    carried state has other gradients than the same chunk from zeros."""
    model = model_of(cell)
    rng = np.random.default_rng(2)
    inputs, targets = rng.integers(0, VOCAB, (4, 2)), rng.integers(0, VOCAB, (4, 2))
    _, from_zero, _ = chunk_loss_and_grads(model, inputs, targets, zero_state(model, 2))
    _, carried, _ = chunk_loss_and_grads(model, inputs, targets, carried_state(model, 2, seed=5))
    assert not np.allclose(from_zero["rnn.weight_hh_l0"], carried["rnn.weight_hh_l0"])


def test_the_state_after_a_chunk_is_a_copy_of_its_last_step() -> None:
    model = model_of("lstm")
    inputs = np.random.default_rng(3).integers(0, VOCAB, (6, 2))
    runs, after = run_carried(model, inputs, zero_state(model, 2))
    for run, state in zip(runs, after, strict=True):
        np.testing.assert_array_equal(state.h, run.h[-1])
        np.testing.assert_array_equal(state.c, run.c[-1])
        assert not np.shares_memory(state.h, run.h)


def fixed_distribution_model(probs: np.ndarray) -> Model:
    """A model whose next-token distribution is `probs` whatever it read: zero decoder weights and
    log-probabilities as the decoder bias."""
    vocab = len(probs)
    weights = random_weights("lstm", vocab=vocab, embedding=3, hidden=2, seed=0)
    weights["decoder.weight"] = np.zeros((vocab, 2))
    weights["decoder.bias"] = np.log(probs)
    return Model(weights, "lstm", make_vocab(vocab), dtype="float64")


def test_evaluate_gives_the_cross_entropy_and_bits_divide_it_by_ln_2() -> None:
    uniform = fixed_distribution_model(np.full(4, 0.25))
    ids = np.random.default_rng(0).integers(0, 4, 301)
    assert bits(evaluate(uniform, ids, streams=3, chunk=17)) == pytest.approx(2.0)  # log2(4)

    probs = np.array([0.5, 0.25, 0.125, 0.125])
    skewed = fixed_distribution_model(probs)
    ids = np.array([0, 0, 1, 2, 3, 0, 1])  # targets: ids[1:]
    expected = -np.mean(np.log2(probs[ids[1:]]))  # (1 + 2 + 3 + 3 + 1 + 2) / 6 = 2 bits
    assert bits(evaluate(skewed, ids, streams=1)) == pytest.approx(expected)
    assert bits(math.log(2)) == pytest.approx(1.0)


def test_stream_training_lowers_the_loss_and_validates_every_epoch() -> None:
    text = "abcabcabdabcabcabd" * 20
    vocab = ["<unk>", "a", "b", "c", "d"]
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = np.array([index[ch] for ch in text])
    config = TrainConfig(cell="lstm", embedding=4, hidden=8, epochs=6, lr=0.03, batch=4, seed=0)
    trainer = StreamTrainer(vocab, config, chunk=10)
    result = trainer.fit_stream(ids[:300], valid=ids[300:])
    assert len(result.epoch_losses) == len(result.valid_losses) == 6
    assert result.valid_losses[-1] < 0.5 * result.valid_losses[0]
    model = trainer.export(tokenizer="chars")
    meta = model.metadata
    assert meta["chunk"] == "10" and meta["streams"] == "4" and float(meta["valid_bits"]) > 0
    assert model.tokenizer == "chars"


def test_ctrl_c_in_stream_training_keeps_the_model_so_far() -> None:
    vocab = ["<unk>", "a", "b"]
    ids = np.tile([1, 2], 100)
    trainer = StreamTrainer(vocab, TrainConfig(embedding=3, hidden=4, epochs=50, batch=2), chunk=5)
    seen = []

    def stop_on_third(progress) -> None:
        seen.append(progress)
        if len(seen) == 3:
            raise KeyboardInterrupt

    result = trainer.fit_stream(ids, callback=stop_on_third)
    assert result.interrupted and result.steps == 3


def projected_lstm() -> Model:
    """An LSTM with a projection (proj_size 2 < hidden 3): h and c have different sizes."""
    rng = np.random.default_rng(6)
    hidden, proj, vocab = 3, 2, 5

    def uniform(*shape: int) -> np.ndarray:
        return rng.uniform(-0.7, 0.7, shape)

    weights = {
        "encoder.weight": rng.standard_normal((vocab, 3)),
        "rnn.weight_ih_l0": uniform(4 * hidden, 3),
        "rnn.weight_hh_l0": uniform(4 * hidden, proj),
        "rnn.bias_ih_l0": uniform(4 * hidden),
        "rnn.bias_hh_l0": uniform(4 * hidden),
        "rnn.weight_hr_l0": uniform(proj, hidden),
        "decoder.weight": uniform(vocab, proj),
        "decoder.bias": uniform(vocab),
    }
    return Model(weights, "lstm", make_vocab(vocab), dtype="float64")


def test_a_projected_lstm_carries_h_and_c_of_their_own_sizes() -> None:
    model = projected_lstm()
    state = zero_state(model, 2)
    assert state[0].h.shape == (2, 2) and state[0].c.shape == (2, 3)
    inputs, _ = split_streams(np.random.default_rng(1).integers(0, 5, 25), 2)
    whole = model.forward(inputs)[0]
    parts = []
    for x, _ in chunks(inputs, inputs, 5):
        runs, state = run_carried(model, x, state)
        parts.append(runs[0].h)
    np.testing.assert_allclose(np.concatenate(parts), whole.h, rtol=1e-12, atol=1e-14)
    # and its chunk gradient, from a carried state, matches finite differences
    rng = np.random.default_rng(2)
    carried = [LayerState(rng.uniform(-0.8, 0.8, (2, 2)), rng.uniform(-1.5, 1.5, (2, 3)))]
    weights = model.weights
    check_finite_differences(
        weights,
        lambda: Model(weights, "lstm", model.vocab, dtype="float64"),
        inputs[:4],
        inputs[1:5],
        carried,
        "projected lstm",
    )


def test_a_bidirectional_model_cannot_continue_a_stream() -> None:
    weights = random_weights("gru", vocab=VOCAB, embedding=3, hidden=4, seed=1)
    for name in [n for n in weights if n.startswith("rnn.")]:
        weights[f"{name}_reverse"] = weights[name].copy()
    weights["decoder.weight"] = np.zeros((VOCAB, 8))
    model = Model(weights, "gru", make_vocab(VOCAB), dtype="float64")
    assert model.bidirectional
    with pytest.raises(InputError, match="bidirectional model reads the whole text at once"):
        run_carried(model, np.zeros((3, 1), dtype=np.int64), zero_state(model, 1))
