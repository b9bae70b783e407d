"""What every command shares: the weights options and the one-line error message."""

from __future__ import annotations

import argparse
from typing import Any

from rnnviz.core.cells import STORED_NAMES
from rnnviz.core.model import HEADS
from rnnviz.core.tokenizers import TOKENIZERS
from rnnviz.text import printable


def add_weights_options(parser: argparse.ArgumentParser) -> None:
    """The options of rnnviz.load, for every command that loads weights (`weights_options` reads them)."""
    parser.add_argument(
        "--vocab", help="vocabulary file (a JSON list, or one token a line) for weights that carry none"
    )
    parser.add_argument("--cell", help=f"cell type when the file cannot tell: {', '.join(STORED_NAMES)}")
    parser.add_argument(
        "--tokenizer",
        choices=tuple(TOKENIZERS),
        help="how text is split into tokens (default: the file's metadata, else words): "
        + "; ".join(f"{t.name}: {t.description}" for t in TOKENIZERS.values()),
    )
    parser.add_argument(
        "--head",
        choices=HEADS,
        help="what the decoder predicts: the next token, or classes (default: the file's say, else inferred)",
    )
    parser.add_argument(
        "--labels", metavar="FILE", help="class names of a classifier, one a line or a JSON list"
    )


def weights_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of rnnviz.load that the command line gave (see add_weights_options)."""
    return {name: getattr(args, name, None) for name in ("vocab", "cell", "tokenizer", "head", "labels")}


def add_text_options(parser: argparse.ArgumentParser, default: str | None) -> None:
    """--text, or --text-file FILE (`-` for stdin) for a text longer than a command line can carry."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--text", default=default, help="the sentence to read")
    group.add_argument(
        "--text-file", metavar="FILE", help="read the text from a UTF-8 file (- for stdin) instead of --text"
    )


def text_of(args: argparse.Namespace) -> str:
    """The text to read: --text, or the contents of --text-file (InputError if it cannot be read)."""
    source = getattr(args, "text_file", None)
    if source is None:
        return args.text
    import sys
    from pathlib import Path

    from rnnviz.errors import InputError
    from rnnviz.io.files import regular_file

    hint = "give a UTF-8 text file, or - for stdin"
    try:
        if source == "-":
            data = sys.stdin.buffer.read()
        else:
            regular_file(Path(source), InputError, hint)
            data = Path(source).read_bytes()
    except OSError as err:
        raise InputError(f"{source}: cannot read the text ({err.strerror or err}); {hint}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"{source}: is not UTF-8 text (undecodable byte at offset {err.start})") from None
    if not text.strip():
        raise InputError(f"{source}: holds no text; {hint}")
    return text


def error(message: str) -> None:
    """One red line on stderr, never a traceback: the message is plain text, its control bytes escaped.

    A message names files, tensors and words the user gave, so it is never read as Rich markup
    (`no[/]such.safetensors` is a file name, not a closing tag) and never reaches the terminal raw.
    """
    from rich.console import Console
    from rich.text import Text

    line = Text.assemble(("error:", "bold red"), " ", printable(message))
    Console(stderr=True, highlight=False, soft_wrap=True).print(line)
