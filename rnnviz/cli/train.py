"""`rnnviz train CORPUS.txt -o OUT.safetensors`: train a small model on a text file, one sentence a line.

The vocabulary is the corpus's words, lowercased (so lookups are case-insensitive), most frequent first,
after `<unk>` and `<eos>`. Ctrl-C stops training and saves the model reached so far.

`--tokenizer chars` (every character a token, as char-rnn) and `--stream` (words or whitespace tokens,
`<eos>` at each line end) train on the file as one continuous stream instead: parallel streams in
chunks of `--chunk` steps, the state carried across chunks, the last `--valid` fraction held out and
bits per character (perplexity for words) printed after every epoch.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from rnnviz.cli.options import error
from rnnviz.core.cells import CELL_ALIASES, spec_of
from rnnviz.core.model import Model
from rnnviz.core.tokenizers import TOKENIZERS
from rnnviz.core.vocab import EOS, UNK, tokenize
from rnnviz.errors import InputError, RnnvizError, first_line
from rnnviz.text import printable
from rnnviz.training import stream, train

DEFAULTS = train.TrainConfig()


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", help="UTF-8 text file, one sentence per line")
    parser.add_argument("-o", "--output", required=True, help="where to write the model (.safetensors)")
    parser.add_argument("--force", action="store_true", help="replace the output file if it exists")
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
    parser.add_argument(
        "--tokenizer",
        choices=tuple(TOKENIZERS),
        default="words",
        help="words (default), whitespace (split on spaces only, nothing lowercased) or chars "
        "(every character a token; trains on the file as a stream)",
    )
    parser.add_argument(
        "--stream", action="store_true", help="train on the file as one stream (always so for chars)"
    )
    parser.add_argument(
        "--chunk", type=int, default=stream.CHUNK, help="steps of truncated BPTT on a stream (default 100)"
    )
    parser.add_argument(
        "--valid", type=float, default=0.05, help="fraction of a stream held out at its end (default 0.05)"
    )


def read_text(path: str | Path, hint: str = "give a UTF-8 text file with one sentence per line") -> str:
    """The text of a corpus file; ValueError with one clear line for any unusable file."""
    from rnnviz.io.files import regular_file

    path = Path(path)
    regular_file(path, InputError, hint)
    data = path.read_bytes()
    if b"\x00" in data:
        raise InputError(f"{path}: looks like a binary file (it has NUL bytes); {hint}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: is not UTF-8 text (undecodable byte at offset {err.start}); {hint}"
        ) from None
    return text


def line_tokens(line: str, tokenizer: str) -> list[str]:
    """A line's tokens: words and punctuation lowercased ("words"; the vocabulary is case-insensitive),
    else split as the model will split what it reads."""
    return tokenize(line.lower()) if tokenizer == "words" else TOKENIZERS[tokenizer].split(line)


def read_corpus(path: str | Path, tokenizer: str = "words") -> list[list[str]]:
    """Tokenized non-empty lines; ValueError with one clear line for any unusable file."""
    hint = "give a UTF-8 text file with one sentence per line"
    text = read_text(path, hint)
    sentences = [tokens for line in text.splitlines() if (tokens := line_tokens(line, tokenizer))]
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


def stream_tokens(text: str, tokenizer: str) -> list[str]:
    """The whole file as one token stream: every character ("chars"), or each line's tokens then <eos>."""
    if tokenizer == "chars":
        return TOKENIZERS["chars"].split(text)
    tokens: list[str] = []
    for line in text.splitlines():
        if words := line_tokens(line, tokenizer):
            tokens += [*words, EOS]
    return tokens


def stream_vocab(tokens: list[str], tokenizer: str, max_size: int) -> list[str]:
    """<unk> (and <eos> for words), then the most frequent tokens."""
    vocab = build_vocab([tokens], max_size)
    return [token for token in vocab if token != EOS] if tokenizer == "chars" else vocab


