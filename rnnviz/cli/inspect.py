"""`rnnviz inspect FILE`: what is in a weights file (tensors, architecture) and everything wrong with it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from rnnviz.cli.options import add_weights_options
from rnnviz.core.model import parse_cell, structure_problems
from rnnviz.errors import WeightsError
from rnnviz.io.formats.found import Found
from rnnviz.io.formats.reader import WeightsFile, interpret, read_found
from rnnviz.io.weights import file_tokenizer, find_vocab, implied_head, resolve_path
from rnnviz.text import printable


@dataclass
class Inspection:
    path: Path
    found: Found
    weights: WeightsFile | None = None  # None when the tensors cannot be mapped onto a model
    cell: str | None = None
    vocab_size: int | None = None
    vocab_from: str = ""
    tokenizer: str = ""
    problems: list[str] = field(default_factory=list)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weights", help="weights file (.safetensors, .npz, .keras, .pt), or rnn | lstm | gru")
    add_weights_options(parser)


def command(args: argparse.Namespace) -> int:
    report = inspect_file(args.weights, vocab=args.vocab, cell=args.cell, tokenizer=args.tokenizer)
    Console(highlight=False).print(render(report))
    return 2 if report.problems else 0


def inspect_file(
    path: str | Path, vocab: str | Path | None = None, cell: str | None = None, tokenizer: str | None = None
) -> Inspection:
    """Read a file as far as it goes and collect every problem; WeightsError only if nothing is readable."""
    resolved = resolve_path(path)
    found, layers = read_found(resolved)
    report = Inspection(resolved, found)
    try:
        report.weights = interpret(resolved, found, layers)
    except WeightsError as err:
        report.problems.append(_without_path(err, resolved))
        return report
    report.cell = cell or report.weights.cell
    tokens: list[str] = []
    try:
        tokens, report.vocab_from = find_vocab(report.weights, vocab)
        report.vocab_size = len(tokens)
    except WeightsError as err:
        report.problems.append(_without_path(err, resolved))
    try:
        report.tokenizer = tokenizer or file_tokenizer(report.weights, tokens)[0]
    except WeightsError as err:
        report.problems.append(_without_path(err, resolved))
    if report.cell is None:
        report.problems.append("the cell type is unknown: pass --cell (rnn_tanh, rnn_relu, lstm, gru)")
        return report
    try:
        family = parse_cell(report.cell)[0]
    except WeightsError as err:
        report.problems.append(str(err))
        return report
    tensors = {name: np.asarray(value) for name, value in report.weights.tensors.items()}
    rows = tensors["encoder.weight"].shape[0] if getattr(tensors.get("encoder.weight"), "ndim", 0) == 2 else 0
    vocab_size = report.vocab_size or rows
    head = report.weights.found.metadata.get("head") or implied_head(tensors, vocab_size)
    decoder = tensors.get("decoder.weight")
    outputs = decoder.shape[0] if head == "classifier" and getattr(decoder, "ndim", 0) == 2 else None
    report.problems += structure_problems(tensors, family, vocab_size, outputs)
    return report


def _without_path(err: WeightsError, path: Path) -> str:
    return str(err).removeprefix(f"{path}: ")


def render(report: Inspection) -> RenderableType:
    parts: list[RenderableType] = [
        Text.assemble(
            (printable(str(report.path)), "bold"),
            f"  {report.found.format}, {report.path.stat().st_size:,} bytes",
        ),
        tensor_table(report.found),
    ]
    if report.weights is not None:
        parts.append(architecture(report))
    if report.problems:
        parts.append(Text(f"{len(report.problems)} problem(s):", style="bold red"))
        parts += [Text(f"  ✗ {printable(p)}", style="red") for p in report.problems]
    else:
        parts.append(Text("no problems: rnnviz can load this file", style="bold green"))
    return Group(*parts)


def tensor_table(found: Found) -> Table:
    table = Table(title="tensors", title_justify="left", show_edge=False, pad_edge=False)
    for column, justify in (("name", "left"), ("shape", "left"), ("dtype", "left")):
        table.add_column(column, justify=justify)
    for column in ("min", "max", "norm"):
        table.add_column(column, justify="right")
    for name, value in found.tensors.items():
        low, high, norm = _stats(value)
        dtype = found.stored_dtypes.get(name, str(value.dtype))
        table.add_row(Text(printable(name)), str(tuple(value.shape)), Text(printable(dtype)), low, high, norm)
    return table


def _stats(value: np.ndarray) -> tuple[str, str, str]:
    if value.size == 0 or not (np.issubdtype(value.dtype, np.number) or value.dtype == np.bool_):
        return "", "", ""
    as_float = value.astype(np.float64)
    finite = as_float[np.isfinite(as_float)]
    if finite.size == 0:
        return "nan", "nan", "nan"
    largest = float(np.abs(finite).max())
    norm = largest * float(np.sqrt(np.sum((finite / largest) ** 2))) if largest else 0.0  # no overflow
    return f"{finite.min():.4g}", f"{finite.max():.4g}", f"{norm:.4g}"


def architecture(report: Inspection) -> Text:
    assert report.weights is not None
    t = report.weights.tensors
    hh, encoder = t.get("rnn.weight_hh_l0"), t.get("encoder.weight")
    layers = sum(1 for name in t if name.startswith("rnn.weight_hh_l"))
    facts = [
        (
            "cell",
            f"{printable(report.cell or '?')}"
            + (f" (from {report.weights.cell_source})" if report.weights.cell_source else ""),
        ),
        ("layers", str(layers)),
        ("embedding", str(encoder.shape[1]) if encoder is not None and encoder.ndim == 2 else "?"),
        ("hidden", str(hh.shape[1]) if hh is not None and hh.ndim == 2 else "?"),
        (
            "vocabulary",
            f"{report.vocab_size} tokens from {printable(report.vocab_from)}"
            if report.vocab_size
            else "none",
        ),
        ("tokenizer", report.tokenizer or "?"),
    ]
    text = Text("architecture  ", style="bold")
    text.append("  ".join(f"{key} {value}" for key, value in facts))
    for note in report.weights.notes:
        text.append(f"\n  note: {printable(note)}", style="dim")
    return text
