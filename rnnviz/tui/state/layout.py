"""Layout rules: which panels fit a terminal, how big each one is, and what the hidden ones are called.

Pure functions (no textual), so every size can be tested without an app. The rules, in order:

* the footer always stays (it shows `?` and `q` first);
* panels are taken in a fixed priority order and each one is shown whole, at least its minimum size,
  or not at all: a panel is never squeezed into a broken border;
* a hidden panel is named in one status line, with the size that would show it;
* no panel shrinks another below a readable minimum: the heatmaps keep READABLE_ROWS rows before
  the story panels (gradient flow, gate saturation) get any, and those give way first.

`plan_screen` lays out the viewer's main screen; `plan_panel` one model panel (heatmaps, gates,
the side column of predictions, links and inspector), also used by the tour for its panels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

FOOTER_ROWS = 1
TITLE_ROWS = 1
SENTENCE_ROWS = 3  # a bordered line
STATUS_ROWS = 1
HEATMAP_MIN_ROWS = 4  # border, the words, one row of two units
READABLE_ROWS = 6  # four rows of units: what the story panels leave each heatmap
STORY_MIN_ROWS = 6  # a story panel smaller than this hides instead (its border and a few lines)
GATES_WIDTH = 20  # the gates panel beside the hidden-state heatmap (LSTM: 4 columns)
SIDE_WIDTH = (23, 36)  # the side column: narrowest that reads (a links row: 19 cells), widest worth it
SIDE_SHARE = 0.28  # of the terminal's width, within SIDE_WIDTH
HEATMAP_MIN_WIDTH = 57  # the gutter, 11 words and the 12th's label: "cat" and the demo's second "it"
PREDICTION_ROWS = (4, 12)  # border and 2 words, up to border and 10 words
LINKS_ROWS = 6  # border, the column labels and the top three links
ABLATION_ROWS = 6
INSPECTOR_LINES = 4  # a label, the sparkline, the cursor mark, the values; then a line per gate
SEARCH_LIMIT = 240  # the largest width or height the "enlarge to" note suggests

# The names the status line uses, in the order it lists them.
NAMES = {
    "sentence": "sentence",
    "compare": "second model",
    "cell": "cell state",
    "gates": "gates",
    "predictions": "predictions",
    "ablation": "silenced units",
    "links": "links",
    "inspector": "inspector",
    "story": "flow/saturation",
    "legend": "legend",
}


@dataclass(frozen=True)
class PanelWanted:
    """What one model panel would show given room."""

    cell: bool = True  # an LSTM's cell-state heatmap
    gates: int = 4  # gate columns (the inspector has a line for each)
    side: bool = True  # the side column at all
    links: bool = True
    ablation: bool = False


@dataclass(frozen=True)
class PanelPlan:
    """One panel laid out: heatmap rows, whether gates show, the side column's width and its panels."""

    hidden_rows: int
    cell_rows: int  # 0: the cell-state heatmap is hidden
    gates: bool
    side_width: int  # 0: no side column
    side: dict[str, int] = field(default_factory=dict)  # name → rows, in top-to-bottom order
    hidden: tuple[str, ...] = ()


def side_width_for(width: int, gates: bool) -> int:
    """The side column's width beside heatmaps of at least HEATMAP_MIN_WIDTH (0 when it does not fit)."""
    room = width - HEATMAP_MIN_WIDTH - (GATES_WIDTH if gates else 0)
    if room < SIDE_WIDTH[0]:
        return 0
    return min(room, SIDE_WIDTH[1], max(SIDE_WIDTH[0], int(width * SIDE_SHARE)))


def inspector_rows(gates: int) -> int:
    return 2 + INSPECTOR_LINES + gates


