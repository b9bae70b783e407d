"""Word dropout (TrainConfig.unk_rate): inputs read as <unk> at about the rate, never targets or padding,
reproducibly for a seed; at rate 0 training sees exactly the batches it saw before the option existed."""

from __future__ import annotations

import numpy as np
import pytest

import rnnviz
from rnnviz.cli import main
from rnnviz.training import train as train_module
from rnnviz.training.train import TrainConfig, Trainer, drop_words, make_batch, make_batches

VOCAB = ["<unk>", "<eos>", ".", "the", "cat", "dog", "sat", "and", "it", "meowed", "barked", "slept"]
SENTENCES = [
    "the cat sat and it meowed .",
    "the dog sat and it barked .",
    "the cat slept and it meowed .",
    "the dog slept and it barked .",
    "the cat sat and it meowed . the dog slept and it barked .",
]
UNK_ID, PAD_ID = 0, 7
LOSS_AND_GRADS = train_module.loss_and_grads  # the real one, for spies that wrap it


def config(**changes) -> TrainConfig:
    base = {"cell": "gru", "embedding": 6, "hidden": 8, "epochs": 1, "lr": 1e-2, "batch": 2, "seed": 0}
    base.update(changes)
    return TrainConfig(**base)


def ragged_batch(sentences: int = 400, seed: int = 5) -> train_module.Batch:
    """Sentences of 3–40 ids from 2..11 (never the <unk> id), padded with PAD_ID."""
    rng = np.random.default_rng(seed)
    sequences = [rng.integers(2, 12, size=n) for n in rng.integers(3, 41, size=sentences)]
    return make_batch(sequences, eos_id=1, pad_id=PAD_ID)


def batches_read(trainer: Trainer, monkeypatch: pytest.MonkeyPatch, epochs: int = 2) -> list:
    """Every batch the trainer's loss saw during a fit (copies)."""
    seen = []

    def spy(model, batch):
        seen.append(train_module.Batch(batch.inputs.copy(), batch.targets.copy(), batch.mask.copy()))
        return LOSS_AND_GRADS(model, batch)

    monkeypatch.setattr(train_module, "loss_and_grads", spy)
    trainer.fit(trainer.encode(SENTENCES), epochs)
    return seen


def test_rate_zero_returns_the_batch_and_draws_nothing() -> None:
    batch = ragged_batch(20)
    rng = np.random.default_rng(3)
    assert drop_words(batch, 0.0, UNK_ID, rng) is batch
    assert rng.random() == np.random.default_rng(3).random()  # the generator did not move


def test_rate_zero_training_reads_exactly_the_shuffled_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = Trainer(VOCAB, config(unk_rate=0.0))
    seen = batches_read(trainer, monkeypatch)
    # The same generator as the trainer's, drawn the same way: the batches the trainer made.
    rng = np.random.default_rng(config().seed + 1)
    sequences = trainer.encode(SENTENCES)
    expected = [b for _ in range(2) for b in make_batches(sequences, 2, rng, trainer.eos_id)]
    assert len(seen) == len(expected) == 6
    for got, made in zip(seen, expected, strict=True):
        np.testing.assert_array_equal(got.inputs, made.inputs)
        np.testing.assert_array_equal(got.targets, made.targets)
        assert not (got.inputs == UNK_ID).any()


def test_dropout_replaces_only_counted_inputs_at_about_the_rate() -> None:
    batch = ragged_batch()
    given = batch.inputs.copy()
    rate = 0.1
    dropped = drop_words(batch, rate, UNK_ID, np.random.default_rng(0))
    np.testing.assert_array_equal(batch.inputs, given)  # a new batch; the given one is untouched
    changed = dropped.inputs != batch.inputs
    assert (dropped.inputs[changed] == UNK_ID).all()
    assert not changed[~batch.mask].any()  # padding (and the unread last token) stays as it was
    np.testing.assert_array_equal(dropped.targets, batch.targets)
    np.testing.assert_array_equal(dropped.mask, batch.mask)
    counted = int(batch.mask.sum())
    assert counted > 5000
    # Binomial(counted, 0.1): the standard deviation of the share is under 0.005.
    assert abs(changed.sum() / counted - rate) < 0.015
    assert changed[0].any()  # the first word of a sentence can be dropped too


def test_dropout_is_reproducible_for_a_seed_and_differs_for_another() -> None:
    batch = ragged_batch(50)
    first = drop_words(batch, 0.2, UNK_ID, np.random.default_rng(1)).inputs
    again = drop_words(batch, 0.2, UNK_ID, np.random.default_rng(1)).inputs
    other = drop_words(batch, 0.2, UNK_ID, np.random.default_rng(2)).inputs
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_trainer_drops_inputs_only_with_the_same_batch_order(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = batches_read(Trainer(VOCAB, config()), monkeypatch)
    dropped = batches_read(Trainer(VOCAB, config(unk_rate=0.3)), monkeypatch)
    again = batches_read(Trainer(VOCAB, config(unk_rate=0.3)), monkeypatch)
    assert len(plain) == len(dropped) == len(again)
    changed = 0
    for p, d, a in zip(plain, dropped, again, strict=True):
        np.testing.assert_array_equal(d.inputs, a.inputs)  # reproducible for the seed
        np.testing.assert_array_equal(d.targets, p.targets)
        np.testing.assert_array_equal(d.mask, p.mask)
        differs = d.inputs != p.inputs
        assert (d.inputs[differs] == UNK_ID).all()
        assert not differs[~p.mask].any()
        changed += int(differs.sum())
    assert changed > 0


def test_the_unk_embedding_trains_only_with_dropout() -> None:
    unk_row = {}
    for rate in (0.0, 0.2):
        trainer = Trainer(VOCAB, config(unk_rate=rate))
        before = trainer.model.embedding[UNK_ID].copy()
        trainer.fit(trainer.encode(SENTENCES), 3)
        unk_row[rate] = np.abs(trainer.model.embedding[UNK_ID] - before).max()
    assert unk_row[0.0] == 0.0  # no <unk> in the corpus: its row never gets a gradient
    assert unk_row[0.2] > 1e-3


def test_same_seed_and_rate_train_identical_weights() -> None:
    first = Trainer(VOCAB, config(unk_rate=0.1))
    second = Trainer(VOCAB, config(unk_rate=0.1))
    for trainer in (first, second):
        trainer.fit(trainer.encode(SENTENCES), 2)
    for name, value in first.model.weights.items():
        np.testing.assert_array_equal(value, second.model.weights[name])


@pytest.mark.parametrize("rate", [-0.1, 1.0, float("nan")])
def test_a_rate_outside_0_to_1_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="unk_rate"):
        Trainer(VOCAB, config(unk_rate=rate))


def test_dropout_needs_an_unk_token() -> None:
    with pytest.raises(ValueError, match="no <unk>"):
        Trainer(VOCAB[1:], config(unk_rate=0.1))
    Trainer(VOCAB[1:], config())  # without dropout no <unk> is needed


def test_cli_unk_rate_is_used_and_recorded(tmp_path, capsys) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    out = tmp_path / "m.safetensors"
    small = ["--hidden", "8", "--embedding", "4", "--batch", "2", "--epochs", "2"]
    assert main(["train", str(corpus), "-o", str(out), "--unk-rate", "0.1", *small]) == 0
    assert rnnviz.load(out).metadata["unk_rate"] == "0.1"
    capsys.readouterr()
    assert main(["train", str(corpus), "-o", str(out), "--unk-rate", "1.5", *small]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--unk-rate" in err
