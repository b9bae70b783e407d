"""Snapshot tests of the main screen (pytest-textual-snapshot), at a fixed 120×40 terminal.

The bundled models change when they are retrained; then regenerate on purpose with
    pytest tests/test_tui_snapshots.py --snapshot-update
and look at the new SVGs (tests/__snapshots__/test_tui_snapshots/) before committing them.
"""

from __future__ import annotations

import pytest

pytest.importorskip("textual")
pytest.importorskip("pytest_textual_snapshot")

from rnnviz.tui.app import make_app  # noqa: E402

SIZE = (120, 40)
STEPS = ["right"] * 4  # cursor on "the" (second one): read words bright, unread ones faded


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def step_and_settle(pilot) -> None:
    """The cursor keys, then wait for the workers they start (memory links) before the screenshot."""
    await settle(pilot)
    await pilot.press(*STEPS)
    await settle(pilot)


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_main_screen(snap_compare, model):
    assert snap_compare(make_app(model), terminal_size=SIZE, run_before=step_and_settle)


def test_compare_mode(snap_compare):
    assert snap_compare(make_app("lstm", compare="rnn"), terminal_size=SIZE, run_before=step_and_settle)


def test_too_small_terminal(snap_compare):
    assert snap_compare(make_app("lstm"), terminal_size=(20, 8), run_before=settle)
