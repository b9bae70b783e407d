"""What every command shares: the weights options and the one-line error message."""

from __future__ import annotations

import argparse

from rnnviz.text import printable


def add_weights_options(parser: argparse.ArgumentParser) -> None:
    """--vocab and --cell, for every command that loads weights (they go to rnnviz.load)."""
    parser.add_argument("--vocab", help="vocabulary file (one token a line) for weights that carry none")
    parser.add_argument("--cell", help="cell type when the file cannot tell: rnn_tanh, rnn_relu, lstm, gru")


def error(message: str) -> None:
    """One red line on stderr, never a traceback: the message is plain text, its control bytes escaped.

    A message names files, tensors and words the user gave, so it is never read as Rich markup
    (`no[/]such.safetensors` is a file name, not a closing tag) and never reaches the terminal raw.
    """
    from rich.console import Console
    from rich.text import Text

    line = Text.assemble(("error:", "bold red"), " ", printable(message))
    Console(stderr=True, highlight=False, soft_wrap=True).print(line)
