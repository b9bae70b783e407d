"""Training figures: one optimizer step, rnnviz beside PyTorch, on one thread and on default threads,
and again with one core kept busy by a background process.

Both sides start from the same weights, step on the same batch with the same Adam (lr, betas, ε)
and global-norm clipping; every candidate is timed in alternating rounds in this one process, so a
burst of load from the shared machine hits all of them alike. "rnnviz, default threads" is what a
Trainer does by default: it measures its steps on one BLAS thread and on the default threads and
keeps the faster (rnnviz.training.threads); "rnnviz, BLAS default" pins the default threads, for
comparison. torch's threads are set with torch.set_num_threads before each of its steps.
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from time import sleep, thread_time
from typing import Any

import numpy as np

from rnnviz.bench.timing import time_rounds
from rnnviz.bench.torchside import TorchTrainer, import_torch
from rnnviz.core.model import Model
from rnnviz.training.threads import AUTO, DEFAULT, SINGLE
from rnnviz.training.train import TrainConfig, Trainer, make_batch

CELLS = ("lstm", "gru", "rnn")
BATCH, STEPS, CHAR_STEPS = 32, 35, 100
LR, CLIP = 3e-3, 1.0
SETTLE = 0.3  # seconds of pause between groups of candidates: the last thread pools stop spinning
CASE_BUDGET = 6.0  # seconds per group of candidates at most, once three rounds are in
BUSY_SECONDS = 600  # the background busy loop ends by itself after this, should the bench die


@dataclass(frozen=True)
class Case:
    cell: str
    hidden: int
    vocab: int
    data: str = "sentences"  # "sentences" (padded batches, T = 35) | "chars" (a chunked stream, T = 100)

    @property
    def embedding(self) -> int:
        return 32 if (self.hidden, self.vocab) == (64, 72) else self.hidden  # the bundled models' E

    @property
    def steps(self) -> int:
        return CHAR_STEPS if self.data == "chars" else STEPS

    @property
    def label(self) -> str:
        return f"{self.cell} H={self.hidden} V={self.vocab:,} {self.data}"


BUNDLED = Case("lstm", 64, 72)  # the bundled models' size: the case with a goal on its own


def streams_available() -> bool:
    return importlib.util.find_spec("rnnviz.training.stream") is not None


def cases(scope: str) -> list[Case]:
    """quick: the bundled size; otherwise every cell × H {64, 256} × V {72, 10,000} on sentence
    batches, and character streams (V = 72) when stream training is installed."""
    if scope == "quick":
        return [BUNDLED]
    found = [Case(cell, hidden, vocab) for cell in CELLS for hidden in (64, 256) for vocab in (72, 10_000)]
    if streams_available():
        found += [Case(cell, hidden, 72, "chars") for cell in CELLS for hidden in (64, 256)]
    return found


def busy_cases(scope: str) -> list[Case]:
    if scope == "quick":
        return [BUNDLED]
    return [BUNDLED, Case("lstm", 256, 10_000)]


def run(scope: str, repeats: int, threads: str) -> dict[str, Any]:
    torch = import_torch()
    default_threads = None if torch is None else int(torch.get_num_threads())
    rows = [measure(case, repeats, torch, default_threads) for case in cases(scope)]
    busy_rows = []
    with BusyCore():
        busy_rows = [measure(case, repeats, torch, default_threads) for case in busy_cases(scope)]
    return {
        "batch": BATCH,
        "dtype": "float32",
        "lr": LR,
        "clip": CLIP,
        "torch": None if torch is None else str(torch.__version__),
        "torch_threads": default_threads,
        "rows": rows,
        "busy_rows": busy_rows,
    }


def random_weights_model(case: Case, seed: int = 0) -> Model:
    """A fresh model with the case's sizes, initialised as the Trainer does (own arrays every call)."""
    vocab = ["<unk>", "<eos>"] + [f"w{k}" for k in range(2, case.vocab)]
    cell = "rnn_tanh" if case.cell == "rnn" else case.cell
    config = TrainConfig(cell=cell, embedding=case.embedding, hidden=case.hidden, seed=seed)
    return Trainer(vocab, config).model