def per_token(loss: float, tokenizer: str) -> str:
    """A stream loss (nats per token) as people quote it: bits per character, or word perplexity."""
    if tokenizer == "chars":
        return f"{stream.bits(loss):.3f} bpc"
    return f"perplexity {math.exp(min(loss, 700)):,.1f}"


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class ProgressBar:
    """A rich progress bar fed by the trainer's per-batch callback: epoch, loss, tokens/s, ETA."""

    def __init__(self, console: Console, loss_text: Callable[[float], str] = "loss {:.3f}".format):
        self.loss_text = loss_text
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"),
            BarColumn(),
            TextColumn("{task.fields[loss]}"),
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
            "loss": self.loss_text(p.loss),
            "rate": f"{p.tokens_per_second:,.0f}",
            "eta": _duration(p.eta),
        }
        if self.task is None:
            self.task = self.progress.add_task("train", total=p.total_tokens, **fields)
        self.progress.update(self.task, completed=p.tokens, **fields)


GIB = 1024**3


def memory_needed(config: train.TrainConfig, vocab_size: int, longest: int) -> int:
    """Bytes a fit needs, roughly: weights, gradients, Adam's two moments and an exported copy, plus
    one batch's activations (every layer's gates and the next-word distribution at every step)."""
    gates, hidden, embedding = spec_of(config.cell).gate_count, config.hidden, config.embedding
    params = vocab_size * embedding + vocab_size * hidden + vocab_size
    for layer in range(config.layers):
        inputs = embedding if layer == 0 else hidden
        params += gates * hidden * (inputs + hidden + 2)
    per_step = config.layers * (gates + 2) * hidden * 2 + vocab_size * 2  # forward and backward
    itemsize = np.dtype(config.dtype).itemsize
    return itemsize * (5 * params + config.batch * (longest + 1) * per_step)


