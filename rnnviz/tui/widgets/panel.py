"""ModelPanel: everything drawn for one model — its heatmaps, gates, predictions and unit inspector.

The app shows one panel, or two stacked in compare mode. A panel keeps its heatmaps and gates on
the same rows (ScrollSync along y) and joins the app's word-axis sync so stacked panels scroll
their words together. A new model or sentence is shown in place (`show_view`): no widget is
rebuilt, so switching models costs what a repaint costs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.widget import Widget

from rnnviz.tui.state.layout import PanelPlan, PanelWanted, plan_panel
from rnnviz.tui.state.modelview import ModelView
from rnnviz.tui.widgets.ablation import AblationPanel
from rnnviz.tui.widgets.gates import GatesPanel
from rnnviz.tui.widgets.heatmap import StateHeatmap
from rnnviz.tui.widgets.inspector import UnitInspector
from rnnviz.tui.widgets.links_panel import LinksPanel
from rnnviz.tui.widgets.predictions import Predictions
from rnnviz.tui.widgets.scale import ScaleColumn
from rnnviz.tui.widgets.scrollsync import ScrollSync
from rnnviz.tui.widgets.textutil import visible


class ModelPanel(Vertical):
    """One model's view of the sentence at the cursor."""

    def __init__(
        self,
        view: ModelView,
        *,
        show_cell: bool = True,
        words_sync: ScrollSync | None = None,
        id: str | None = None,
        classes: str | None = None,
    ):
        super().__init__(id=id, classes=classes)
        self.view = view
        self.show_cell = show_cell
        self.words_sync = words_sync or ScrollSync("x")
        self.rows_sync = ScrollSync("y")
        self.step = 0
        self.order = np.arange(view.units)
        self.selected = 0

        # The widgets, kept rather than queried: a DOM query on every keypress costs more than drawing.
        self.hidden_map = StateHeatmap(classes="hidden")
        self.backward_map = StateHeatmap(classes="backward")  # bidirectional models only
        self.backward_map.display = False
        self.cell_map = StateHeatmap(classes="cell")  # hidden unless the model is an LSTM
        self.gates = GatesPanel(classes="gates")
        self.cell_scale = ScaleColumn(classes="cell-scale")
        self.predictions = Predictions(classes="predictions")
        self.inspector = UnitInspector(classes="inspector")
        self.links_panel = LinksPanel(classes="links")  # filled by the app (links run in a worker)
        self.ablation_panel = AblationPanel(classes="ablation")  # shown while units are silenced
        self.links_wanted = True  # the tour tints the sentence instead
        self.plan: PanelPlan | None = None  # what fits (rnnviz.tui.state.layout), applied on resize
        self._cell_drawn: ModelView | None = None  # the view whose cell state the cell heatmap holds

    def compose(self) -> ComposeResult:
        with Horizontal(classes="panel-body"):
            with Vertical(classes="states"):
                with Horizontal(classes="hidden-row"):
                    yield self.hidden_map
                    yield self.gates
                yield self.backward_map
                with Horizontal(classes="cell-row"):
                    yield self.cell_map
                    yield self.cell_scale
            with Vertical(classes="side"):
                yield self.predictions
                yield self.ablation_panel
                yield self.links_panel
                yield self.inspector

    @property
    def wanted(self) -> PanelWanted:
        """What this panel would show given room."""
        return PanelWanted(
            cell=self.show_cell and self.view.cell_state is not None,
            gates=len(self.view.gates),
            links=self.links_wanted,
            ablation=self.ablation_panel.ablation is not None,
        )

    def on_resize(self, event: Resize) -> None:
        self.fit()

    def fit(self) -> None:
        """Show the parts that fit this panel's size whole, and hide the rest (see state.layout)."""
        width, height = self.size
        if not width or not height:
            return
        plan = plan_panel(width, height, self.wanted)
        if plan == self.plan:
            return
        if self._cell_drawn is not self.view:  # drawn in show_view; until then it stays hidden
            plan = replace(plan, cell_rows=0)
        self.plan = plan
        cell_row = self.cell_map.parent
        side = self.query_one(".side")
        shown: list[tuple[Widget | None, bool]] = [
            (cell_row, plan.cell_rows > 0),
            (self.cell_map, plan.cell_rows > 0),
            (self.gates, plan.gates),
            (self.cell_scale, plan.gates),  # as wide as the gates, so both heatmaps line up
            (side, plan.side_width > 0),
            (self.predictions, "predictions" in plan.side),
            (self.ablation_panel, "ablation" in plan.side),
            (self.links_panel, "links" in plan.side),
            (self.inspector, "inspector" in plan.side),
        ]
        for widget, wanted in shown:
            if widget is not None and widget.display != wanted:  # setting display asks for a layout
                widget.display = wanted
        if plan.side_width:
            side.styles.width = plan.side_width
            self.predictions.styles.max_height = plan.side.get("predictions", 0)

    @property
    def heatmaps(self) -> list[StateHeatmap]:
        """The heatmaps on screen (the backward one when bidirectional, the cell state one for an LSTM
        once it holds this view's cell state)."""
        maps = [self.hidden_map]
        if self.backward_map.display:
            maps.append(self.backward_map)
        if self.cell_map.display and self._cell_drawn is self.view:
            maps.append(self.cell_map)
        return maps

    def on_mount(self) -> None:
        for heatmap in (self.hidden_map, self.backward_map, self.cell_map):
            heatmap.sync_x.append(self.words_sync)
            heatmap.sync_y.append(self.rows_sync)
            self.words_sync.add(heatmap)
            self.rows_sync.add(heatmap)
        self.gates.sync_y.append(self.rows_sync)
        self.rows_sync.add(self.gates)
        self.show_view(self.view, self.show_cell)

    def on_unmount(self) -> None:
        for heatmap in (self.hidden_map, self.backward_map, self.cell_map):
            self.words_sync.remove(heatmap)

    def show_view(self, view: ModelView, show_cell: bool) -> None:
        """Draw another model or sentence in the same widgets."""
        self.view = view
        self.show_cell = show_cell
        self.step = min(self.step, view.steps - 1)
        self.selected = min(self.selected, view.units - 1)
        if len(self.order) != view.units:
            self.order = np.arange(view.units)
        hidden = self.hidden_map
        hidden.border_title = Content(f"{visible(view.name)} · hidden state h")
        hidden.border_subtitle = Content(f"±{view.hidden_scale:.3g}")
        # A character model's text: one cell per character, so a screen shows a line of text.
        columns = StateHeatmap.CHARACTER_WIDTH if view.model.tokenizer == "chars" else None
        hidden.show(view.hidden, view.tokens, view.hidden_scale, columns)
        backward = self.backward_map
        if backward.display != (view.backward_hidden is not None):
            backward.display = view.backward_hidden is not None
        if view.backward_hidden is not None:
            hidden.border_title = Content(f"{visible(view.name)} · hidden state h, forward →")
            backward.border_title = Content("hidden state h, ← backward (has read the words after)")
            backward.show(view.backward_hidden, view.tokens, view.hidden_scale, columns)
        cell = self.cell_map
        wanted = show_cell and view.cell_state is not None
        if view.cell_state is not None and wanted:
            self.cell_scale.show(view.cell_scale)
            cell.border_title = Content("cell state c")
            cell.border_subtitle = Content(f"±{view.cell_scale:.3g}")
            cell.show(view.cell_state, view.tokens, view.cell_scale, columns)
            self._cell_drawn = view
        elif cell.display:  # before the first layout too: a hidden heatmap must not draw another's units
            cell.display = False
            if cell.parent is not None:
                cell.parent.display = False
        self.plan = None
        self.fit()
        self._push()
        self.call_after_refresh(self._reveal, True, True)

    def update(self, step: int, order: np.ndarray, selected: int) -> None:
        """Show the state at word `step`, units in `order`, one unit selected."""
        step = min(step, self.view.steps - 1)
        selected = min(selected, self.view.units - 1)
        moved, reselected = step != self.step, selected != self.selected
        reordered = not np.array_equal(order, self.order)
        self.step, self.order, self.selected = step, order, selected
        if self.is_mounted:
            self._push()
            # Scroll only for what changed, so a view the user scrolled away stays put otherwise.
            if moved or reselected or reordered:
                self.call_after_refresh(self._reveal, moved, reselected or reordered)

    def _push(self) -> None:
        view, step, order, selected = self.view, self.step, self.order, self.selected
        for heatmap in self.heatmaps:
            # an LSTM projection's c has H units, not h's P: it keeps its own order then
            same_units = heatmap.units == len(order)
            heatmap.set_order(order if same_units else np.arange(heatmap.units))
            heatmap.cursor = step
            heatmap.selected = selected if same_units else -1
        gates = self.gates
        gates.border_title = Content(f"gates at “{visible(view.tokens[step])}”")
        gates.show(view, step, order, selected)
        self.predictions.show(view, step)
        self.inspector.show(view, step, selected)

    def _reveal(self, cursor: bool, unit: bool) -> None:
        """Scroll to the cursor column and/or the selected unit (after a refresh: sizes are known)."""
        if cursor:
            for heatmap in self.heatmaps:
                heatmap.reveal_cursor()
        if unit:
            self.hidden_map.reveal_unit(self.selected)
