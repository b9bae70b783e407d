"""Train the bundled demo models rnnviz/models/{rnn,lstm,gru}.safetensors, seeded, in one command.

    python demos/train_models.py                      # all three, into rnnviz/models/
    python demos/train_models.py --only rnn --out /tmp/models --seed 3
    python demos/train_models.py --recipe reference --out /tmp/models   # no curriculum, for comparison

All three share one recipe, one vocabulary (rnnviz.corpus.demo_vocab()) and the same generated
sentences: embedding 32, hidden 64, one layer, Adam, global gradient norm clipped to 1, batch 32,
and a curriculum of five stages from short sentences (the subject a few words before "it") to long
ones (up to ~90 words), with the learning rate lowered for the long stages. Sentences long from the
start make the link much harder to find (shared/corpus.md), so each stage builds on the one before.
Training sentences use corpus seeds below corpus.TRAIN_SEED_LIMIT; `rnnviz span` measures on others.
At the end the script prints the memory-span table of the models it trained.
"""

from __future__ import annotations

import os

# One BLAS thread: the matrices are small (threads only add overhead), and the float sums, hence the
# trained bits, then do not depend on how many cores the machine has. Set before NumPy loads.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402

import rnnviz  # noqa: E402
from rnnviz import corpus, span  # noqa: E402
from rnnviz.train import Progress as TrainProgress  # noqa: E402
from rnnviz.train import TrainConfig, Trainer  # noqa: E402
from rnnviz.weights import bundled_path  # noqa: E402

MODELS = {"rnn": "rnn_tanh", "lstm": "lstm", "gru": "gru"}


@dataclass(frozen=True)
class Stage:
    label: str
    sentences: int
    min_fillers: int
    max_fillers: int
    epochs: int
    lr: float


# Filler phrases are 1–4 words: 0–1 fillers put "it" 2–13 words after its animal, 0–6 up to ~35,
# 0–12 up to ~60, 0–20 up to ~90 (span's last bucket is 60–69).
RECIPES: dict[str, tuple[Stage, ...]] = {
    "curriculum": (
        Stage("short", 20_000, 0, 1, 4, 3e-3),
        Stage("medium", 20_000, 0, 6, 6, 3e-3),
        Stage("long", 20_000, 0, 12, 4, 2e-3),
        Stage("longest", 20_000, 0, 20, 4, 1e-3),
        Stage("settle", 20_000, 0, 20, 2, 3e-4),
    ),
    # The PyTorch run that shared/corpus.md reports, for comparison: no curriculum, up to 6 fillers.
    "reference": (Stage("flat", 20_000, 0, 6, 8, 3e-3),),
}


def config_for(cell: str, seed: int, lr: float) -> TrainConfig:
    return TrainConfig(cell=cell, embedding=32, hidden=64, layers=1, lr=lr, batch=32, clip=1.0, seed=seed)


def stage_corpus(k: int, stage: Stage) -> list[list[str]]:
    """The same sentences for every model: corpus seed k + 1 for stage k."""
    sentences = corpus.generate(
        stage.sentences, seed=k + 1, min_fillers=stage.min_fillers, max_fillers=stage.max_fillers
    )
    return [s.tokens for s in sentences]


def train_one(
    name: str, seed: int, recipe: str, corpora: list[list[list[str]]], console: Console
) -> rnnviz.Model:
    stages = RECIPES[recipe]
    trainer = Trainer(corpus.demo_vocab(), config_for(MODELS[name], seed, stages[0].lr))
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("epoch {task.fields[epoch]}  loss {task.fields[loss]}  {task.fields[rate]} tok/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        for k, stage in enumerate(stages):
            sequences = trainer.encode(corpora[k])
            task = bar.add_task(f"{name} {stage.label}", total=1.0, epoch="", loss="", rate="")

            def show(p: TrainProgress, task=task) -> None:
                bar.update(
                    task,
                    completed=p.tokens / p.total_tokens,
                    epoch=f"{p.epoch}/{p.epochs}",
                    loss=f"{p.loss:.4f}",
                    rate=f"{p.tokens_per_second:,.0f}",
                )

            result = trainer.fit(sequences, stage.epochs, callback=show, label=stage.label, lr=stage.lr)
            if result.interrupted:
                raise KeyboardInterrupt
    return trainer.export(
        corpus="rnnviz.corpus.generate, stage k with seed k + 1 (see stages and recipe)",
        recipe=json.dumps({recipe: [asdict(stage) for stage in stages]}),
        command=f"python demos/train_models.py --seed {seed} --recipe {recipe}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=bundled_path("lstm").parent, help="output directory")
    parser.add_argument("--only", action="append", choices=tuple(MODELS), help="train only this model")
    parser.add_argument("--seed", type=int, default=0, help="seed of every model's weights and batch order")
    parser.add_argument("--recipe", choices=tuple(RECIPES), default="curriculum", help="training schedule")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    names = args.only or list(MODELS)
    start = time.perf_counter()
    corpora = [stage_corpus(k, stage) for k, stage in enumerate(RECIPES[args.recipe])]
    results = []
    for name in names:
        began = time.perf_counter()
        model = train_one(name, args.seed, args.recipe, corpora, console)
        path = args.out / f"{name}.safetensors"
        rnnviz.save(model, path)
        console.print(f"wrote {path} ({path.stat().st_size:,} bytes) in {time.perf_counter() - began:.0f} s")
        results.append(span.span(model, name=name))
    console.print(f"trained {', '.join(names)} in {time.perf_counter() - start:.0f} s")
    Console().print(span.table(results, 200, corpus.HELD_OUT_SEED))
    return 0


if __name__ == "__main__":
    sys.exit(main())
