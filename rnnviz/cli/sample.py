"""`rnnviz sample MODEL [--prime TEXT] [-n N] [--temperature T] [--seed S]`: text from a language model.

Character models join their tokens with nothing, word models with spaces (`<eos>` ends a line). The
output is escaped for the terminal, except its newlines and tabs.
"""

from __future__ import annotations

import argparse
import sys

from rnnviz.cli.options import add_weights_options, weights_options
from rnnviz.core.model import Model
from rnnviz.core.vocab import EOS
from rnnviz.errors import InputError
from rnnviz.text import LAYOUT, printable


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weights", help="a language model: a weights file, or a bundled name such as chars")
    parser.add_argument("--prime", help="text the model reads first and continues (default: a new line)")
    parser.add_argument("-n", type=int, default=500, help="how many tokens to generate (default 500)")
    parser.add_argument(
        "--temperature", type=float, default=1.0, help="below 1 safer, above 1 wilder; 0 takes the likeliest"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws: the same seed, the same text")
    add_weights_options(parser)


def default_prime(model: Model) -> list[str]:
    """Where generation starts without --prime: a new line (characters) or a sentence end (words)."""
    for start in ("\n", EOS):
        if start in model.vocab_index.index:
            return [start]
    raise InputError("the model has no new-line or <eos> token to start from: give --prime TEXT")


def join(model: Model, tokens: list[str]) -> str:
    if model.tokenizer == "chars":
        return "".join(tokens)
    return " ".join(tokens).replace(f" {EOS} ", "\n").replace(EOS, "\n")


def command(args: argparse.Namespace) -> int:
    from rnnviz.analysis.sample import check_sampling, generate
    from rnnviz.io.weights import load

    check_sampling(args.n, args.temperature)
    model = load(args.weights, **weights_options(args))
    prime: str | list[str] = default_prime(model) if args.prime is None else args.prime
    if args.prime is not None and not args.prime:
        raise InputError("--prime is empty: give some text to continue, or leave --prime out")
    tokens = generate(model, prime, args.n, temperature=args.temperature, seed=args.seed)
    text = join(model, tokens)
    if args.prime is not None:
        text = args.prime + ("" if model.tokenizer == "chars" else " ") + text
    sys.stdout.write(printable(text, keep=LAYOUT) + "\n")
    return 0
