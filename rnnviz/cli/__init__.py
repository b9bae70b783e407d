"""The `rnnviz` command: the TUI by default, and subcommands that each live in their own module.

Each subcommand's module is imported only when it runs, so `rnnviz render` never pays for Textual
and `rnnviz` never pays for the trainer. A module exposes `configure(parser)` and `command(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from rnnviz.cli.options import error
from rnnviz.errors import RnnvizError, first_line

# name → (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "render": ("rnnviz.cli.render", "print or export a static picture of a model reading a sentence"),
    "inspect": ("rnnviz.cli.inspect", "what is in a weights file, and what is wrong with it"),
    "train": ("rnnviz.cli.train", "train a small model on a text file, one sentence per line"),
    "span": ("rnnviz.cli.span", "memory-span table: link accuracy at 'it' by distance"),
    "units": ("rnnviz.cli.units", "rank units by how well they remember the subject animal"),
    "cells": ("rnnviz.cli.cells", "units that track properties of the text (quotes, indents…)"),
    "bench": ("rnnviz.bench", "speed figures, side by side with PyTorch when installed"),
    "tour": ("rnnviz.cli.tour", "a guided tour: why plain RNNs forget and gates remember"),
    "convert": (
        "rnnviz.cli.convert",
        "any readable weights → native safetensors (written whole or not at all)",
    ),
    "serve": ("rnnviz.cli.serve", "the viewer in a browser (needs the extra: pip install 'rnnviz[web]')"),
    "sample": ("rnnviz.cli.sample", "generate text from a language model (e.g. the bundled chars model)"),
}
TUI_MODULE = "rnnviz.cli.view"


def build_parser(name: str | None) -> argparse.ArgumentParser:
    if name is None:
        parser = argparse.ArgumentParser(
            prog="rnnviz",
            description="Watch what a recurrent network remembers. With no command, opens the viewer.",
            epilog="commands: " + "; ".join(f"{n}: {h}" for n, (_, h) in SUBCOMMANDS.items()),
        )
        module = importlib.import_module(TUI_MODULE)
    else:
        parser = argparse.ArgumentParser(prog=f"rnnviz {name}", description=SUBCOMMANDS[name][1])
        module = importlib.import_module(SUBCOMMANDS[name][0])
    module.configure(parser)
    parser.set_defaults(_command=module.command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    name = args_list[0] if args_list and args_list[0] in SUBCOMMANDS else None
    parser = build_parser(name)
    args = parser.parse_args(args_list[1:] if name else args_list)
    try:
        code = args._command(args)
    except (RnnvizError, OSError) as err:
        if os.environ.get("RNNVIZ_DEBUG"):  # the traceback, for developers
            raise
        error(first_line(err))
        return 2
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    return int(code or 0)


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
