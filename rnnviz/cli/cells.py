"""`rnnviz cells`: units that track properties of the text (quotes, indentation, line position…), and
LSTMVis-style pattern search (`--pattern START:END`: the units a span turns on, and where else they do)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator

from rnnviz.analysis.cell_discovery import STATES
from rnnviz.analysis.char_properties import PROPERTIES
from rnnviz.cli.options import add_weights_options, text_of
from rnnviz.errors import InputError
from rnnviz.text import printable

EXCERPT = 1200  # characters of tinted text shown
PROGRESS_FROM = 20_000  # characters of work before a progress bar is worth drawing
WIDTH = 120  # export width


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weights", help="a character-level model (weights file)")
    parser.add_argument("textfile", help="the text to read, UTF-8 (- for stdin), e.g. Python source")
    parser.add_argument("--top", type=int, default=3, help="units listed per property (default 3)")
    parser.add_argument("--state", choices=STATES, help="h, or an LSTM's c (default: c for an LSTM, else h)")
    parser.add_argument("--layer", type=int, help="one layer (default: every layer)")
    parser.add_argument(
        "--show", choices=tuple(PROPERTIES), help="tint the text by this property's best unit"
    )
    parser.add_argument(
        "--from", dest="offset", type=int, default=0, metavar="N", help="tinted text from char N"
    )
    parser.add_argument("--excerpt", type=int, default=EXCERPT, metavar="N", help="characters of tinted text")
    parser.add_argument("--no-baseline", action="store_true", help="skip the untrained baseline (faster)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON, nothing else")
    parser.add_argument("--svg", metavar="FILE", help="write the output as SVG")
    parser.add_argument("--html", metavar="FILE", help="write the output as HTML")
    parser.add_argument("--force", action="store_true", help="replace --svg/--html files that exist")
    search = parser.add_argument_group("pattern search")
    search.add_argument(
        "--pattern", metavar="START:END", help="units on across these characters, and matches"
    )
    search.add_argument("--corpus", metavar="FILE", help="where to look for matches (default: TEXTFILE)")
    search.add_argument(
        "--threshold", type=float, help="'on' above this value (default: each unit's 75th pct)"
    )
    search.add_argument("--min-length", type=int, metavar="K", help="shortest match (default: half the span)")
    search.add_argument("--matches", type=int, default=10, metavar="N", help="matches listed (default 10)")
    add_weights_options(parser)


def _read(path: str) -> str:
    return text_of(argparse.Namespace(text=None, text_file=path))


@contextlib.contextmanager
def _progress(characters: int) -> Iterator[object]:
    """A progress callback drawing a bar on stderr, only for long texts and only on a terminal."""
    if characters < PROGRESS_FROM or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("reading", total=characters)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from rnnviz.io.atomic import check_target, write_atomic
    from rnnviz.io.weights import load

    if args.top < 1:
        raise InputError(f"--top is {args.top}: give at least 1")
    if args.excerpt < 1 or args.offset < 0:
        raise InputError("--excerpt must be at least 1 and --from at least 0")
    inputs = [p for p in (args.weights, args.vocab, args.textfile, args.corpus) if p and p != "-"]
    for path in (args.svg, args.html):
        if path:  # refused before any work
            check_target(path, force=args.force, inputs=inputs)
    model = load(args.weights, vocab=args.vocab, cell=args.cell)
    state = args.state or ("cell" if model.spec.has_cell_state else "hidden")
    text = _read(args.textfile)
    exporting = bool(args.svg or args.html)
    console = Console(record=exporting, width=WIDTH if exporting else None, highlight=False)
    if args.pattern is not None:
        payload = _pattern(console, model, text, state, args)
    else:
        payload = _discover(console, model, text, state, args)
    if args.json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    if args.svg:
        svg = console.export_svg(title="rnnviz cells", clear=False)
        write_atomic(args.svg, svg.encode("utf-8"), force=args.force, inputs=inputs)
    if args.html:
        write_atomic(
            args.html, console.export_html(clear=False).encode("utf-8"), force=args.force, inputs=inputs
        )
    for path in (args.svg, args.html):
        if path:
            Console(stderr=True).print(f"wrote {printable(path)}", markup=False, highlight=False)
    return 0


def _discover(console, model, text: str, state: str, args: argparse.Namespace) -> dict:
    import numpy as np

    from rnnviz.analysis.cell_discovery import collect_states, discover_cells, encode_characters
    from rnnviz.render.cells import cells_table, tinted_text

    work = len(text) * (1 if args.no_baseline else 2)
    with _progress(work) as progress:
        report = discover_cells(
            model, text, state, args.layer, args.top, baseline=not args.no_baseline, progress=progress
        )
    if args.json:
        return report.as_dict()
    console.print(cells_table(report, args.top))
    scored = [p for p in report.properties if p.units]
    chosen = (
        report.result(args.show)
        if args.show
        else max(scored, key=lambda p: p.gain if np.isfinite(p.gain) else p.units[0].score, default=None)
    )
    if chosen is None or not chosen.units:
        return {}
    best = chosen.units[0]
    states = collect_states(model, encode_characters(model, text), state, args.layer)
    values = states[:, best.unit]
    scale = float(max(np.abs(values).max(), 1e-6))
    begin = min(args.offset, len(text) - 1)
    end = min(len(text), begin + args.excerpt)
    title = (
        f"unit {best.name} ({state}) on {chosen.name}: {chosen.metric} {best.score:.3f} held out; "
        f"{'high' if best.sign > 0 else 'low'} values where the property holds · characters {begin}:{end}"
    )
    console.print(tinted_text(text[begin:end], values[begin:end], scale, title))
    return {}


def _pattern(console, model, text: str, state: str, args: argparse.Namespace) -> dict:
    from rnnviz.analysis.cell_discovery import collect_states, encode_characters, unit_names
    from rnnviz.analysis.pattern_search import find_matches, parse_span, select_units
    from rnnviz.render.cells import matches_table, pattern_units_table

    start, end = parse_span(args.pattern)
    corpus = text if args.corpus is None else _read(args.corpus)
    with _progress(len(text) + (len(corpus) if args.corpus else 0)) as progress:
        states = collect_states(model, encode_characters(model, text), state, args.layer, progress=progress)
        corpus_states = states
        if args.corpus is not None:
            corpus_states = collect_states(model, encode_characters(model, corpus), state, args.layer)
    pattern = select_units(states, start, end, args.threshold)
    exclude = (start, end) if args.corpus is None else None
    matches = find_matches(corpus_states, corpus, pattern, args.min_length, top=args.matches, exclude=exclude)
    names = unit_names(model, args.layer)
    if args.json:
        return {
            "pattern": {"start": start, "end": end, "text": text[start:end]},
            "units": [
                {
                    "unit": names[u],
                    "score": round(float(s), 6),
                    "threshold": round(float(pattern.thresholds[u]), 6),
                }
                for u, s in zip(pattern.units.tolist(), pattern.scores.tolist(), strict=True)
            ],
            "matches": [
                {"start": m.start, "end": m.end, "score": round(m.score, 6), "text": m.text} for m in matches
            ],
        }
    console.print(pattern_units_table(pattern, names, text[start:end]))
    where = "the text" if args.corpus is None else printable(args.corpus)
    console.print(matches_table(matches, f"where else these units turn on together, in {where}"))
    return {}
