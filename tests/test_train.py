"""The trainer's parts and the loop: batches, clipping, Adam, seeding, interruption, metadata, learning."""

from __future__ import annotations

import json

import numpy as np
import pytest

import rnnviz
from rnnviz.training.train import (
    Adam,
    TrainConfig,
    Trainer,
    clip_global_norm,
    global_norm,
    init_weights,
    make_batch,
    make_batches,
    train,
)

VOCAB = ["<unk>", "<eos>", ".", "the", "cat", "dog", "sat", "and", "it", "meowed", "barked", "slept"]
SENTENCES = [
    "the cat sat and it meowed .",
    "the dog sat and it barked .",
    "the cat slept and it meowed .",
    "the dog slept and it barked .",
]


def small_config(**changes) -> TrainConfig:
    base = {"cell": "lstm", "embedding": 8, "hidden": 16, "epochs": 1, "lr": 1e-2, "batch": 2, "seed": 0}
    base.update(changes)
    return TrainConfig(**base)


def test_make_batch_pads_and_targets_the_next_token() -> None:
    batch = make_batch([np.array([3, 4, 5]), np.array([3, 6])], eos_id=1, pad_id=0)
    assert batch.inputs.shape == (3, 2)
    np.testing.assert_array_equal(batch.inputs[:, 0], [3, 4, 5])
    np.testing.assert_array_equal(batch.targets[:, 0], [4, 5, 1])  # the last token predicts <eos>
    np.testing.assert_array_equal(batch.inputs[:, 1], [3, 6, 0])
    np.testing.assert_array_equal(batch.mask[:, 1], [True, True, False])
    assert batch.targets[1, 1] == 1
    assert batch.tokens == 5


def test_make_batch_without_eos_has_no_target_for_the_last_token() -> None:
    batch = make_batch([np.array([3, 4, 5])], eos_id=None)
    np.testing.assert_array_equal(batch.mask[:, 0], [True, True, False])
    np.testing.assert_array_equal(batch.targets[:2, 0], [4, 5])


def test_make_batches_covers_every_sentence_once() -> None:
    rng = np.random.default_rng(0)
    sequences = [np.full(n, n) for n in rng.integers(2, 30, size=103)]
    batches = make_batches(sequences, 8, np.random.default_rng(1), eos_id=1, pool=20)
    assert sum(b.inputs.shape[1] for b in batches) == 103
    real = sum(len(s) for s in sequences)
    assert sum(b.tokens for b in batches) == real
    # Batches of similar lengths: far less padding than batches in the given order.
    padding = sum(b.inputs.size for b in batches) - real
    unsorted = [make_batch(sequences[k : k + 8], eos_id=1) for k in range(0, 103, 8)]
    assert padding < 0.2 * (sum(b.inputs.size for b in unsorted) - real)


def test_clipping_bounds_the_global_norm_and_keeps_the_direction() -> None:
    rng = np.random.default_rng(0)
    grads = {"a": rng.normal(size=(5, 3)) * 10, "b": rng.normal(size=7) * 10}
    before = {k: v.copy() for k, v in grads.items()}
    norm = clip_global_norm(grads, 1.0)
    assert norm == pytest.approx(np.sqrt(sum((v**2).sum() for v in before.values())))
    assert global_norm(grads) == pytest.approx(1.0)
    for name in grads:
        np.testing.assert_allclose(grads[name] * norm, before[name], rtol=1e-9)


