"""When the viewer hands a frame to its driver: the clock every keypress figure of the bench reads."""

from __future__ import annotations

from time import perf_counter
from typing import Any


def record_frames(app: Any) -> list[float]:
    """The times at which the app hands a frame to its driver, from now on (appended as they come).

    Wraps the app's frame output (`App._display`, private) and renders each update's segments, as a
    real driver would write them out, before the time is taken."""
    frames: list[float] = []
    show = app._display

    def display(screen: Any, update: Any) -> None:
        show(screen, update)
        if update is not None:
            update.render_segments(app.console)
            frames.append(perf_counter())

    app._display = display
    return frames
