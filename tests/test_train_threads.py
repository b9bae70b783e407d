"""The trainer's BLAS thread choice: measured both ways during the first steps, the faster kept."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_vocab
from threadpoolctl import threadpool_info

from rnnviz.errors import InputError
from rnnviz.training.threads import DEFAULT, SINGLE, BlasThreads
from rnnviz.training.train import TrainConfig, Trainer, make_batch


def blas_threads_now() -> int:
    return min(entry["num_threads"] for entry in threadpool_info() if entry["user_api"] == "blas")


class FakeStep:
    """A step whose duration depends on the BLAS threads in force when it runs, on a fake clock."""

    def __init__(self, single: float, default: float):
        self.now = 0.0
        self.cost = {True: single, False: default}
        self.seen: list[int] = []

    def clock(self) -> float:
        return self.now

    def __call__(self) -> int:
        threads = blas_threads_now()
        self.seen.append(threads)
        self.now += self.cost[threads == 1]
        return threads


DEFAULT_THREADS = blas_threads_now()
needs_threads = pytest.mark.skipif(DEFAULT_THREADS < 2, reason="BLAS runs on one thread here anyway")


@needs_threads
@pytest.mark.parametrize(("single", "default", "expected"), [(1.0, 2.0, SINGLE), (2.0, 1.0, DEFAULT)])
def test_the_faster_setting_is_kept(single: float, default: float, expected: str) -> None:
    step = FakeStep(single, default)
    blas = BlasThreads(probes=3, recheck=1000, clock=step.clock)
    for _ in range(1 + 6 + 5):
        blas.run(step)
    assert blas.chosen == expected
    # warm-up on the default threads, then the probes alternate, then the choice holds
    assert step.seen[0] == DEFAULT_THREADS
    assert sorted(step.seen[1:7]) == [1, 1, 1] + [DEFAULT_THREADS] * 3
    assert set(step.seen[7:]) == {1 if expected == SINGLE else DEFAULT_THREADS}
    assert blas.measured == {SINGLE: single, DEFAULT: default}
    assert blas_threads_now() == DEFAULT_THREADS  # restored after every step


@needs_threads
def test_a_tie_goes_to_one_thread_and_the_choice_is_measured_again() -> None:
    step = FakeStep(1.0, 1.0)
    blas = BlasThreads(probes=2, recheck=3, clock=step.clock)
    for _ in range(1 + 4):
        blas.run(step)
    assert blas.chosen == SINGLE
    step.cost = {True: 5.0, False: 1.0}  # the machine got busy: one thread is now the slow one
    for _ in range(3 + 4):
        blas.run(step)
    assert blas.chosen == DEFAULT


def test_fixed_policies_never_measure() -> None:
    step = FakeStep(1.0, 2.0)
    single = BlasThreads(SINGLE, clock=step.clock)
    assert [single.run(step) for _ in range(3)] == [1, 1, 1]
    default = BlasThreads(DEFAULT, clock=step.clock)
    assert [default.run(step) for _ in range(3)] == [DEFAULT_THREADS] * 3
    assert not single.measured and "fixed" in single.describe()
    with pytest.raises(ValueError, match="unknown BLAS thread policy"):
        BlasThreads("many")


def test_the_trainer_steps_through_its_thread_choice_and_learns_the_same() -> None:
    """Every setting gives the same numbers: the choice changes speed only."""
    rng = np.random.default_rng(0)
    batch = make_batch([rng.integers(2, 11, 6) for _ in range(4)], eos_id=1)
    losses = {}
    for policy in ("auto", SINGLE, DEFAULT):
        config = TrainConfig(embedding=5, hidden=6, seed=2, dtype="float64", blas_threads=policy)
        trainer = Trainer(make_vocab(11), config)
        losses[policy] = [trainer.step(batch) for _ in range(9)]
        assert trainer.blas.policy == policy
        if policy == "auto":
            assert trainer.blas.chosen in (SINGLE, DEFAULT)
    np.testing.assert_allclose(losses["auto"], losses[SINGLE], rtol=1e-12)
    np.testing.assert_allclose(losses[DEFAULT], losses[SINGLE], rtol=1e-12)
    with pytest.raises(InputError, match="blas_threads"):
        Trainer(make_vocab(11), TrainConfig(blas_threads="two"))


def test_stream_chunks_step_through_the_thread_choice() -> None:
    from rnnviz.core.carry import zero_state
    from rnnviz.training.stream import StreamTrainer

    config = TrainConfig(embedding=5, hidden=6, batch=2, dtype="float64")
    trainer = StreamTrainer(make_vocab(11), config, chunk=4)
    state = zero_state(trainer.model, 2)
    inputs = np.random.default_rng(0).integers(2, 11, (5, 2))
    for _ in range(1 + 2 * trainer.blas.probes):
        _, state = trainer.chunk_step(inputs[:-1], inputs[1:], state)
    assert trainer.blas.chosen in (SINGLE, DEFAULT)
