"""`rnnviz render`: print or export a static picture of a model reading a sentence."""

from __future__ import annotations

import argparse

from rich.console import Console

from rnnviz.analysis.links import DEFAULT_METHOD, METHODS
from rnnviz.cli.options import add_text_options, add_weights_options, text_of, weights_options
from rnnviz.core.trace import Trace
from rnnviz.core.vocab import EOS
from rnnviz.errors import InputError
from rnnviz.render.picture import RenderOptions, Section, picture
from rnnviz.text import printable
from rnnviz.training.corpus import DEMO_SENTENCE

MIN_WIDTH = 20


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "weights", nargs="?", default="lstm", help="weights file, or rnn | lstm | gru (default lstm)"
    )
    add_text_options(parser, DEMO_SENTENCE)
    add_weights_options(parser)
    parser.add_argument("--layer", type=int, default=-1, help="which layer to draw (default: the top one)")
    parser.add_argument(
        "--at",
        type=int,
        default=None,
        metavar="N",
        help="show gates, predictions, links and flow at the N-th word (1 = the first, -1 = the last; "
        "default: the last word whose next word is not <eos>)",
    )
    parser.add_argument("--svg", metavar="FILE", help="write the picture as SVG")
    parser.add_argument("--html", metavar="FILE", help="write the picture as HTML")
    parser.add_argument("--force", action="store_true", help="replace --svg/--html files that exist")
    parser.add_argument("--width", type=int, help="width in characters (default: the terminal's, or 100)")
    parser.add_argument("--flow", action="store_true", help="add gradient flow at the --at word (log scale)")
    parser.add_argument(
        "--compare", metavar="M1,M2", help="gradient flow of several models on the text, e.g. rnn,lstm,gru"
    )
    parser.add_argument("--gates", action="store_true", help="add gate saturation (LSTM, GRU) per unit")
    parser.add_argument("--corpus", type=int, metavar="N", help="with --gates: over N demo sentences instead")
    parser.add_argument(
        "--links",
        nargs="?",
        const=DEFAULT_METHOD,
        choices=tuple(METHODS),
        metavar="METHOD",
        help="tint the words by how much the last word's prediction depends on them "
        f"({', '.join(f'{name} [default]' if name == DEFAULT_METHOD else name for name in METHODS)})",
    )


def _story_sections(args: argparse.Namespace) -> list[Section]:
    """Gradient flow (--flow, --compare) and gate saturation (--gates, --corpus), when asked for."""
    sections: list[Section] = []
    if args.flow or args.compare is not None:
        from rnnviz.render.flowplot import flow_section

        names = [n.strip() for n in (args.compare or "").split(",") if n.strip()]
        if args.compare is not None and not names:
            raise InputError("--compare needs model names or files separated by commas, e.g. rnn,lstm,gru")
        sections.append(flow_section(compare=names or None, position=args.at))
    if args.corpus is not None and (args.corpus < 1 or not args.gates):
        raise InputError(f"--corpus {args.corpus}: use it with --gates, and give at least 1 sentence")
    if args.gates:
        from rnnviz.render.saturation import saturation_section

        sections.append(saturation_section(corpus=args.corpus))
    if getattr(args, "links", None):
        from rnnviz.render.links import links_section

        sections.append(links_section(args.links, position=args.at))
    return sections


def word_index(at: int | None, trace: Trace) -> int:
    """The 0-based position of `--at N`: the N-th word counting from 1, or from the end when negative;
    None: the last word whose most likely next word is not <eos> (after the closing "." the model
    only predicts the end of the text, which says nothing about memory)."""
    words = len(trace)
    if at is None:
        for t in range(words - 1, -1, -1):
            top = trace.top_next(t, 1) if trace.probs is not None else []
            if trace.tokens[t] != EOS and not (top and top[0][0] == EOS):
                return t
        return words - 1
    if at == 0 or not -words <= at <= words:
        raise InputError(
            f"--at {at} is out of range: the text has {words} words (1 to {words}, or -1 for the last)"
        )
    return at - 1 if at > 0 else words + at


def command(args: argparse.Namespace) -> int:
    from rnnviz.io.atomic import check_target, write_atomic
    from rnnviz.io.weights import load

    if args.width is not None and args.width < MIN_WIDTH:
        raise InputError(f"--width {args.width}: give at least {MIN_WIDTH} characters")
    inputs = [p for p in (args.weights, args.vocab, getattr(args, "text_file", None)) if p and p != "-"]
    for path in (args.svg, args.html):
        if path:  # refused before the model is even loaded
            check_target(path, force=args.force, inputs=inputs)
    model = load(args.weights, **weights_options(args))
    trace = model.run(text_of(args))
    if not -trace.layers <= args.layer < trace.layers:
        raise InputError(f"--layer {args.layer} is out of range: this model has {trace.layers} layer(s)")
    args.at = word_index(args.at, trace)
    exporting = bool(args.svg or args.html)
    console = Console(record=exporting, width=args.width or (100 if exporting else None), highlight=False)
    plain = not exporting and not console.is_terminal
    opts = RenderOptions(width=console.width - 4, plain=plain, layer=args.layer, at=args.at)
    console.print(picture(model, trace, opts, _story_sections(args)))
    if args.svg:
        svg = console.export_svg(title="rnnviz render", clear=False)
        write_atomic(args.svg, svg.encode("utf-8"), force=args.force, inputs=inputs)
    if args.html:
        html = console.export_html(clear=False)
        write_atomic(args.html, html.encode("utf-8"), force=args.force, inputs=inputs)
    for path in (args.svg, args.html):
        if path:
            Console(stderr=True).print(f"wrote {printable(path)}", markup=False, highlight=False)
    return 0