def make_data(case: Case, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """inputs, targets and mask (T, B): sentences of random words ending in <eos>, or a chunk of B
    parallel character streams (every position has a target)."""
    rng = np.random.default_rng(seed)
    if case.data == "chars":
        ids = rng.integers(2, case.vocab, (case.steps + 1, BATCH))
        return ids[:-1], ids[1:], np.ones((case.steps, BATCH), dtype=bool)
    lengths = rng.integers(case.steps // 2, case.steps + 1, BATCH)
    lengths[0] = case.steps
    batch = make_batch([rng.integers(2, case.vocab, n) for n in lengths], eos_id=1)
    return batch.inputs, batch.targets, batch.mask


class RnnvizSide:
    """A Trainer on the case's weights, stepping on sentence batches or on a carried character stream."""

    def __init__(self, case: Case, policy: str):
        model = random_weights_model(case)
        config = TrainConfig(
            cell=model.cell_name,
            embedding=case.embedding,
            hidden=case.hidden,
            lr=LR,
            clip=CLIP,
            batch=BATCH,
            blas_threads=policy,
        )
        self.case = case
        self.cpu: list[float] = []  # thread CPU seconds of every step
        self.inputs, self.targets, self.mask = make_data(case)
        if case.data == "chars":
            from rnnviz.core.carry import zero_state
            from rnnviz.training.stream import StreamTrainer

            self.trainer: Trainer = StreamTrainer(
                model.vocab, config, chunk=case.steps, weights=model.weights
            )
            self.state = zero_state(self.trainer.model, BATCH)
        else:
            self.trainer = Trainer(model.vocab, config, weights=model.weights)
        from rnnviz.training.train import Batch

        self.batch = Batch(self.inputs, self.targets, self.mask)

    def step(self) -> float:
        start = thread_time()
        loss = self._step()
        self.cpu.append(thread_time() - start)
        return loss

    def cpu_median_ms(self, last: int) -> float:
        return statistics.median(self.cpu[-last:]) * 1e3

    def _step(self) -> float:
        if self.case.data == "chars":
            loss, self.state = self.trainer.chunk_step(self.inputs, self.targets, self.state)  # type: ignore[attr-defined]
            return loss
        return self.trainer.step(self.batch)


class TorchSide:
    def __init__(self, torch: Any, case: Case, threads: int):
        self.torch, self.threads, self.case = torch, threads, case
        self.cpu: list[float] = []
        model = random_weights_model(case)
        self.trainer = TorchTrainer(torch, model, lr=LR, clip=CLIP)
        self.batch = self.trainer.batch(*make_data(case))
        self.state = None

    def step(self) -> float:
        start = thread_time()
        loss = self._step()
        self.cpu.append(thread_time() - start)
        return loss

    def cpu_median_ms(self, last: int) -> float:
        return statistics.median(self.cpu[-last:]) * 1e3

    def _step(self) -> float:
        self.torch.set_num_threads(self.threads)
        loss, after = self.trainer.step(*self.batch, state=self.state)
        if self.case.data == "chars":
            self.state = after  # carried, detached: truncated BPTT as rnnviz's streams
        return loss


def measure(case: Case, repeats: int, torch: Any, default_threads: int | None) -> dict[str, Any]:
    """One case in groups of alternating rounds, each group one comparison: rnnviz on one thread
    against rnnviz's default (its measured choice) and against BLAS's default threads; rnnviz
    against torch on one thread; rnnviz's default against torch's default threads.

    A comparison meets only its own partner, and groups are apart by a pause: a thread pool that
    spins after its last call (torch's default pool spins hard) would otherwise slow down whichever
    candidate comes next. On one thread the CPU time of each step is kept too (time.thread_time):
    it is what load from other processes disturbs least."""
    sides: dict[str, Any] = {
        "rnnviz_single": RnnvizSide(case, SINGLE),
        "rnnviz_auto": RnnvizSide(case, AUTO),
        "rnnviz_blas_default": RnnvizSide(case, DEFAULT),
    }
    first_loss = sides["rnnviz_single"].step()
    groups = [("rnnviz_single", "rnnviz_auto", "rnnviz_blas_default")]
    if torch is not None and default_threads is not None:
        sides["torch_single"] = TorchSide(torch, case, 1)
        sides["torch_default"] = TorchSide(torch, case, default_threads)
        torch_loss = sides["torch_single"].step()
        groups += [("rnnviz_single", "torch_single"), ("rnnviz_auto", "torch_default")]
    found: list[dict[str, Any]] = []
    for group in groups:
        sleep(SETTLE)
        # warm-up: the auto trainer's first 1 + 2·probes steps measure both settings before it settles
        found.append(
            time_rounds({name: sides[name].step for name in group}, repeats, warmup=8, budget=CASE_BUDGET)
        )
    if torch is not None:
        torch.set_num_threads(default_threads)
    row: dict[str, Any] = {
        **asdict(case),
        "label": case.label,
        "embedding": case.embedding,
        "steps": case.steps,
    }
    ours = found[0]
    row.update({name: timing.as_dict() for name, timing in ours.items()})
    row["auto_choice"] = sides["rnnviz_auto"].trainer.blas.chosen
    row["default_vs_single"] = ours["rnnviz_auto"].median / ours["rnnviz_single"].median
    row["blas_default_vs_single"] = ours["rnnviz_blas_default"].median / ours["rnnviz_single"].median
    if len(found) == 3:
        single, default = found[1], found[2]
        row["vs_torch_single"] = {name: timing.as_dict() for name, timing in single.items()}
        row["vs_torch_default"] = {name: timing.as_dict() for name, timing in default.items()}
        for name in ("rnnviz_single", "torch_single"):
            row["vs_torch_single"][name]["cpu_median_ms"] = sides[name].cpu_median_ms(single[name].runs)
        row["torch_single"] = single["torch_single"].as_dict()
        row["torch_default"] = default["torch_default"].as_dict()
        row["ratio_single"] = single["rnnviz_single"].median / single["torch_single"].median
        cpu = row["vs_torch_single"]
        row["ratio_single_cpu"] = cpu["rnnviz_single"]["cpu_median_ms"] / cpu["torch_single"]["cpu_median_ms"]
        row["ratio_default"] = default["rnnviz_auto"].median / default["torch_default"].median
        row["torch_default_vs_single"] = default["torch_default"].median / single["torch_single"].median
        row["first_loss_diff"] = abs(first_loss - torch_loss)  # the same model and batch, checked
    return row


class BusyCore:
    """A bounded busy loop in a child process for the duration of a `with` block (one core taken)."""

    def __enter__(self) -> BusyCore:
        loop = (
            f"import time\nend = time.monotonic() + {BUSY_SECONDS}\nwhile time.monotonic() < end:\n    pass\n"
        )
        self.process = subprocess.Popen([sys.executable, "-c", loop])
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
