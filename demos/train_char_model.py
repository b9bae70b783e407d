"""Train the bundled character-level LSTM (rnnviz/models/chars.safetensors) on the Python standard
library's own source, which every machine running rnnviz has.

Files: the `*.py` files under sysconfig's stdlib folder, sorted by path, leaving out test folders,
site-packages and files over 200 KB; the first FILES of them. Every HOLD_OUT-th chosen file is held out
whole for validation. The metadata records the Python version, the file lists and a SHA-256 of the
training text, so a run on another Python says it read another corpus.

    python demos/train_char_model.py [--minutes 26] [--out rnnviz/models/chars.safetensors]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import string
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np

from rnnviz.core.vocab import UNK
from rnnviz.io.weights import load, save
from rnnviz.training.stream import StreamProgress, StreamTrainer, bits, evaluate
from rnnviz.training.train import TrainConfig

FILES = 240
HOLD_OUT = 12  # every 12th chosen file is a validation file
LARGEST = 200_000  # bytes
SKIPPED_FOLDERS = {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__", "encodings"}
# encodings/ holds generated codec tables, not code anyone wrote
# The characters a model may know: printable ASCII without the rare vertical tab and carriage return.
ALPHABET = set(string.printable) - {"\x0b", "\r"}


def stdlib_files(root: Path) -> list[Path]:
    """Candidate source files, relative to the stdlib folder, in a fixed order."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if SKIPPED_FOLDERS & set(relative.parts[:-1]) or relative.name.startswith("test_"):
            continue
        if path.stat().st_size > LARGEST:
            continue
        found.append(relative)
    return found


def read_source(root: Path, relative: Path) -> str:
    return (root / relative).read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")


def chosen_files(root: Path) -> tuple[list[Path], list[Path]]:
    files = stdlib_files(root)[:FILES]
    valid = files[HOLD_OUT - 1 :: HOLD_OUT]
    train = [f for f in files if f not in valid]
    return train, valid


def encode(text: str, index: dict[str, int]) -> np.ndarray:
    unk = index[UNK]
    return np.array([index.get(ch, unk) for ch in text], dtype=np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=26.0, help="stop training after this long")
    parser.add_argument("--out", default="rnnviz/models/chars.safetensors")
    parser.add_argument("--hidden", type=int, default=192)
    parser.add_argument("--embedding", type=int, default=48)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--resume", help="continue from this model (same corpus): its weights, a fresh Adam")
    args = parser.parse_args()

    root = Path(sysconfig.get_paths()["stdlib"])
    train_files, valid_files = chosen_files(root)
    train_text = "".join(read_source(root, f) for f in train_files)
    valid_text = "".join(read_source(root, f) for f in valid_files)
    corpus_hash = hashlib.sha256(train_text.encode("utf-8")).hexdigest()
    vocab = [UNK, *sorted(set(train_text) & ALPHABET)]
    index = {token: i for i, token in enumerate(vocab)}
    train_ids, valid_ids = encode(train_text, index), encode(valid_text, index)
    print(
        f"Python {platform.python_version()}: {len(train_files)} training files ({len(train_text):,} chars), "
        f"{len(valid_files)} held out ({len(valid_text):,} chars), vocabulary {len(vocab)}, "
        f"sha256 {corpus_hash[:16]}…",
        flush=True,
    )
    print("first files:", ", ".join(str(f) for f in train_files[:5]), "…", str(train_files[-1]), flush=True)
    print("held out:", ", ".join(str(f) for f in valid_files), flush=True)

    config = TrainConfig(
        cell="lstm",
        embedding=args.embedding,
        hidden=args.hidden,
        layers=1,
        epochs=args.epochs,
        lr=args.lr,
        batch=args.batch,
        clip=5.0,
        seed=0,
        forget_bias=1.0,
    )
    weights, before = None, {}
    if args.resume:
        previous = load(args.resume)
        if previous.vocab != vocab or previous.metadata.get("corpus_sha256") != corpus_hash:
            raise SystemExit(f"{args.resume} was trained on another corpus or vocabulary: cannot resume")
        weights = {name: np.array(value) for name, value in previous.weights.items()}
        before = previous.metadata
    trainer = StreamTrainer(vocab, config, chunk=args.chunk, weights=weights)
    deadline = time.perf_counter() + args.minutes * 60
    started = time.perf_counter()

    def report(p: StreamProgress) -> None:
        if p.step % 50 == 0 or p.epoch_done:
            rate = p.tokens_per_second
            print(
                f"epoch {p.epoch} step {p.step}/{p.steps} loss {bits(p.loss):.3f} bpc  {rate:,.0f} chars/s",
                flush=True,
            )
        if p.valid_loss is not None:
            print(f"epoch {p.epoch}: validation {bits(p.valid_loss):.3f} bpc", flush=True)
        if time.perf_counter() > deadline:
            raise KeyboardInterrupt  # the time is up: stop like Ctrl-C, keeping the model

    result = trainer.fit_stream(train_ids, valid=valid_ids, callback=report, label="python stdlib")
    seconds = time.perf_counter() - started
    valid_bits = bits(evaluate(trainer.model, valid_ids, streams=16))
    print(
        f"trained {seconds / 60:.1f} min, {result.steps} steps; validation {valid_bits:.3f} bpc", flush=True
    )

    resumed = {}
    if before:  # the time and steps of the run resumed from count too
        trainer.seconds += float(before.get("train_seconds", 0))
        resumed = {
            "resumed_after_steps": before.get("steps", "0"),
            "stages_before": before.get("stages", "[]"),
        }
    model = trainer.export(
        **resumed,
        tokenizer="chars",
        corpus="python standard library source (demos/train_char_model.py)",
        corpus_sha256=corpus_hash,
        corpus_chars=str(len(train_text)),
        python_version=platform.python_version(),
        train_files=json.dumps([str(f) for f in train_files]),
        valid_files=json.dumps([str(f) for f in valid_files]),
        valid_bpc=f"{valid_bits:.4f}",
        bpc=f"{valid_bits:.4f}",
        train_bpc=f"{bits(result.final_loss):.4f}" if math.isfinite(result.final_loss) else "nan",
    )
    save(model, args.out, force=True)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.2f} MB)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
