"""Snapshot of each tour step (pytest-textual-snapshot), at a fixed 120×40 terminal.

The numbers on the screens are measured on the bundled models: when they are retrained the snapshots
change; regenerate on purpose with
    pytest tests/test_tui_tour_snapshots.py --snapshot-update
and look at the new SVGs (tests/__snapshots__/test_tui_tour_snapshots/) before committing them.
"""

from __future__ import annotations

import pytest

pytest.importorskip("textual")
pytest.importorskip("pytest_textual_snapshot")

from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.state.tour_steps import TOTAL  # noqa: E402

SIZE = (120, 40)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def walk_to(step: int):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        for _ in range(step - 1):
            await pilot.press("right")
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("step", range(1, TOTAL + 1))
def test_tour_step(snap_compare, step):
    assert snap_compare(make_app("lstm"), terminal_size=SIZE, run_before=walk_to(step))
