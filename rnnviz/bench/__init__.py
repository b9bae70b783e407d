"""`rnnviz bench`: speed figures (forward pass beside PyTorch, TUI latency and launch, memory links,
a 100,000-word text), each the median of repeated runs, as a rich table or `--json`.

Each section runs in its own process, once per thread setting it reports: "1 thread" sets
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS to 1 before NumPy and torch load (the only
portable way to pin a BLAS's threads without threadpoolctl), "default threads" leaves them alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

from rnnviz.bench.goals import check
from rnnviz.bench.machine import describe
from rnnviz.bench.sections import DEFAULT, SECTIONS, SINGLE, SINGLE_THREAD_ENV, parse_only
from rnnviz.errors import InputError

REPEATS = {"quick": 3, "default": 9, "full": 7}


class WorkerError(RuntimeError):
    """A section's process failed; the message is its last line of stderr."""


def configure(parser: argparse.ArgumentParser) -> None:
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a short run at small sizes (for tests)")
    size.add_argument(
        "--full", action="store_true", help="the full forward grid (3 cells × 3 H × 3 T × 1–2 layers)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of tables")
    parser.add_argument("--save", metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--force", action="store_true", help="replace the --save file if it exists")
    parser.add_argument(
        "--threads",
        choices=("both", SINGLE, DEFAULT),
        default="both",
        help="thread settings for forward and links: 1 thread (single), default threads, or both",
    )
    parser.add_argument(
        "--only",
        metavar="SECTIONS",
        help=f"comma-separated sections to run: {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--repeats", type=int, help="timed runs per figure (default: 3 quick, 9, 7 full)")


def command(args: argparse.Namespace) -> int:
    scope = "quick" if args.quick else "full" if args.full else "default"
    repeats = args.repeats if args.repeats is not None else REPEATS[scope]
    if repeats < 1:
        raise InputError(f"--repeats {repeats}: give at least 1")
    if args.save:  # a bad path is refused before minutes of measuring, not after
        from rnnviz.io.atomic import check_target

        check_target(args.save, force=args.force)
    names = parse_only(args.only)
    modes = (SINGLE, DEFAULT) if args.threads == "both" else (args.threads,)
    report = measure(names, scope, repeats, progress=not args.json, modes=modes)
    if args.save:
        from rnnviz.io.atomic import write_atomic

        write_atomic(args.save, (json.dumps(report, indent=2) + "\n").encode("utf-8"), force=args.force)
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        from rich.console import Console

        from rnnviz.bench.report import render

        console = Console()
        if not console.is_terminal:  # piped into a file or a README: room for the widest table
            console = Console(width=120)
        render(report, console)
    failed = any("error" in entry for by_mode in report["sections"].values() for entry in by_mode.values())
    return 1 if failed else 0


def measure(
    names: list[str],
    scope: str,
    repeats: int,
    progress: bool = True,
    modes: tuple[str, ...] = (SINGLE, DEFAULT),
) -> dict[str, Any]:
    """Run the named sections (each in its own process per thread setting) into one report."""
    from rich.console import Console

    status = Console(stderr=True).status("starting", spinner="dots") if progress else None
    machine = describe()
    sections: dict[str, dict[str, Any]] = {}
    if status is not None:
        status.start()
    try:
        for name in names:
            section = SECTIONS[name]
            # A section measured under one setting only (the TUI, the long text) keeps it.
            chosen = [mode for mode in section.thread_modes if mode in modes] or list(section.thread_modes)
            for mode in chosen:
                if status is not None:
                    status.update(f"{section.title} ({'1 thread' if mode == SINGLE else 'default threads'})")
                try:
                    sections.setdefault(name, {})[mode] = run_worker(name, mode, scope, repeats)
                except WorkerError as err:
                    sections.setdefault(name, {})[mode] = {"error": str(err)}
    finally:
        if status is not None:
            status.stop()
    return {
        "scope": scope,
        "repeats": repeats,
        "machine": machine,
        "load_average_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "sections": sections,
        "goals": [goal.as_dict() for goal in check(sections)],
    }


def run_worker(name: str, mode: str, scope: str, repeats: int) -> dict[str, Any]:
    env = dict(os.environ)
    if mode == SINGLE:
        env.update(SINGLE_THREAD_ENV)
    command = [sys.executable, "-m", "rnnviz.bench.worker", name, scope, str(repeats), mode]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise WorkerError(lines[-1] if lines else f"exit code {done.returncode}")
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise WorkerError("the section printed no figures") from None
