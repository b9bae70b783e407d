"""`rnnviz convert IN OUT`: any weights rnnviz reads → one native safetensors file that needs nothing else.

The output carries the vocabulary, the cell type and the tokenizer in its metadata, so `rnnviz OUT`
works with no --vocab, --cell or --tokenizer. The model is loaded and fully validated first; only then
is OUT written, whole or not at all (a temporary file renamed into place). PyTorch checkpoints default
to the whitespace tokenizer: the word_language_model example splits its corpus on whitespace.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rnnviz.cli.options import add_weights_options, weights_options
from rnnviz.core.model import DTYPES, Model
from rnnviz.text import printable


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN", help="weights file (.safetensors, .npz, .keras, .pt)")
    parser.add_argument("output", metavar="OUT", help="the native .safetensors file to write")
    add_weights_options(parser)
    parser.add_argument(
        "--dtype",
        choices=tuple(DTYPES),
        default="float32",
        help="dtype of the written tensors (default float32)",
    )
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")


def command(args: argparse.Namespace) -> int:
    from rnnviz.io.atomic import check_target
    from rnnviz.io.weights import load, save

    inputs = [p for p in (args.input, args.vocab) if p]
    check_target(args.output, force=args.force, inputs=inputs)  # before reading a large file
    model = load(args.input, dtype=args.dtype, **weights_options(args))
    implied = model.metadata.get("tokenizer_implied", "")
    save(model, args.output, {"converted_from": Path(args.input).name}, force=args.force, inputs=inputs)
    print(printable(summary(args.output, model, implied)))
    return 0


def summary(output: str, model: Model, tokenizer_implied: str = "") -> str:
    """The one line the command prints: what was written, and how its text will be split."""
    layers = f"{model.num_layers} layer{'s' if model.num_layers != 1 else ''}"
    line = (
        f"wrote {output} ({model.cell_name}, {layers}, {model.hidden_size} units, "
        f"{len(model.vocab):,} tokens, tokenizer {model.tokenizer})"
    )
    if tokenizer_implied:
        line += f"; tokenizer {model.tokenizer}: {tokenizer_implied} (--tokenizer to choose another)"
    return line
