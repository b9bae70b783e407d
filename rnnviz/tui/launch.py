"""`rnnviz [WEIGHTS] [--text ...]`: until the viewer lands, print the static picture."""

from __future__ import annotations

import argparse

from .. import render


def configure(parser: argparse.ArgumentParser) -> None:
    render.configure(parser)


def command(args: argparse.Namespace) -> int:
    return render.command(args)
