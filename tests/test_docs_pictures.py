"""The README's screenshot shows the app's real footer: a test that fails when docs/screenshot.svg
no longer matches the bindings (regenerate it with demos/docs_pictures.py)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

pytest.importorskip("textual")

from rnnviz.tui.app import ACTIONS  # noqa: E402

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.svg"


def svg_rows(svg: str) -> list[str]:
    """The screenshot's text, one string per terminal row (Rich's SVG export: one <text> per run)."""
    runs = re.findall(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg, re.S)
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in runs:
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    return ["".join(text for _, text in sorted(rows[y])) for y in sorted(rows)]


def footer_labels() -> tuple[set[str], set[str]]:
    """(labels the footer shows, labels of keys it must not show) from the app's key table."""
    shown = {a.group or a.title for a in ACTIONS if a.show}
    hidden = {a.title for a in ACTIONS if not a.show} | {a.group for a in ACTIONS if not a.show and a.group}
    return shown, hidden - shown


def test_svg_rows_reads_runs_into_rows():
    runs = [("12", "20", "b"), ("0", "20", "a"), ("0", "44", "c")]
    svg = "".join(f'<text class="a" x="{x}" y="{y}">{text}</text>' for x, y, text in runs)
    assert svg_rows(svg) == ["ab", "c"]


def test_the_screenshot_footer_lists_the_apps_keys():
    footer = next(row for row in reversed(svg_rows(SCREENSHOT.read_text(encoding="utf-8"))) if row.strip())
    shown, hidden = footer_labels()
    missing = sorted(label for label in shown if label not in footer)  # grouped keys run together
    extra = sorted(label for label in hidden if label in footer)
    assert not missing and not extra, (
        f"docs/screenshot.svg's footer is stale (missing {missing}, no longer shown {extra}): "
        "run python demos/docs_pictures.py"
    )
