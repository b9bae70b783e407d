"""`rnnviz [WEIGHTS|rnn|lstm|gru|chars] [--text ...]`: open the viewer.

Without --text the viewer opens on the model's demo text: the cat sentence for word models, a function
from the standard library for a character model (`rnnviz chars`).
"""

from __future__ import annotations

import argparse
import os
import sys

from rnnviz.cli.options import add_text_options, add_weights_options, text_of, weights_options
from rnnviz.training.corpus import DEMO_SENTENCE, demo_text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "weights", nargs="?", default="lstm", help="weights file, or rnn | lstm | gru | chars (default lstm)"
    )
    add_text_options(parser, None)  # None: the model's demo text (see default_text)
    add_weights_options(parser)
    parser.add_argument("--layer", type=int, default=-1, help="which layer to draw (default: the top one)")
    parser.add_argument("--compare", metavar="MODEL", help="open in compare mode beside this model")


def command(args: argparse.Namespace) -> int:
    """Run the app; its return code is the exit status (1 after a crash inside the app)."""
    args.text = default_text(args) if args.text is None and args.text_file is None else text_of(args)
    if not has_terminal():
        return _print_static(args)
    from rnnviz.tui.app import make_app  # Textual is imported only when the viewer opens

    source = args.weights
    if args.head or args.labels:  # options the viewer's model switcher does not carry: load here
        from rnnviz.io.weights import load

        source = load(args.weights, **weights_options(args))
    app = make_app(
        source,
        args.text,
        compare=args.compare,
        vocab=args.vocab,
        cell=args.cell,
        tokenizer=args.tokenizer,
        layer=args.layer,
    )
    app.run()
    code = app.return_code if app.return_code is not None else 0
    leave_without_waiting(code)
    return code


def leave_without_waiting(code: int) -> None:
    """End the process now if a worker is still computing: `q` returns the prompt at once, and an
    abandoned thread inside NumPy never meets the interpreter's shutdown (which can crash it)."""
    import os
    import threading

    if any(t.is_alive() and t is not threading.main_thread() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def default_text(args: argparse.Namespace) -> str:
    """The demo text for the model asked for, by its tokenizer (--tokenizer, else the file's say)."""
    from rnnviz.errors import RnnvizError
    from rnnviz.io.weights import load

    try:
        model = load(args.weights, **weights_options(args))
    except (RnnvizError, OSError):
        return DEMO_SENTENCE  # the viewer loads it again and reports what is wrong in its own words
    return demo_text(model.tokenizer)


def has_terminal() -> bool:
    """Whether keys can be read and a screen drawn: both stdin and stdout are terminals, or Textual was
    given a driver of its own (textual-serve's web driver talks to a browser over plain pipes)."""
    return bool(os.environ.get("TEXTUAL_DRIVER")) or (sys.stdin.isatty() and sys.stdout.isatty())


def _print_static(args: argparse.Namespace) -> int:
    """Without a terminal (a pipe, a cron job, CI) a viewer cannot take keys: print the picture instead."""
    from rnnviz.cli import render

    print("rnnviz: not a terminal, so here is the static picture (`rnnviz render`).", file=sys.stderr)
    options = argparse.Namespace(
        weights=args.weights,
        text=args.text,
        vocab=args.vocab,
        cell=args.cell,
        head=args.head,
        labels=args.labels,
        tokenizer=args.tokenizer,
        layer=args.layer,
        svg=None,
        html=None,
        width=None,
    )
    parser = argparse.ArgumentParser()
    render.configure(parser)
    defaults = vars(parser.parse_args([]))
    defaults.update(vars(options))
    code = render.command(argparse.Namespace(**defaults))
    if args.compare is not None:  # the viewer would show it beside the first: print it after
        defaults["weights"] = args.compare
        code = max(code, render.command(argparse.Namespace(**defaults)))
    return code
