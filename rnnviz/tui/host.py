"""MemoryHost: what the app's memory tools (rnnviz.tui.memory_actions) need of the app that owns them.

A small contract instead of a mixin that reaches into the app: the views and panels on screen, the
cursor and selected unit, a way to open dialogs and run models, timers and workers, and
`publish_state` to redraw everything after a change the tools made (a new unit order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from textual.screen import ModalScreen
from textual.timer import Timer

from rnnviz.tui.latest import WorkerOwner
from rnnviz.tui.state.modelview import ModelView
from rnnviz.tui.state.sorting import SortMode
from rnnviz.tui.widgets.panel import ModelPanel
from rnnviz.tui.widgets.sentence import SentenceBar
from rnnviz.tui.widgets.textpane import TextPane


class MemoryHost(WorkerOwner, Protocol):
    views: list[ModelView]
    cursor: int
    selected_unit: int

    @property
    def view(self) -> ModelView: ...

    @property
    def panels(self) -> list[ModelPanel]: ...

    @property
    def sentence_bar(self) -> SentenceBar | TextPane: ...

    @property
    def sort_mode(self) -> SortMode: ...

    def open_dialog(self, screen: ModalScreen, done: Callable[[Any], None] | None = None) -> None: ...

    def run_models(self, sources: Sequence[Any], text: str, cursor: int = 0) -> Any: ...

    def publish_state(self) -> None:
        """Redraw the panels for the current cursor, unit order and views."""
        ...

    def notify(self, message: str, *, severity: Any = ..., timeout: float | None = ...) -> None: ...

    def set_timer(self, delay: float, callback: Callable[[], Any]) -> Timer: ...
