"""What every command shares: the weights options and the one-line error message."""

from __future__ import annotations

import argparse

from rnnviz.core.cells import STORED_NAMES


def add_weights_options(parser: argparse.ArgumentParser) -> None:
    """--vocab and --cell, for every command that loads weights (they go to rnnviz.load)."""
    parser.add_argument("--vocab", help="vocabulary file (one token a line) for weights that carry none")
    parser.add_argument("--cell", help=f"cell type when the file cannot tell: {', '.join(STORED_NAMES)}")


def error(message: str) -> None:
    """One red line on stderr, never a traceback."""
    from rich.console import Console

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {message}", markup=True)