def test_clipping_leaves_small_gradients_alone() -> None:
    grads = {"a": np.array([0.3, -0.4])}
    assert clip_global_norm(grads, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(grads["a"], [0.3, -0.4])


def test_adam_first_step_moves_each_weight_by_lr_against_its_gradient() -> None:
    params = {"w": np.array([1.0, -2.0, 0.5])}
    adam = Adam(params, lr=0.1)
    adam.step({"w": np.array([3.0, -0.01, 200.0])})
    # m̂ / √v̂ = g / |g| on the first step, whatever the gradient's scale.
    np.testing.assert_allclose(params["w"], [0.9, -1.9, 0.4], rtol=1e-6)


def test_adam_minimises_a_quadratic() -> None:
    target = np.array([3.0, -1.0, 0.25])
    params = {"w": np.zeros(3)}
    adam = Adam(params, lr=0.05)
    for _ in range(2000):
        adam.step({"w": params["w"] - target})
    np.testing.assert_allclose(params["w"], target, atol=1e-3)


@pytest.mark.parametrize("cell", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_loss_decreases_in_a_few_dozen_steps(cell: str) -> None:
    trainer = Trainer(VOCAB, small_config(cell=cell, layers=2))
    sequences = trainer.encode(SENTENCES)
    losses = [trainer.fit(sequences, 1).final_loss for _ in range(20)]  # 2 steps an epoch
    assert losses[-1] < 0.6 * losses[0]


def test_the_trained_model_predicts_the_sound_after_it() -> None:
    """Trained on whole sentences, `run` (which adds no token) predicts the subject's sound after "it"."""
    result = train(SENTENCES, VOCAB, small_config(epochs=200, batch=4))
    for subject, sound in (("cat", "meowed"), ("dog", "barked")):
        trace = result.model.run(f"the {subject} sat and it")
        assert trace.top_next(len(trace) - 1, 1)[0][0] == sound


def test_same_seed_gives_identical_weights_and_another_seed_does_not() -> None:
    first = train(SENTENCES, VOCAB, small_config(epochs=3)).model.weights
    again = train(SENTENCES, VOCAB, small_config(epochs=3)).model.weights
    other = train(SENTENCES, VOCAB, small_config(epochs=3, seed=1)).model.weights
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
    assert any(not np.array_equal(first[name], other[name]) for name in first)


def test_init_is_seeded_and_pytorch_like() -> None:
    config = small_config(cell="gru", hidden=16)
    weights = init_weights(config, len(VOCAB))
    np.testing.assert_array_equal(
        weights["rnn.weight_hh_l0"], init_weights(config, len(VOCAB))["rnn.weight_hh_l0"]
    )
    assert weights["rnn.weight_hh_l0"].shape == (48, 16)
    assert np.abs(weights["rnn.weight_hh_l0"]).max() <= 0.25  # ±1/√16
    assert weights["encoder.weight"].dtype == np.float32


def test_lstm_forget_bias_is_added_to_the_forget_gate_only() -> None:
    plain = init_weights(small_config(), len(VOCAB))["rnn.bias_ih_l0"]
    biased = init_weights(small_config(forget_bias=1.0), len(VOCAB))["rnn.bias_ih_l0"]
    np.testing.assert_allclose(biased - plain, np.repeat([0.0, 1.0, 0.0, 0.0], 16), atol=1e-6)


def test_keyboard_interrupt_returns_the_model_so_far() -> None:
    trainer = Trainer(VOCAB, small_config(epochs=50))
    initial = {k: v.copy() for k, v in trainer.model.weights.items()}
    calls = []

    def stop_at_third(progress) -> None:
        calls.append(progress)
        if len(calls) == 3:
            raise KeyboardInterrupt

    result = trainer.fit(trainer.encode(SENTENCES), callback=stop_at_third)
    assert result.interrupted
    assert result.steps == 3
    assert [p.epoch for p in calls] == [1, 1, 2]
    assert len(result.epoch_losses) == 2  # epoch 1 done, epoch 2 under way
    assert any(not np.array_equal(initial[k], v) for k, v in result.model.weights.items())
    assert trainer.history[-1]["interrupted"] == "true"
    result.model.run("the cat sat")  # still a working model


def test_progress_reports_tokens_and_epochs() -> None:
    seen = []
    trainer = Trainer(VOCAB, small_config(epochs=2))
    trainer.fit(trainer.encode(SENTENCES), callback=seen.append)
    assert len(seen) == 4  # 2 epochs of 2 batches
    assert seen[-1].tokens == seen[-1].total_tokens == 2 * sum(len(s.split()) for s in SENTENCES)
    assert [p.epoch_done for p in seen] == [False, True, False, True]
    assert seen[-1].eta == pytest.approx(0.0)


def test_metadata_records_how_the_model_was_trained(tmp_path) -> None:
    trainer = Trainer(VOCAB, small_config(cell="gru", epochs=2, seed=7))
    trainer.fit(trainer.encode(SENTENCES), label="short")
    trainer.fit(trainer.encode(SENTENCES), 1, label="again", lr=1e-3)
    model = trainer.export(corpus="four sentences")
    path = tmp_path / "m.safetensors"
    rnnviz.save(model, path)
    loaded = rnnviz.load(path)
    meta = loaded.metadata
    assert all(isinstance(v, str) for v in meta.values())
    assert meta["corpus"] == "four sentences"
    assert (meta["seed"], meta["hidden"], meta["embedding"], meta["layers"]) == ("7", "16", "8", "1")
    assert meta["epochs"] == "3"
    assert meta["steps"] == "6"
    assert float(meta["final_loss"]) > 0
    stages = json.loads(meta["stages"])
    assert [s["label"] for s in stages] == ["short", "again"]
    assert stages[1]["lr"] == "0.001"
    assert loaded.cell == "gru"
    for name, value in model.weights.items():
        np.testing.assert_array_equal(loaded.weights[name], value)


def test_export_is_a_float32_copy() -> None:
    trainer = Trainer(VOCAB, small_config(dtype="float64"))
    model = trainer.export()
    assert model.embedding.dtype == np.float32
    trainer.fit(trainer.encode(SENTENCES))
    assert not np.array_equal(model.embedding, trainer.model.embedding.astype(np.float32))


def test_empty_training_set_is_a_clear_error() -> None:
    trainer = Trainer(VOCAB, small_config())
    with pytest.raises(ValueError, match="nothing to train on"):
        trainer.fit([])