def available_memory() -> int | None:
    """Bytes the system can still give (MemAvailable, else free physical pages); None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_fits(config: train.TrainConfig, vocab_size: int, longest: int) -> None:
    needed, available = memory_needed(config, vocab_size, longest), available_memory()
    if available is not None and needed > available:
        raise InputError(
            f"a {config.cell} of {config.layers}×{config.hidden} units with embedding {config.embedding} "
            f"and a vocabulary of {vocab_size} needs about {needed / GIB:,.1f} GiB to train, but "
            f"{available / GIB:,.1f} GiB are free: choose smaller --hidden, --embedding, --layers or --batch"
        )


def check_options(args: argparse.Namespace) -> None:
    for name in ("hidden", "embedding", "layers", "epochs", "batch"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name} is {getattr(args, name)}: give a whole number of at least 1")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise InputError(f"--lr is {args.lr}: give a positive, finite learning rate, e.g. 0.01")
    if not (math.isfinite(args.clip) and args.clip >= 0):
        raise InputError(f"--clip is {args.clip}: give a finite gradient norm, or 0 for no clipping")
    if not 0 <= args.unk_rate < 1:
        raise InputError(f"--unk-rate is {args.unk_rate}: give a chance from 0 up to (below) 1, e.g. 0.05")


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM (a `kill`, a closing session, a job scheduler) stops training like Ctrl-C: saved, not lost."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def rescue(model: Model) -> Path | None:
    """Write a model that could not go where asked to a fresh file here, else in the temp folder."""
    from rnnviz.io.weights import save

    name = f"rnnviz-rescued-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.safetensors"
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        try:
            save(model, folder / name, force=False)
        except (OSError, RnnvizError, MemoryError):
            continue
        return folder / name
    return None


def command(args: argparse.Namespace) -> int:
    from rnnviz.io.atomic import check_target

    output = Path(args.output)
    check_options(args)
    check_target(output, force=args.force, inputs=[args.corpus])  # before hours of training, not after

    if args.tokenizer == "chars" or args.stream:
        return train_stream(args, output)
    sentences = read_corpus(args.corpus, args.tokenizer)
    vocab = build_vocab(sentences, args.max_vocab)
    config = config_of(args)
    check_fits(config, len(vocab), max(len(s) for s in sentences) + 1)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    trainer = train.Trainer(vocab, config)
    sequences = trainer.encode(sentences)
    console.print(
        f"training {config.cell} ({config.layers}×{config.hidden}, embedding {config.embedding}) on "
        f"{len(sequences)} sentences, vocabulary {len(vocab)}; Ctrl-C stops and saves",
        markup=False,
    )
    with sigterm_as_ctrl_c(), ProgressBar(console) as bar:
        result = trainer.fit(sequences, config.epochs, callback=bar, label=Path(args.corpus).name)
    return finish(args, output, trainer, result, tokenizer=args.tokenizer)


def config_of(args: argparse.Namespace) -> train.TrainConfig:
    return train.TrainConfig(
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


def train_stream(args: argparse.Namespace, output: Path) -> int:
    """Train on the file as one token stream, validating on its tail after every epoch."""
    if args.chunk < 1:
        raise InputError(f"--chunk is {args.chunk}: give a whole number of steps of at least 1, e.g. 100")
    if not 0 <= args.valid < 1:
        raise InputError(f"--valid is {args.valid}: give a fraction from 0 up to (below) 1, e.g. 0.05")
    text = read_text(args.corpus, "give a UTF-8 text file")
    tokens = stream_tokens(text, args.tokenizer)
    if len(tokens) < 2:
        raise InputError(f"{args.corpus}: holds fewer than two tokens; give a longer UTF-8 text file")
    held = int(len(tokens) * args.valid)
    held = held if held >= 2 else 0  # a tail too short to predict anything is not held out
    train_part = tokens[: len(tokens) - held]
    vocab = stream_vocab(train_part, args.tokenizer, args.max_vocab)
    config = config_of(args)
    check_fits(config, len(vocab), args.chunk + 1)
    trainer = stream.StreamTrainer(vocab, config, chunk=args.chunk)
    ids = trainer.vocab.encode(train_part)
    valid = trainer.vocab.encode(tokens[len(train_part) :]) if held else None
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    unit = "characters" if args.tokenizer == "chars" else "tokens"
    console.print(
        f"training {config.cell} ({config.layers}×{config.hidden}, embedding {config.embedding}) on a stream "
        f"of {len(ids):,} {unit} ({config.batch} streams, chunks of {args.chunk}), {held:,} held out, "
        f"vocabulary {len(vocab)}; Ctrl-C stops and saves",
        markup=False,
    )

    def show(loss: float) -> str:
        return per_token(loss, args.tokenizer)

    with sigterm_as_ctrl_c(), ProgressBar(console, show) as bar:

        def report(p: stream.StreamProgress) -> None:
            bar.update(p)
            if p.epoch_done:
                line = f"epoch {p.epoch}: train {show(p.loss)}"
                if p.valid_loss is not None:
                    line += f", validation {show(p.valid_loss)}"
                bar.progress.console.print(line, markup=False)

        result = trainer.fit_stream(ids, valid=valid, callback=report, label=Path(args.corpus).name)
    return finish(args, output, trainer, result, tokenizer=args.tokenizer)


def finish(
    args: argparse.Namespace, output: Path, trainer: train.Trainer, result: train.TrainResult, **metadata: str
) -> int:
    """Save the trained model (a rescue copy if the output cannot be written) and say how it went."""
    config = trainer.config
    out = Console(highlight=False, soft_wrap=True)
    if result.steps == 0:
        out.print("interrupted before the first step: nothing saved", markup=False)
        return 130
    from rnnviz.io.weights import save

    model = trainer.export(corpus=Path(args.corpus).name, **metadata)
    try:
        with sigterm_as_ctrl_c():
            save(model, output, force=args.force, inputs=[args.corpus])
    except (OSError, RnnvizError, MemoryError) as err:
        rescued = rescue(model)
        kept = f"the trained model is safe in {rescued}" if rescued else "no rescue copy could be written"
        error(f"could not write {output} ({first_line(err)}): {kept}")
        return 2
    summary = f"loss {result.final_loss:.3f} after {result.steps} steps in {_duration(result.seconds)}"
    if result.interrupted:
        out.print(
            f"interrupted in epoch {len(result.epoch_losses)} of {config.epochs}: "
            f"saved the model trained so far ({summary}) to {printable(str(output))}",
            markup=False,
        )
        return 130
    out.print(f"saved {printable(str(output))} ({summary})", markup=False)
    return 0
