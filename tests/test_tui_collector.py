"""The app's garbage-collector settings: engaged once the first frame is drawn, undone when it ends."""

from __future__ import annotations

import gc

import pytest

pytest.importorskip("textual")

from tui_driver import drive, press  # noqa: E402

from rnnviz.tui.app import make_app  # noqa: E402
from rnnviz.tui.collector import YOUNG_THRESHOLD, QuietCollector  # noqa: E402


def test_engage_freezes_what_is_alive_and_release_restores_everything():
    before = gc.get_threshold()
    collector = QuietCollector()
    kept = [object() for _ in range(10)]  # noqa: F841 - alive while frozen
    collector.engage()
    try:
        assert collector.active
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == max(YOUNG_THRESHOLD, before[0])
        assert gc.get_threshold()[1:] == before[1:]
        collector.engage()  # a second engage changes nothing, and one release undoes it
    finally:
        collector.release()
    assert not collector.active
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    collector.release()  # releasing twice is harmless
    assert gc.get_threshold() == before


def test_the_app_engages_the_collector_while_it_runs_and_releases_it_at_exit():
    before = gc.get_threshold()
    seen = {}

    async def scenario(pilot):
        await press(pilot, "right")
        seen["active"] = pilot.app.collector.active
        seen["frozen"] = gc.get_freeze_count()
        seen["threshold"] = gc.get_threshold()[0]

    drive(make_app("lstm"), scenario)
    assert seen["active"] and seen["frozen"] > 0 and seen["threshold"] >= YOUNG_THRESHOLD
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
