"""`rnnviz bench` end to end: the quick JSON has every section with positive figures, `--only`
selects sections, and without torch the forward figures are rnnviz's own and say so.

No test asserts a time: only that each figure was measured (positive, finite) and is where it belongs.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rnnviz.bench.sections import SECTIONS

FIGURE_SUFFIXES = ("_ms", "_s", "_mib", "seconds", "ratio", "ratio_decoded")


def run_bench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rnnviz.cli", "bench", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def figures(tree: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (path, value) whose key names a measured duration, size or ratio."""
    found: list[tuple[str, Any]] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            where = f"{path}.{key}"
            if isinstance(value, dict | list):
                found += figures(value, where)
            elif key.endswith(FIGURE_SUFFIXES):
                found.append((where, value))
    elif isinstance(tree, list):
        for k, value in enumerate(tree):
            found += figures(value, f"{path}[{k}]")
    return found


@pytest.fixture(scope="module")
def quick_report() -> dict[str, Any]:
    done = run_bench("--quick", "--json", "--repeats", "1")  # one timed run: figures, not speed
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_quick_json_has_every_section_in_every_thread_mode(quick_report: dict[str, Any]) -> None:
    sections = quick_report["sections"]
    assert set(sections) == set(SECTIONS)
    for name, section in SECTIONS.items():
        assert set(sections[name]) == set(section.thread_modes), name
        for mode, entry in sections[name].items():
            assert "result" in entry, (name, mode, entry.get("error"))


def test_quick_json_figures_are_positive_and_finite(quick_report: dict[str, Any]) -> None:
    for name, by_mode in quick_report["sections"].items():
        measured = figures(by_mode)
        assert measured, f"section {name} reported no figures"
        for path, value in measured:
            assert isinstance(value, int | float) and math.isfinite(value) and value > 0, (name, path, value)


def test_quick_json_content_matches_what_was_asked(quick_report: dict[str, Any]) -> None:
    sections = quick_report["sections"]
    forward = sections["forward"]["single"]["result"]
    assert {row["cell"] for row in forward["rows"]} == {"lstm", "gru", "rnn"}
    assert forward["dtype"] == "float32" and forward["vocab"] == 1000
    if forward["torch"] is not None:  # the same weights on both sides: the outputs agree
        assert forward["torch_threads"] == 1
        for row in forward["rows"]:
            assert row["max_abs_diff"] < 1e-4, row["label"]
    assert sections["forward"]["single"]["blas_threads"] in (1, None)  # None: not an OpenBLAS NumPy
    long = sections["long"]["default"]["result"]
    assert long["words"] == 10_000 and long["peak_rss_mib"] >= long["baseline_rss_mib"]
    keypress = sections["keypress"]["default"]["result"]
    assert keypress["demo"]["n"] > 0 and keypress["large"]["n"] > 0
    assert quick_report["machine"]["cores"] >= 1 and quick_report["machine"]["cpu"]


def test_only_selects_sections_and_save_keeps_the_json(tmp_path: Path) -> None:
    saved = tmp_path / "bench.json"
    done = run_bench(
        "--quick", "--only", "long,links", "--save", str(saved), "--threads", "single", "--repeats", "1"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(saved.read_text())
    assert list(report["sections"]) == ["links", "long"]  # the bench's order, not the argument's
    assert list(report["sections"]["links"]) == ["single"]  # --threads single
    assert list(report["sections"]["long"]) == ["default"]  # measured under its own setting only
    assert "memory links" in done.stdout and "100,000" not in done.stdout  # the quick text is shorter


def test_only_rejects_an_unknown_section_in_one_line() -> None:
    done = run_bench("--quick", "--only", "forward,speed")
    assert done.returncode == 2
    assert "speed" in done.stderr and "forward, keypress" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.fixture
def env_without_torch(tmp_path: Path) -> dict[str, str]:
    """A process environment where `import torch` fails, as on a machine without it."""
    fake = tmp_path / "torch"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError(\"No module named 'torch' (simulated)\")\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    return env


def test_without_torch_json_has_rnnviz_figures_only(env_without_torch: dict[str, str]) -> None:
    done = run_bench("--quick", "--json", "--only", "forward", "--repeats", "1", env=env_without_torch)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for entry in report["sections"]["forward"].values():
        result = entry["result"]
        assert result["torch"] is None
        for row in result["rows"]:
            assert row["rnnviz"]["median_ms"] > 0 and row["rnnviz_decoded"]["median_ms"] > 0
            assert "torch" not in row and "ratio" not in row
    assert report["goals"] == []  # no ratio to check without torch


def test_without_torch_table_says_torch_was_not_found(env_without_torch: dict[str, str]) -> None:
    done = run_bench("--quick", "--only", "forward", "--repeats", "1", env=env_without_torch)
    assert done.returncode == 0, done.stderr
    assert "torch was not found" in done.stdout
    assert "lstm H=256 T=512 L=2" in done.stdout
