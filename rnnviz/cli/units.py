"""`rnnviz units`: rank units by how well they remember the subject animal."""

from __future__ import annotations

import argparse

from rnnviz.analysis.units import DEFAULT_N, EXAMPLE, UNITS_SEED, demo_sentences, score_units
from rnnviz.cli.options import add_weights_options, weights_options
from rnnviz.cli.progress import progress_bar
from rnnviz.errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "weights", nargs="?", default="lstm", help="weights file, or rnn | lstm | gru (default lstm)"
    )
    parser.add_argument("--top", type=int, default=10, help="how many units to list (default 10)")
    parser.add_argument("--n", type=int, default=DEFAULT_N, help=f"sentences to probe (default {DEFAULT_N})")
    parser.add_argument("--seed", type=int, default=UNITS_SEED, help=f"corpus seed (default {UNITS_SEED})")
    parser.add_argument("--layer", type=int, default=-1, help="which layer (default: the top one)")
    parser.add_argument("--state", choices=("hidden", "cell"), default="hidden", help="h, or an LSTM's c")
    parser.add_argument("--text", default=EXAMPLE, help="the sentence the sparklines follow")
    add_weights_options(parser)


def command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from rnnviz.io.weights import load
    from rnnviz.render.tables import units_table

    if args.top < 1:
        raise InputError(f"--top is {args.top}: give at least 1")
    model = load(args.weights, **weights_options(args))
    sentences = demo_sentences(args.n, args.seed)
    with progress_bar("units", len(sentences)) as advance:
        scores = score_units(model, sentences, args.layer, args.state, on_progress=advance)
    Console(highlight=False).print(units_table(model, scores, args.top, args.text, args.layer, args.state))
    return 0