def plan_panel(width: int, height: int, wanted: PanelWanted = PanelWanted()) -> PanelPlan:
    """Lay out one model panel of `width` × `height` cells.

    The hidden-state heatmap always shows (it is the point); the cell-state heatmap needs room for
    two heatmaps of HEATMAP_MIN_ROWS. The side column comes before the gates panel (its predictions
    say what the state is for); its panels, in priority order, are predictions, silenced units,
    links and the inspector, each shown whole or hidden.
    """
    hidden: list[str] = []
    cell_rows = 0
    if wanted.cell:
        if height >= 2 * HEATMAP_MIN_ROWS:
            cell_rows = height // 2
        else:
            hidden.append("cell")
    side_width = side_width_for(width, gates=False) if wanted.side else 0
    narrowest_side = SIDE_WIDTH[0] if side_width else 0
    gates = wanted.gates > 0 and width - narrowest_side - GATES_WIDTH >= HEATMAP_MIN_WIDTH
    if wanted.gates > 0 and not gates:
        hidden.append("gates")
    if side_width:
        side_width = side_width_for(width, gates) or side_width
    side: dict[str, int] = {}
    if wanted.side and not side_width:
        hidden += ["predictions", "ablation", "links", "inspector"]
    elif wanted.side:
        left = height
        asks = [("predictions", PREDICTION_ROWS[0])]
        if wanted.ablation:
            asks.append(("ablation", ABLATION_ROWS))
        if wanted.links:
            asks.append(("links", LINKS_ROWS))
        asks.append(("inspector", inspector_rows(wanted.gates)))
        for name, rows in asks:
            if rows <= left:
                side[name] = rows
                left -= rows
            else:
                hidden.append(name)
        if "predictions" in side:  # what is left lets more predictions show
            grow = min(left, PREDICTION_ROWS[1] - side["predictions"])
            side["predictions"] += grow
    hidden = [name for name in hidden if name != "ablation" or wanted.ablation]
    return PanelPlan(height - cell_rows, cell_rows, gates, side_width, side, tuple(hidden))


@dataclass(frozen=True)
class ScreenWanted:
    """What the main screen would show given room."""

    models: int = 1  # 2 in compare mode (stacked panels, no cell-state heatmap)
    panel: PanelWanted = PanelWanted()
    story_rows: int = 0  # the natural height of the flow/saturation strip (0: both off)
    legend_lines: int = 1  # lines the legend needs at this width


@dataclass(frozen=True)
class ScreenPlan:
    """The main screen laid out: rows of each shown part, each panel's plan, and the status note."""

    width: int
    height: int
    rows: dict[str, int]  # title, sentence, panels (each), story, status, legend, footer
    panel: PanelPlan  # the first panel's plan (compare mode: both panels share it)
    hidden: tuple[str, ...]
    note: str  # the whole status note: each hidden panel and the size that shows it ("" if none)

    @property
    def short_note(self) -> str:
        """The note if it fits one line of the screen, else the hidden panels' names (`?` has the rest)."""
        if len(self.note) <= self.width:
            return self.note
        return "hidden: " + ", ".join(NAMES[name] for name in self.hidden) + " — ? says how to show them"

    def shows(self, name: str) -> bool:
        return self.rows.get(name, 0) > 0 or name in self.panel.side or _panel_part(self.panel, name)


def _panel_part(panel: PanelPlan, name: str) -> bool:
    return (name == "cell" and panel.cell_rows > 0) or (name == "gates" and panel.gates)


def _rows(
    width: int, height: int, wanted: ScreenWanted, status: bool
) -> tuple[dict[str, int], PanelPlan, list[str]]:
    """Rows of each part of the screen, granted in priority order (see the module docstring)."""
    models = max(1, wanted.models)
    hidden: list[str] = []
    if models > 1 and height < FOOTER_ROWS + models * HEATMAP_MIN_ROWS:
        models = 1  # too short to stack two heatmaps: the second model gives way
        hidden.append("compare")
    cell = wanted.panel.cell and wanted.models == 1
    left = height
    rows: dict[str, int] = {}

    def take(name: str, want: int) -> int:
        """Grant `want` rows (more rows for a part already granted some), or none if they do not fit."""
        nonlocal left
        if want <= 0 or want > left:
            return 0
        rows[name] = rows.get(name, 0) + want
        left -= want
        return want

    take("footer", FOOTER_ROWS)
    heatmaps = take("heatmaps", models * HEATMAP_MIN_ROWS)  # the hidden-state heatmaps come first
    if status:
        take("status", STATUS_ROWS)
    if not take("sentence", SENTENCE_ROWS):
        hidden.append("sentence")
    take("legend", 1)
    take("title", TITLE_ROWS)
    cell_shown = cell and take("heatmaps", HEATMAP_MIN_ROWS) > 0
    if cell and not cell_shown:
        hidden.append("cell")
    take("heatmaps", min(left, models * (READABLE_ROWS - HEATMAP_MIN_ROWS)))
    if wanted.story_rows and not take("story", STORY_MIN_ROWS):
        hidden.append("story")
    if cell_shown:
        take("heatmaps", min(left, READABLE_ROWS - HEATMAP_MIN_ROWS))
    if "legend" in rows:
        take("legend", min(left, wanted.legend_lines - 1))
    if rows.get("legend", 0) < wanted.legend_lines:
        hidden.append("legend")
    if "story" in rows:
        take("story", min(left, wanted.story_rows - STORY_MIN_ROWS))
    heatmaps = rows.pop("heatmaps") + left  # what is left grows the heatmaps
    rows["panels"] = heatmaps // models
    rows["spare"] = heatmaps - rows["panels"] * models  # odd rows in compare mode go to the last panel
    panel = plan_panel(width, rows["panels"], replace(wanted.panel, cell=cell_shown))
    return rows, panel, hidden + list(panel.hidden)


