"""The bench report as rich tables: machine header, one table per section, then the goals."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from rnnviz.bench.goals import MODE_LABEL
from rnnviz.bench.machine import header_lines
from rnnviz.bench.sections import DEFAULT, SECTIONS, SINGLE


def render(report: dict[str, Any], console: Console) -> None:
    console.print(
        Text(f"rnnviz bench ({report['scope']}, median of up to {report['repeats']} runs)", style="bold")
    )
    machine = dict(report["machine"])
    machine["torch"] = _torch_used(report) or machine["torch"]
    for line in header_lines(machine):
        console.print(Text(line, style="dim"))
    end = report.get("load_average_end")
    if end:
        console.print(Text("load average at the end: " + ", ".join(f"{x:.2f}" for x in end), style="dim"))
    sections = report["sections"]
    drawers = {"forward": _forward, "keypress": _keypress, "launch": _launch, "links": _links, "long": _long}
    drawers["reach"] = _reach
    drawers["train"] = _train
    drawers["textview"] = _textview
    drawers["settle"] = _settle
    for name, by_mode in sections.items():
        console.print()
        errors = [f"{MODE_LABEL[m]}: {e['error']}" for m, e in by_mode.items() if "error" in e]
        for error in errors:
            console.print(Text(f"{SECTIONS[name].title}: failed ({error})", style="bold red"))
        if len(errors) < len(by_mode):
            console.print(drawers[name]({m: e["result"] for m, e in by_mode.items() if "result" in e}))
    if report["goals"]:
        console.print()
        console.print(_goals(report["goals"]))


def _torch_used(report: dict[str, Any]) -> str | None:
    for entry in report["sections"].get("forward", {}).values():
        if "result" in entry:
            version = entry["result"]["torch"]
            return version if version else None
    return None


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def _forward(by_mode: dict[str, Any]) -> RenderableType:
    any_result = next(iter(by_mode.values()))
    with_torch = any_result["torch"] is not None
    table = Table(
        title="forward pass (Model.run; float32, E = H, V = 1,000): ms, median", title_justify="left"
    )
    table.add_column("case", no_wrap=True)
    table.add_column("threads", no_wrap=True)
    table.add_column("rnnviz", justify="right")
    if with_torch:
        table.add_column("torch", justify="right")
        table.add_column("ratio", justify="right")
    table.add_column("rnnviz +decoder", justify="right")
    if with_torch:
        table.add_column("torch +decoder", justify="right")
        table.add_column("ratio", justify="right")
        table.add_column("max |Δh|", justify="right")
    for mode in (SINGLE, DEFAULT):
        if mode not in by_mode:
            continue
        for row in by_mode[mode]["rows"]:
            label = f"{row['cell']} H={row['hidden']} T={row['steps']} L={row['layers']}"
            cells = [label, MODE_LABEL[mode], _ms(row["rnnviz"]["median_ms"])]
            if with_torch:
                cells += [_ms(row["torch"]["median_ms"]), f"{row['ratio']:.2f}×"]
            cells.append(_ms(row["rnnviz_decoded"]["median_ms"]))
            if with_torch:
                cells += [_ms(row["torch_decoded"]["median_ms"]), f"{row['ratio_decoded']:.2f}×"]
                cells.append(f"{row['max_abs_diff']:.1e}")
            table.add_row(*cells)
    if with_torch:
        return table
    return Group(table, Text("torch was not found: rnnviz's own figures only (pip install torch to compare)"))


def _keypress(by_mode: dict[str, Any]) -> RenderableType:
    found = by_mode[DEFAULT]
    columns, rows = found["terminal"]
    table = Table(
        title=f"TUI keypress → repainted frame (headless, {columns}×{rows}): ms", title_justify="left"
    )
    table.add_column("model")
    for name in ("typing median", "p90", "back to back median", "p90", "keys"):
        table.add_column(name, justify="right")
    demo, large = found["demo"], found["large"]
    labels = {
        "bundled LSTM, demo sentence": demo,
        f"LSTM H={large['hidden']:,} × T={large['words']:,}": large,
    }
    for label, figures in labels.items():
        paced = figures["back_to_back"]
        table.add_row(
            label,
            _ms(figures["median_ms"]),
            _ms(figures["p90_ms"]),
            _ms(paced["median_ms"]),
            _ms(paced["p90_ms"]),
            str(figures["n"]),
        )
    note = Text(
        "typing: keys at random moments of Textual's 60 Hz frame cycle; back to back: each key right "
        "after the previous frame, so it waits out most of a frame period (the TUI's own probe)",
        style="dim",
    )
    return Group(table, note)


def _settle(by_mode: dict[str, Any]) -> RenderableType:
    found = by_mode[DEFAULT]
    columns, rows = found["terminal"]
    table = Table(
        title=f"TUI key → settled screen (headless, {columns}×{rows}, demo LSTM): ms", title_justify="left"
    )
    for name in ("key", "median", "p90", "presses"):
        table.add_column(name, justify="left" if name == "key" else "right")
    for key, figures in found["keys"].items():
        table.add_row(key, _ms(figures.get("median_ms")), _ms(figures.get("p90_ms")), str(figures["n"]))
    every = found["all"]
    table.add_row(
        "every key", _ms(every.get("median_ms")), _ms(every.get("p90_ms")), str(every["n"]), style="bold"
    )
    storm = found["storm"]
    drained = "" if storm["settled"] else " (had not settled when the bench gave up)"
    note = Text(
        "settled: the key's refreshes drawn, no worker running, no slow work waiting; "
        f"{storm['keys']} random keys from the key table drained in {storm['seconds']:.2f} s{drained}",
        style="dim",
    )
    return Group(table, note)


def _launch(by_mode: dict[str, Any]) -> RenderableType:
    found = by_mode[DEFAULT]
    table = Table(title="TUI launch → first frame (new process, headless): s", title_justify="left")
    for name in ("median", "fastest", "launches"):
        table.add_column(name, justify="right")
    table.add_row(f"{found['median_s']:.2f}", f"{found['min_s']:.2f}", str(found["runs"]))
    return table


def _links(by_mode: dict[str, Any]) -> RenderableType:
    first = next(iter(by_mode.values()))
    size = f"LSTM T={first['steps']}, H={first['hidden']}, E={first['embedding']}, V={first['vocab']:,}"
    table = Table(title=f"memory links ({size}): ms, median", title_justify="left")
    table.add_column("method")
    for mode in by_mode:
        table.add_column(MODE_LABEL[mode], justify="right")
    labels = {
        "occlusion": "occlusion, all rows",
        "gradient": "gradient, all rows",
        "integrated": f"integrated gradients ({first['integrated_steps']} steps), one row",
    }
    for method, label in labels.items():
        table.add_row(label, *(_ms(found[method]["median_ms"]) for found in by_mode.values()))
    return table


def _reach(by_mode: dict[str, Any]) -> RenderableType:
    first = next(iter(by_mode.values()))
    size = f"{first['hidden']:,}-unit LSTM, T={first['words']:,}, first row {first['first_window']} words"
    table = Table(title=f"links reach ({size})", title_justify="left")
    table.add_column("figure")
    for mode in by_mode:
        table.add_column(MODE_LABEL[mode], justify="right")
    reached = [found["reach_s"] for found in by_mode.values()]
    table.add_row(
        f"row covers {first['full_words']} words, s", *("—" if r is None else f"{r:.1f}" for r in reached)
    )
    table.add_row(
        "repaint while extending, ms", *(_ms(found["keys"]["median_ms"]) for found in by_mode.values())
    )
    return table


def _long(by_mode: dict[str, Any]) -> RenderableType:
    found = by_mode[DEFAULT]
    table = Table(title=f"{found['words']:,}-word text, {found['model']}", title_justify="left")
    for name in ("Model.run s", "peak RSS MiB", "of which before the run", "tracemalloc peak MiB"):
        table.add_column(name, justify="right")
    table.add_row(
        f"{found['seconds']:.2f}",
        f"{found['peak_rss_mib']:.0f}",
        f"{found['baseline_rss_mib']:.0f}",
        f"{found['traced_peak_mib']:.0f}",
    )
    return table


def _textview(by_mode: dict[str, Any]) -> RenderableType:
    found = by_mode[DEFAULT]
    title = f"text view, {found['chars']:,} characters, character LSTM H={found['hidden']}"
    table = Table(title=f"{title}: open s, keys ms (typing)", title_justify="left")
    table.add_column("figure")
    for name in ("median", "p90", "n"):
        table.add_column(name, justify="right")
    table.add_row("open → first frame (s)", f"{found['open_s']:.2f}", "", "")
    table.add_row("  of which the model run (s)", f"{found['model_run_s']:.2f}", "", "")
    for label, figure in [("every cursor key", found["keys"]), *found["by_key"].items()]:
        table.add_row(label, _ms(figure["median_ms"]), _ms(figure["p90_ms"]), str(figure["n"]))
    return table


def _ratio(row: dict[str, Any], key: str) -> str:
    return f"{row[key]:.2f}×" if key in row else "–"


def _train(by_mode: dict[str, Any]) -> RenderableType:
    found = by_mode[DEFAULT]
    with_torch = found["torch"] is not None
    title = (
        f"one training step (B={found['batch']}, float32, Adam lr {found['lr']:g}, clip {found['clip']:g}): "
        "ms, median"
    )
    parts: list[RenderableType] = []
    for key, where in (("rows", ""), ("busy_rows", " — one core kept busy by a background process")):
        if not found.get(key):
            continue
        table = Table(title=title + where, title_justify="left")
        table.add_column("case", no_wrap=True)
        table.add_column("rnnviz 1 thr", justify="right")
        if with_torch:
            table.add_column("torch 1 thr", justify="right")
            table.add_column("ratio", justify="right")
            table.add_column("CPU ratio", justify="right")
        table.add_column("rnnviz default", justify="right")
        if with_torch:
            table.add_column("torch default", justify="right")
            table.add_column("ratio", justify="right")
        table.add_column("rnnviz default / 1 thr", justify="right")
        table.add_column("(BLAS default / 1 thr)", justify="right")
        if with_torch:
            table.add_column("torch default / 1 thr", justify="right")
        for row in found[key]:
            cells = [f"{row['label']} T={row['steps']}", _ms(row["rnnviz_single"]["median_ms"])]
            if with_torch:
                cells[-1] = _ms(row["vs_torch_single"]["rnnviz_single"]["median_ms"])
                cells += [_ms(row["torch_single"]["median_ms"]), _ratio(row, "ratio_single")]
                cells.append(_ratio(row, "ratio_single_cpu"))
            choice = {"single": "1", "default": "d"}.get(row["auto_choice"], "?")
            auto = row["vs_torch_default"]["rnnviz_auto"] if with_torch else row["rnnviz_auto"]
            cells.append(f"{_ms(auto['median_ms'])} ({choice})")
            if with_torch:
                cells += [_ms(row["torch_default"]["median_ms"]), _ratio(row, "ratio_default")]
            cells += [_ratio(row, "default_vs_single"), _ratio(row, "blas_default_vs_single")]
            if with_torch:
                cells.append(_ratio(row, "torch_default_vs_single"))
            table.add_row(*cells)
        parts.append(table)
    note = (
        "each comparison (rnnviz / torch, default / 1 thread) timed in its own alternating rounds in "
        "one process, so its ms come from its own rounds; rnnviz default = the "
        "Trainer's measured choice of one BLAS thread (1) or the default threads (d); CPU ratio: of "
        "thread CPU time on one thread, which other processes' load disturbs least; goals: "
        "≤ 1.0× torch, default threads never slower than one thread"
    )
    if not with_torch:
        note += "; torch was not found: rnnviz's own figures only"
    parts.append(Text(note, style="dim"))
    return Group(*parts)


def _goals(goals: list[dict[str, Any]]) -> RenderableType:
    table = Table(title="figures to reach", title_justify="left")
    for name in ("figure", "measured", "goal", ""):
        table.add_column(name, justify="left" if name == "figure" else "right")
    for goal in goals:
        measured = goal["measured"]
        shown = "–" if measured is None else f"{measured:,.2f} {goal['unit']}"
        verdict = {True: "[green]met[/]", False: "[red]short[/]", None: "–"}[goal["met"]]
        table.add_row(goal["figure"], shown, f"≤ {goal['limit']:g} {goal['unit']}", verdict)
    return table
