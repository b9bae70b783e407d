"""`rnnviz span`: the memory-span table of one or more models."""

from __future__ import annotations

import argparse
import json
import sys

from rnnviz.analysis.span import CHANCE, DEFAULT_BUCKETS, span
from rnnviz.cli.options import add_weights_options, weights_options
from rnnviz.cli.progress import progress_bar
from rnnviz.errors import InputError
from rnnviz.training.corpus import HELD_OUT_SEED


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "weights", nargs="*", default=["rnn", "lstm", "gru"], help="weights files, or rnn | lstm | gru"
    )
    parser.add_argument("--n", type=int, default=200, help="held-out sentences per bucket (default 200)")
    parser.add_argument(
        "--seed", type=int, default=HELD_OUT_SEED, help=f"first seed (default {HELD_OUT_SEED})"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    add_weights_options(parser)


def command(args: argparse.Namespace) -> int:
    from rnnviz.io.weights import load

    if args.n < 1:
        raise InputError(f"--n is {args.n}: give at least 1 sentence per bucket")
    models = [(name, load(name, **weights_options(args))) for name in args.weights]
    buckets = len(DEFAULT_BUCKETS) * len(models)
    with progress_bar("span", buckets, enabled=not args.json) as advance:
        results = [span(model, args.n, args.seed, name=name, on_progress=advance) for name, model in models]
    if args.json:
        payload = {
            "chance": CHANCE,
            "n_per_bucket": args.n,
            "seed": args.seed,
            "distance": "words between the subject animal and the last 'it'",
            "models": [r.to_dict() for r in results],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0
    from rich.console import Console

    from rnnviz.render.tables import span_table

    Console(highlight=False).print(span_table(results, args.n, args.seed))
    return 0