def plan_screen(
    width: int, height: int, wanted: ScreenWanted = ScreenWanted(), *, note: bool = True
) -> ScreenPlan:
    """Lay out the main screen at `width` × `height` (see the module docstring for the rules)."""
    rows, panel, hidden = _rows(width, height, wanted, status=False)
    if hidden:  # the status line names them: lay out again with its row taken first
        rows, panel, hidden = _rows(width, height, wanted, status=True)
    names = tuple(dict.fromkeys(name for name in NAMES if name in hidden))
    text = hidden_note(width, height, wanted, names) if note and names else ""
    return ScreenPlan(width, height, rows, panel, names, text)


def hidden_note(width: int, height: int, wanted: ScreenWanted, names: tuple[str, ...]) -> str:
    """'inspector hidden — widen to 110 columns': each hidden panel with the smallest size that shows it
    (panels that the same size shows are named together)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(_suggestion(width, height, wanted, name), []).append(NAMES[name])
    return " · ".join(f"{', '.join(group)} hidden — {how}" for how, group in groups.items())


def _smallest(low: int, shows) -> int | None:
    """The smallest size in low..SEARCH_LIMIT for which shows(size) holds (the rules only ever show
    more as a terminal grows, so a bisection finds it), or None."""
    if low > SEARCH_LIMIT or not shows(SEARCH_LIMIT):
        return None
    high = SEARCH_LIMIT
    while low < high:
        middle = (low + high) // 2
        if shows(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _suggestion(width: int, height: int, wanted: ScreenWanted, name: str) -> str:
    def shows(w: int, h: int) -> bool:
        return name not in plan_screen(w, h, wanted, note=False).hidden

    wider = _smallest(width + 1, lambda w: shows(w, height))
    if wider is not None:
        return f"widen to {wider} columns"
    taller = _smallest(height + 1, lambda h: shows(width, h))
    if taller is not None:
        return f"make it {taller} rows tall"
    both = _smallest(width + 1, lambda w: shows(w, SEARCH_LIMIT))
    if both is not None:
        rows = _smallest(height + 1, lambda h: shows(both, h))
        return f"enlarge to {both}×{rows}"
    return "not at any size"


@dataclass(frozen=True)
class TourPlan:
    text_rows: int  # the explanation's box, border included
    bordered: bool  # a short terminal drops the box's border (two rows) before the views shrink
    heatmap_rows: int  # each heatmap; 0: the model panels are hidden


def plan_tour(
    height: int, text_lines: int, sentence_rows: int, heatmaps: int, flow_rows: int = 0
) -> TourPlan:
    """Lay out a tour step: the title, the explanation (`text_lines` lines as wrapped), the sentence,
    the models' `heatmaps` and the flow plot, the keys. The explanation is shown whole when it can
    be: first the views give up rows down to READABLE_ROWS, then the box its border, then the views
    down to HEATMAP_MIN_ROWS, then they hide; only then does the explanation scroll."""
    fixed = 2 + sentence_rows + flow_rows  # the title and keys lines
    heatmaps = max(1, heatmaps)
    for border, rows in (
        (2, READABLE_ROWS),
        (0, READABLE_ROWS),
        (0, HEATMAP_MIN_ROWS + 1),
        (0, HEATMAP_MIN_ROWS),
    ):
        if fixed + text_lines + border + heatmaps * rows <= height:
            return TourPlan(
                text_lines + border, border > 0, (height - fixed - text_lines - border) // heatmaps
            )
    if fixed + text_lines <= height:  # the model panels give way (hidden whole) to the explanation
        return TourPlan(text_lines, False, 0)
    return TourPlan(max(1, height - fixed), False, 0)  # only then does the explanation scroll
