"""A progress bar for commands that take more than a second: on a terminal only, never in a pipe.

Analysis functions take an `on_progress(n)` callback (advance by n steps of their own) and know
nothing of Rich; a command wraps them in `progress_bar`, which draws on stderr when it is a terminal
and the output is for a person (not --json), and otherwise hands out a callback that does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Advance = Callable[[int], None]


def _nothing(steps: int = 1) -> None:
    """The callback of a run nobody watches."""


@contextmanager
def progress_bar(description: str, total: int, *, enabled: bool = True) -> Iterator[Advance]:
    """An advance(n) callback for `total` steps; a bar on stderr while the block runs, gone after."""
    if not enabled or not sys.stderr.isatty():
        yield _nothing
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)

        def advance(steps: int = 1) -> None:
            bar.advance(task, steps)

        yield advance
