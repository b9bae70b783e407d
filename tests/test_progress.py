"""Commands that take more than a second show progress on a terminal, and nothing extra in a pipe."""

from __future__ import annotations

import pytest

from rnnviz.analysis.span import DEFAULT_BUCKETS, span
from rnnviz.analysis.units import demo_sentences, score_units
from rnnviz.cli import progress
from rnnviz.cli.progress import progress_bar


def test_span_reports_each_bucket() -> None:
    import rnnviz

    steps: list[int] = []
    span(rnnviz.load("gru"), n_per_bucket=2, on_progress=steps.append)
    assert steps == [1] * len(DEFAULT_BUCKETS)


def test_units_report_every_sentence() -> None:
    import rnnviz

    steps: list[int] = []
    sentences = demo_sentences(10)
    score_units(rnnviz.load("lstm"), sentences, on_progress=steps.append)
    assert sum(steps) == len(sentences)


def test_no_bar_in_a_pipe(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("work", 3) as advance:  # pytest's stderr is not a terminal
        advance(3)
    assert capsys.readouterr().err == ""


def test_a_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(progress.sys, "stderr", Terminal())
    drawn: list[tuple[str, int]] = []

    class Recorder:  # stands in for Rich's Progress: the bar is asked for and advanced
        def __init__(self, *columns, console=None, transient=False) -> None:
            assert transient  # the bar disappears when the command prints its result

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            return None

        def add_task(self, description: str, total: int) -> int:
            drawn.append((description, total))
            return 0

        def advance(self, task: int, steps: int) -> None:
            drawn.append(("advance", steps))

    import rich.progress

    monkeypatch.setattr(rich.progress, "Progress", Recorder)
    monkeypatch.setattr("rich.console.Console", lambda **kwargs: None)
    with progress_bar("span", 7) as advance:
        advance(2)
    assert drawn == [("span", 7), ("advance", 2)]


def test_json_output_stays_clean(capsys: pytest.CaptureFixture[str]) -> None:
    from rnnviz.cli import main

    assert main(["span", "gru", "--n", "1", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("{") and captured.err == ""
