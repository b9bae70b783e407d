"""ViewState: what the app shows, published after every change, for panels that follow it. No Textual."""

from __future__ import annotations

from dataclasses import dataclass

from rnnviz.tui.state.modelview import ModelView


@dataclass(frozen=True)
class ViewState:
    """The models on screen (their runs of `text`), the cursor word and the selected unit."""

    views: tuple[ModelView, ...]
    text: str
    cursor: int
    selected_unit: int = 0


EMPTY = ViewState((), "", 0)  # before the app has published anything
