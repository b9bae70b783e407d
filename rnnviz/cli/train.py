"""`rnnviz train CORPUS.txt -o OUT.safetensors`: train a small model on a text file, one sentence a line.

The vocabulary is the corpus's words, lowercased (so lookups are case-insensitive), most frequent first,
after `<unk>` and `<eos>`. Ctrl-C stops training and saves the model reached so far.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from rnnviz.core.cells import CELL_ALIASES
from rnnviz.core.vocab import EOS, UNK, tokenize
from rnnviz.errors import InputError
from rnnviz.training import train

DEFAULTS = train.TrainConfig()


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", help="UTF-8 text file, one sentence per line")
    parser.add_argument("-o", "--output", required=True, help="where to write the model (.safetensors)")
    parser.add_argument("--cell", default=DEFAULTS.cell, choices=tuple(CELL_ALIASES))
    parser.add_argument("--hidden", type=int, default=DEFAULTS.hidden, help="hidden units per layer")
    parser.add_argument("--embedding", type=int, default=DEFAULTS.embedding, help="embedding size")
    parser.add_argument("--layers", type=int, default=DEFAULTS.layers, help="stacked recurrent layers")
    parser.add_argument("--epochs", type=int, default=DEFAULTS.epochs, help="passes over the corpus")
    parser.add_argument("--lr", type=float, default=DEFAULTS.lr, help="Adam learning rate")
    parser.add_argument("--batch", type=int, default=DEFAULTS.batch, help="sentences per step")
    parser.add_argument("--clip", type=float, default=DEFAULTS.clip, help="largest gradient norm (0: off)")
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed, help="seed of the weights and the order")
    parser.add_argument(
        "--unk-rate",
        type=float,
        default=DEFAULTS.unk_rate,
        help="word dropout: read each input word as <unk> with this chance, so unknown words mean "
        "'some word' (e.g. 0.05; default 0)",
    )
    parser.add_argument(
        "--max-vocab", type=int, default=20_000, help="keep this many most frequent words; others are <unk>"
    )


def read_corpus(path: str | Path) -> list[list[str]]:
    """Tokenized, lowercased non-empty lines; ValueError with one clear line for any unusable file."""
    path = Path(path)
    hint = "give a UTF-8 text file with one sentence per line"
    if not path.exists():
        raise InputError(f"{path}: no such file; {hint}")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; {hint}")
    data = path.read_bytes()
    if b"\x00" in data:
        raise InputError(f"{path}: looks like a binary file (it has NUL bytes); {hint}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: is not UTF-8 text (undecodable byte at offset {err.start}); {hint}"
        ) from None
    sentences = [tokens for line in text.splitlines() if (tokens := tokenize(line.lower()))]
    if not sentences:
        raise InputError(f"{path}: holds no words; {hint}")
    return sentences


def build_vocab(sentences: list[list[str]], max_size: int) -> list[str]:
    """<unk>, <eos>, then the most frequent words (ties in order of first appearance)."""
    counts = Counter(token for sentence in sentences for token in sentence)
    counts.pop(UNK, None)
    counts.pop(EOS, None)
    words = sorted(counts, key=lambda w: -counts[w])  # sorted() is stable: ties keep first appearance
    return [UNK, EOS, *words[: max(max_size, 0)]]


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ProgressBar:
    """A rich progress bar fed by the trainer's per-batch callback: epoch, loss, tokens/s, ETA."""

    def __init__(self, console: Console):
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"),
            BarColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[rate]} tok/s"),
            TextColumn("ETA {task.fields[eta]}"),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, p: train.Progress) -> None:
        self.update(p)

    def update(self, p: train.Progress) -> None:
        fields = {
            "epoch": f"{p.epoch}/{p.epochs}",
            "loss": f"{p.loss:.3f}",
            "rate": f"{p.tokens_per_second:,.0f}",
            "eta": _duration(p.eta),
        }
        if self.task is None:
            self.task = self.progress.add_task("train", total=p.total_tokens, **fields)
        self.progress.update(self.task, completed=p.tokens, **fields)


def command(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.is_dir():
        raise InputError(f"{output}: is a directory; give a file name such as {output / 'model.safetensors'}")
    if not output.parent.exists():
        raise InputError(f"{output.parent}: no such directory for the output; create it first")
    for name in ("hidden", "embedding", "layers", "epochs", "batch"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name} is {getattr(args, name)}: give a whole number of at least 1")
    if not args.lr > 0:
        raise InputError(f"--lr is {args.lr}: give a positive learning rate")
    if not 0 <= args.unk_rate < 1:
        raise InputError(f"--unk-rate is {args.unk_rate}: give a chance from 0 up to (below) 1, e.g. 0.05")

    sentences = read_corpus(args.corpus)
    vocab = build_vocab(sentences, args.max_vocab)
    config = train.TrainConfig(
        cell=args.cell,
        embedding=args.embedding,
        hidden=args.hidden,
        layers=args.layers,
        epochs=args.epochs,
        lr=args.lr,
        batch=args.batch,
        clip=args.clip,
        seed=args.seed,
        unk_rate=args.unk_rate,
    )
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Console(highlight=False, soft_wrap=True)
    trainer = train.Trainer(vocab, config)
    sequences = trainer.encode(sentences)
    console.print(
        f"training {config.cell} ({config.layers}×{config.hidden}, embedding {config.embedding}) on "
        f"{len(sequences)} sentences, vocabulary {len(vocab)}; Ctrl-C stops and saves",
        markup=False,
    )
    with ProgressBar(console) as bar:
        result = trainer.fit(sequences, config.epochs, callback=bar, label=Path(args.corpus).name)
    if result.steps == 0:
        out.print("interrupted before the first step: nothing saved", markup=False)
        return 130
    from rnnviz.io.weights import save

    save(trainer.export(corpus=Path(args.corpus).name), output)
    summary = f"loss {result.final_loss:.3f} after {result.steps} steps in {_duration(result.seconds)}"
    if result.interrupted:
        out.print(
            f"interrupted in epoch {len(result.epoch_losses)} of {config.epochs}: "
            f"saved the model trained so far ({summary}) to {output}",
            markup=False,
        )
        return 130
    out.print(f"saved {output} ({summary})", markup=False)
    return 0
