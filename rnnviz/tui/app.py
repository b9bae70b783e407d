"""The rnnviz app: composes the widgets and routes keys and messages between them.

State lives here (cursor, selected unit, sort mode, the models and their runs); widgets only draw
what they are given. The model runs once per sentence, in a worker thread; a keypress only moves
the cursor or the view.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandListItem, SimpleProvider
from textual.containers import Vertical
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.theme import ThemeProvider
from textual.widgets import Static
from textual.worker import get_current_worker

from rnnviz.core.model import Model
from rnnviz.errors import RnnvizError, first_line
from rnnviz.io.weights import BUNDLED, WORD_DEMOS
from rnnviz.training.corpus import DEMO_SENTENCE
from rnnviz.tui.blas import SingleBlasThread
from rnnviz.tui.collector import QuietCollector
from rnnviz.tui.commands import ActionCommands, OncePalette
from rnnviz.tui.ending import AbandoningExecutor, SignalExit
from rnnviz.tui.latest import Latest
from rnnviz.tui.memory_actions import MemoryActions
from rnnviz.tui.screens.edit import EditScreen
from rnnviz.tui.screens.help import HelpScreen
from rnnviz.tui.screens.tour import open_tour
from rnnviz.tui.state.layout import ScreenPlan, ScreenWanted, plan_screen
from rnnviz.tui.state.modelview import ModelView, check_text, describe_views, load_source, model_label
from rnnviz.tui.state.sorting import SORT_MODES, SortMode
from rnnviz.tui.state.viewstate import ViewState
from rnnviz.tui.story import StoryStrip, mount_strip
from rnnviz.tui.text_actions import TextActions
from rnnviz.tui.widgets.footer import KeysFooter
from rnnviz.tui.widgets.heatmap import StateHeatmap
from rnnviz.tui.widgets.legend import Legend, legend_entries
from rnnviz.tui.widgets.panel import ModelPanel
from rnnviz.tui.widgets.scrollsync import ScrollSync
from rnnviz.tui.widgets.sentence import SentenceBar
from rnnviz.tui.widgets.textpane import TextPane
from rnnviz.tui.widgets.textutil import visible
from rnnviz.tui.widgets.titlebar import TitleBar

MIN_WIDTH, MIN_HEIGHT = 20, 8  # below this the app shows "make the window larger"; above, state.layout
FLOW_ROWS, SATURATION_ROWS = 10, 18  # what the story panels would take, given room
PALETTE_KEY_WIDTH = 60  # narrower, the footer leaves out ^p (still a key; `?` lists it)
HELP_SCREEN = "help"  # the installed help screen's name
KEPT_RUNS = 8  # model runs kept for `m`, `c` and edits back to an earlier sentence
KEPT_BYTES = 256 * 2**20  # and at most this much of their arrays
DEFAULT_SIZE = (120, 40)  # headless runs (tests, screenshots) unless told otherwise
Source = str | Path | Model


@dataclass(frozen=True)
class Action:
    key: str
    action: str
    title: str  # footer and palette
    help: str  # help screen and palette
    group: str | None = None  # keys shown together in the footer
    show: bool = True


SORT_ORDERS = "next unit order: " + ", ".join(mode.short or mode.name for mode in SORT_MODES)
ACTIONS: list[Action] = [
    # Help and quit first: the footer lists keys in this order and crops the end on a narrow terminal.
    Action("question_mark", "help", "Help", "show the keys and what every color and mark on screen means"),
    Action("q", "quit", "Quit", "leave rnnviz"),
    Action("left", "step(-1)", "Previous word", "move the cursor one word back", "word"),
    Action("right", "step(1)", "Next word", "move the cursor one word on", "word"),
    # home/end stay out of the footer: it has room for the keys a newcomer needs, the tour among them.
    Action("home", "first", "First word", "move the cursor to the first word", "first/last", show=False),
    Action("end", "last", "Last word", "move the cursor to the last word", "first/last", show=False),
    Action("ctrl+left", "word(-1)", "Word back", "move the cursor to the previous word's start", show=False),
    Action("ctrl+right", "word(1)", "Word on", "move the cursor to the start of the next word", show=False),
    Action("ctrl+up", "line(-1)", "Line up", "move the cursor one line up in the text pane", show=False),
    Action("ctrl+down", "line(1)", "Line down", "move the cursor one line down in the text pane", show=False),
    Action("up", "unit(-1)", "Previous unit", "select the unit above (in the current order)", "unit"),
    Action("down", "unit(1)", "Next unit", "select the unit below (in the current order)", "unit"),
    Action("t", "tour", "Tour", "a guided tour: why a plain RNN forgets and gates remember"),
    Action("e", "edit", "Edit", "type a new sentence; the models run on it once"),
    Action("m", "switch_model", "Model", "switch to the next model (rnn, lstm, gru), same sentence"),
    Action("c", "compare", "Compare", "show a second model stacked under the first, on the same sentence"),
    # Help and palette alike show this line: it names the orders itself (the palette lists nothing else).
    Action("s", "sort", "Sort", SORT_ORDERS),
    Action("u", "tint", "Tint", "tint the text by the selected unit: its h, its c (LSTM), off", show=False),
    Action("p", "property", "Property", "the text property units are sorted by (by property)", show=False),
    Action("v", "text_view", "Text view", "the text as wrapped lines, or as one line", show=False),
    Action("l", "links_method", "Links", "memory links (the tint of earlier words): next method", show=False),
    Action("w", "swap", "Swap", "swap the cursor word (cat → dog), compare what follows", show=False),
    Action("a", "ablate", "Silence", "silence the selected unit from the cursor word on", show=False),
    Action("A", "ablate_add", "Silence more", "silence the selected unit too (again: restore)", show=False),
    Action("escape", "restore", "Restore", "restore the silenced units", show=False),
    Action("g", "flow", "Flow", "gradient flow at the cursor: off, these models, rnn+lstm+gru", show=False),
    Action("G", "saturation", "Gates", "gate saturation per unit: off, sentence, demo corpus", show=False),
    Action("tab", "focus_next", "Panel", "move the focus to the next heatmap or gates panel (they scroll)"),
    Action("shift+tab", "focus_previous", "Previous panel", "move the focus back a panel", show=False),
]
MAIN_SCREEN_ACTIONS = {a.action.split("(")[0] for a in ACTIONS} - {"quit", "help"}
HEATMAP_KEYS = [
    ("pgup/pgdn", "scroll the focused heatmap's rows"),
    ("shift+←/→", "scroll the focused heatmap's words"),
    ("mouse", "wheel scrolls (shift+wheel sideways); a click picks a word and a unit"),
    ("ctrl+p", "command palette: every action above, and themes"),
]


def _bindings() -> list[Binding]:
    groups = {
        name: Binding.Group(name, compact=name != "first/last") for name in {a.group for a in ACTIONS} if name
    }
    # Tab is a priority binding so the footer lists it (the screen's own tab binding is hidden).
    return [
        Binding(
            a.key,
            a.action,
            a.title,
            show=a.show,
            group=groups.get(a.group or ""),
            tooltip=a.help,
            priority=a.key in ("tab", "shift+tab"),
        )
        for a in ACTIONS
    ]


def run_bytes(view: ModelView) -> int:
    """The size of a run's arrays (states, gates, predictions)."""
    trace = view.trace
    arrays = [trace.hidden, trace.cell_state, trace.probs, *trace.gates.values()]
    return sum(a.nbytes for a in arrays if a is not None)


def partner_for(source: Source) -> str:
    """The model to compare with by default: an RNN beside a gated cell, an LSTM beside an RNN."""
    label = model_label(source)
    cell = source.cell if isinstance(source, Model) else label
    return "lstm" if cell == "rnn" else "rnn"


class RnnvizApp(App[int]):
    """Step through a sentence and watch a recurrent network's memory."""

    CSS_PATH = "app.tcss"
    TITLE = "rnnviz"
    COMMANDS = App.COMMANDS | {ActionCommands}
    BINDINGS = _bindings()

    # repaint=False: a repaint of the App is a repaint of the whole screen; the widgets repaint themselves.
    cursor: reactive[int] = reactive(0, init=False, repaint=False)
    selected_unit: reactive[int] = reactive(0, init=False, repaint=False)
    sort_index: reactive[int] = reactive(0, init=False, repaint=False)

    def __init__(
        self,
        views: list[ModelView],
        text: str,
        lineup: list[Source],
        compare_with: Source | None = None,
        size: tuple[int, int] | None = None,
        vocab: str | None = None,
        cell: str | None = None,
        tokenizer: str | None = None,
    ):
        super().__init__()
        self.views = views
        self.text = text
        self.lineup = lineup  # what `m` cycles through; lineup[0] is the first model
        self.model_index = 0
        self.compare_with = compare_with
        self.headless_size = size or DEFAULT_SIZE
        self.vocab_source = vocab
        self.cell_source = cell
        self.tokenizer_source = tokenizer
        self.layer = views[0].layer
        self.words_sync = ScrollSync("x")
        self.dialog_open = False
        self._sentence_bar = SentenceBar(id="sentence")
        self._text_pane = TextPane(id="text-pane")
        self._title_bar = TitleBar(id="title")
        self._all_panels: list[ModelPanel] = []
        self._models: dict[str, Model] = {view.name: view.model for view in views}
        # (model label, text, layer) -> its run: `m` and `c` come back to runs already made
        self._runs_lock = threading.Lock()  # runs are added from the run worker
        self._runs: OrderedDict[tuple[str, str, int], ModelView] = OrderedDict(
            ((view.name, text, view.layer), view) for view in views
        )
        self.memory = MemoryActions(self)  # links, swap, silencing, the "by memory" order
        self.text_view = TextActions(self, self._text_pane)  # the text pane, tint by unit, "by property"
        self._story: StoryStrip | None = None  # the flow and saturation panels, mounted on first use
        self.crashed = False  # an unhandled exception ended the app
        self._signals = SignalExit(lambda code: self.exit(None, code))
        self.collector = QuietCollector()
        self.blas = SingleBlasThread()
        self.layout_plan: ScreenPlan | None = None  # what state.layout decided for the current size
        self.pinned_order: SortMode | None = None  # an order set from outside (a tour step); `s` ends it
        self._help_shows = ""  # what the installed help screen lists (rebuilt when that changes)

    # -- composition -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="main"):
            yield self._title_bar
            yield self._sentence_bar
            yield self._text_pane
            with Vertical(id="panels"):
                yield from self._panels()
            yield Static("", id="status", markup=False)  # names the panels the layout hid
            yield Legend(id="legend")
            yield KeysFooter()
        message = f"make the window larger\n(at least {MIN_WIDTH}×{MIN_HEIGHT}; q quits)"
        yield Static(message, id="too-small", markup=False)

    def _panels(self) -> list[ModelPanel]:
        """Two panels, always: the second is hidden until compare mode needs it (no rebuilds)."""
        compare = self.compare_mode
        views = [self.views[0], self.views[-1]]
        panels = [ModelPanel(view, show_cell=not compare, words_sync=self.words_sync) for view in views]
        panels[1].display = compare
        self._all_panels = panels  # kept: a DOM query on every keypress costs more than the drawing
        return panels

    def on_load(self) -> None:
        # Workers' threads are never waited for when the app ends (see rnnviz.tui.ending), and their
        # products leave a core free for drawing (see rnnviz.tui.blas).
        asyncio.get_running_loop().set_default_executor(AbandoningExecutor(max_workers=1))
        self.blas.engage()

    def on_mount(self) -> None:
        if not self.is_headless:
            self._signals.install()
        self.show_text()
        self._update_title()
        self.publish_state()
        self._check_size(self.size.width, self.size.height)
        self.relayout()
        self.query_one(".hidden", StateHeatmap).focus()
        self.call_after_refresh(self.collector.engage)  # after the first frame: it freezes what is drawn

    def on_unmount(self) -> None:
        self.collector.release()
        self.blas.release()
        self._signals.uninstall()

    def run_test(self, *, size: tuple[int, int] | None = None, **kwargs):  # type: ignore[override]
        """As App.run_test, at the size given to make_app unless told otherwise."""
        return super().run_test(size=size or self.headless_size, **kwargs)

    # -- state -------------------------------------------------------------------------------
    @property
    def view(self) -> ModelView:
        return self.views[0]

    @property
    def tokens(self) -> list[str]:
        return self.view.tokens

    @property
    def sort_mode(self) -> SortMode:
        if self.pinned_order is not None:
            return self.pinned_order
        return SORT_MODES[self.sort_index % len(SORT_MODES)]

    def pin_order(self, mode: SortMode | None) -> None:
        """List units in `mode`'s order until `s` is pressed (None: back to the `s` cycle)."""
        self.pinned_order = mode
        self._update_title()
        self.publish_state()

    def set_flow_mode(self, mode: int) -> None:
        """Open the gradient-flow panel in a mode (0 off, 1 the models on screen, 2 rnn, lstm and gru)."""
        if mode or self._story is not None:
            self._story_strip().set_flow_mode(mode)

    @property
    def compare_mode(self) -> bool:
        return len(self.views) > 1

    @property
    def panels(self) -> list[ModelPanel]:
        """The panels on screen: one, or two in compare mode."""
        return self._all_panels[: len(self.views)]

    @property
    def sentence_bar(self) -> SentenceBar | TextPane:
        """Where the text is shown: the one-line bar, or the wrapped pane (a character model, or `v`)."""
        return self._text_pane if self.text_view.pane_on else self._sentence_bar

    def show_text(self) -> None:
        """Show the current text in the bar or the pane, whichever is on, and hide the other."""
        pane_on = self.text_view.pane_on
        for widget, wanted in ((self._text_pane, pane_on), (self._sentence_bar, not pane_on)):
            if widget.display != wanted:  # setting display, even unchanged, asks for a layout
                widget.display = wanted
        if pane_on:
            self._text_pane.show(self.tokens, self.cursor, chars=self.view.model.tokenizer == "chars")
        else:
            self._sentence_bar.show(self.tokens, self.cursor, self.view.unknown)

    def unit_order(self, view: ModelView | None = None):
        """The order the heatmaps list units in, for a view (default: the first)."""
        return self.sort_mode.order(view or self.view, min(self.cursor, (view or self.view).steps - 1))

    @property
    def view_state(self) -> ViewState:
        """What is on screen, for the panels that follow it (the story strip)."""
        return ViewState(tuple(self.views), self.text, self.cursor, self.selected_unit)

    @property
    def busy(self) -> bool:
        """Slow work asked for and not on screen yet (tests wait for it to settle)."""
        story = self._story
        strip_busy = story is not None and (story.flow.latest.busy or story.saturation.latest.busy)
        return self.memory.waiting or strip_busy or self.text_view.busy

    def publish_state(self) -> None:
        """Bring every panel up to date with the cursor, selected unit, unit order and views."""
        for panel in self.panels:
            panel.update(self.cursor, self.unit_order(panel.view), self.selected_unit)
        self.memory.state_changed()
        self.text_view.state_changed()
        if self._story is not None:
            self._story.follow(self.view_state)

    def on_latest_done(self, message: Latest.Done) -> None:
        """A worker's result (links, swap, silencing, ranking): its Latest hands on the newest."""
        message.latest.finish(message)

    def on_latest_progress(self, message: Latest.Progress) -> None:
        """A piece of a worker's result (a links row extended further back)."""
        message.latest.progress(message)

    def update_title(self) -> None:
        self._update_title()

    def _update_title(self) -> None:
        names = visible(describe_views(self.views))
        sort = f"{self.sort_mode.name}{self.text_view.sort_detail()}"
        self.sub_title = f"{names} · sort: {sort}"  # the terminal window's title
        self._title_bar.show(self.sub_title)

    def watch_cursor(self) -> None:
        self.sentence_bar.cursor = self.cursor
        self.publish_state()

    def watch_selected_unit(self) -> None:
        self.publish_state()

    def watch_sort_index(self) -> None:
        self._update_title()
        self.publish_state()

    def on_sentence_bar_word_clicked(self, message: SentenceBar.WordClicked) -> None:
        self.cursor = message.step

    def on_state_heatmap_cell_clicked(self, message: StateHeatmap.CellClicked) -> None:
        if message.step is not None:
            self.cursor = message.step
        if message.unit is not None:
            self.selected_unit = message.unit

    # -- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Under a dialog, the dialog's keys win (typing "e" or arrows in the sentence editor).
        # `dialog_open` also covers the moment between pushing a dialog and it becoming current.
        under_dialog = self.dialog_open or isinstance(self.screen, ModalScreen)
        if action == "help":
            return not under_dialog
        return not (action in MAIN_SCREEN_ACTIONS and under_dialog)

    def open_dialog(self, screen: ModalScreen, done=None) -> None:
        """Push a dialog; the main screen's keys stay off until it is dismissed."""

        def closed(result) -> None:
            self.dialog_open = False
            if done is not None:
                done(result)

        self.dialog_open = True
        self.push_screen(screen, closed)

    def action_step(self, delta: int) -> None:
        self.cursor = max(0, min(len(self.tokens) - 1, self.cursor + delta))

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.tokens) - 1

    def action_word(self, delta: int) -> None:
        self.cursor = self.text_view.word_from(self.cursor, delta)

    def action_line(self, delta: int) -> None:
        self.cursor = self.text_view.line_from(self.cursor, delta)

    def action_tint(self) -> None:
        self.text_view.next_tint()

    def action_property(self) -> None:
        self.text_view.next_property()

    def action_text_view(self) -> None:
        self.text_view.pane_wanted = not self.text_view.pane_on
        self.show_text()
        self.publish_state()  # the links tint moves to the widget now on screen

    def action_unit(self, delta: int) -> None:
        order = list(self.unit_order())
        position = order.index(self.selected_unit) if self.selected_unit in order else 0
        self.selected_unit = int(order[max(0, min(len(order) - 1, position + delta))])

    def action_sort(self) -> None:
        if self.pinned_order is not None:  # leave the pinned order for the cycle, where it was
            self.pin_order(None)
            return
        for step in range(1, len(SORT_MODES) + 1):  # the next mode that applies to the first model
            index = (self.sort_index + step) % len(SORT_MODES)
            if SORT_MODES[index].applies(self.view):
                break
        self.sort_index = index

    def choose_sort(self, order) -> None:
        """Switch to the sort mode with this order function."""
        self.pinned_order = None
        self.sort_index = next(k for k, mode in enumerate(SORT_MODES) if mode.order is order)

    def _story_strip(self) -> StoryStrip:
        if self._story is None:
            self._story = mount_strip(self.query_one("#main"), self.view_state)
        return self._story

    def action_flow(self) -> None:
        """`g`: gradient flow off → models on screen → rnn, lstm and gru → off."""
        self._story_strip().cycle("flow", self.relayout)

    def action_saturation(self) -> None:
        """`G`: gate saturation off → over the sentence → over the demo corpus → off."""
        self._story_strip().cycle("saturation", self.relayout)

    def action_links_method(self) -> None:
        self.memory.next_method()

    def action_swap(self) -> None:
        self.memory.swap()

    def action_ablate(self) -> None:
        self.memory.ablate()

    def action_ablate_add(self) -> None:
        self.memory.ablate_add()

    def action_restore(self) -> None:
        self.memory.restore()

    def action_tour(self) -> None:
        open_tour(self)

    def action_help(self) -> None:
        """`?`: the keys. The screen is built once and kept (installed): later opens reuse its laid-out
        table instead of composing and measuring it again, until what it lists changes (the legend,
        or the layout's note at another terminal size)."""
        legend = self.query_one(Legend).entries
        note = self.layout_plan.note if self.layout_plan is not None else ""
        shows = repr((legend, note))
        if self.is_screen_installed(HELP_SCREEN) and shows != self._help_shows:
            self.uninstall_screen(HELP_SCREEN)
        if not self.is_screen_installed(HELP_SCREEN):
            rows = [(self.get_key_display(b), a.help) for a, b in zip(ACTIONS, self.BINDINGS, strict=True)]
            rows += [
                (f"sort {k + 1}", f"{mode.name}: {mode.description}") for k, mode in enumerate(SORT_MODES)
            ]
            intro = (
                "Rows are units (two per row: upper and lower half of ▀), columns are words; "
                "the cursor column is marked ▕▀▀▀▏ and words after it are faded. "
                "The colors and marks are listed after the keys."
            )
            self.install_screen(HelpScreen(rows + HEATMAP_KEYS, intro, legend, note), HELP_SCREEN)
            self._help_shows = shows
        self.open_dialog(self.get_screen(HELP_SCREEN))

    def action_edit(self) -> None:
        def done(text: str | None) -> None:
            if text is not None:
                self.run_models([v.name for v in self.views], text, cursor=0)

        self.open_dialog(EditScreen(self.text, self.problem_with), done)

    def problem_with(self, text: str) -> str | None:
        """Why the current models cannot read a text, in one line, or None."""
        problem = check_text(text)
        if problem:
            return problem
        for view in self.views:
            try:
                view.model.encode(text)
            except RnnvizError as err:
                return f"{view.name}: {err}"
        return None

    def action_switch_model(self) -> None:
        self.model_index = (self.model_index + 1) % len(self.lineup)
        first = self.lineup[self.model_index]
        names: list[Source] = [first]
        if self.compare_mode:
            names.append(self._partner(first))
        self._show_models(names)

    def action_compare(self) -> None:
        if self.compare_mode:
            self.workers.cancel_group(self, "run")  # a run still in flight would bring the second model back
            self.apply_views(self.views[:1], self.text, self.cursor)
        else:
            names: list[Source] = [self.lineup[self.model_index]]
            self._show_models([*names, self._partner(names[0])])

    def _show_models(self, sources: list[Source]) -> None:
        """Models on the current sentence: at once from runs made before, else run in a worker."""
        known = [self._known_run(source, self.text) for source in sources]
        if all(view is not None for view in known):
            self.workers.cancel_group(self, "run")  # an older run must not replace these
            self.apply_views([view for view in known if view is not None], self.text, self.cursor)
        else:
            self.run_models(sources, self.text, cursor=self.cursor)

    def _layer_for(self, label: str) -> int:
        # --layer was given for the first model; the others show their top layer.
        return self.layer if label == model_label(self.lineup[0]) else -1

    def _known_run(self, source: Source, text: str) -> ModelView | None:
        label = model_label(source)
        key = (label, text, self._layer_for(label))
        with self._runs_lock:
            found = self._runs.get(key)
            if found is not None and (label not in self._models or found.model is self._models[label]):
                self._runs.move_to_end(key)
                return found
        return None

    def _keep_run(self, view: ModelView, text: str) -> None:
        """Keep a run for later; the oldest go first past KEPT_RUNS runs or KEPT_BYTES of arrays (a
        long text's runs are big: the ones on screen are held by the panels anyway)."""
        with self._runs_lock:
            self._runs[(view.name, text, view.layer)] = view
            self._runs.move_to_end((view.name, text, view.layer))
            while len(self._runs) > 1 and (
                len(self._runs) > KEPT_RUNS or sum(run_bytes(v) for v in self._runs.values()) > KEPT_BYTES
            ):
                self._runs.popitem(last=False)

    def _partner(self, first: Source) -> Source:
        partner = self.compare_with if self.compare_with is not None else partner_for(first)
        if model_label(partner) == model_label(first):
            partner = partner_for(first)
        return partner

    def palette_actions(self) -> list[tuple[str, str, str]]:
        return [(a.title, a.help, a.action) for a in ACTIONS]

    def action_command_palette(self) -> None:
        """ctrl+p: as App's, with a palette that survives two quick enters (see OncePalette)."""
        if self.use_command_palette and not OncePalette.is_open(self):
            self.push_screen(OncePalette(id="--command-palette"))

    def search_themes(self) -> None:
        """The palette's "Change theme": as App's, in a palette that closes once."""
        self.push_screen(OncePalette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def search_commands(self, commands: Sequence[CommandListItem], placeholder: str = "Search for commands…"):
        """As App's, in a palette that closes once."""
        provider = SimpleProvider(self.screen, commands)
        return self.push_screen(OncePalette(providers=[provider], placeholder=placeholder))

    # -- ending ------------------------------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        self.crashed = True
        super()._handle_exception(error)

    def exit(self, result: int | None = None, return_code: int = 0, message=None) -> None:
        """As App.exit, but an exit asked for after a crash (a quit queued behind it) keeps the crash's
        status: Textual returns normally from run() after an unhandled exception, and the return code
        is all that tells the shell."""
        super().exit(result, max(return_code, 1) if self.crashed else return_code, message)

    # -- running models ----------------------------------------------------------------------
    def _model(self, source: Source) -> tuple[str, Model]:
        label = model_label(source)
        if label not in self._models:
            if isinstance(source, Model):
                self._models[label] = source
            else:
                bundled = str(source).lower() in BUNDLED
                self._models[label] = load_source(
                    source,
                    None if bundled else self.vocab_source,
                    None if bundled else self.cell_source,
                    None if bundled else self.tokenizer_source,
                )
        return label, self._models[label]

    @work(thread=True, exclusive=True, group="run", description="run the models")
    def run_models(self, sources: Sequence[Source], text: str, cursor: int = 0) -> None:
        """Load and run the models off the event loop, then show them (if no newer run started)."""
        worker = get_current_worker()
        try:
            views = []
            for source in sources:
                known = self._known_run(source, text)
                if known is None:
                    label, model = self._model(source)
                    known = ModelView.run(label, model, text, layer=self._layer_for(label))
                    self._keep_run(known, text)
                views.append(known)
        except (RnnvizError, OSError) as err:
            message = first_line(err)
            self.call_from_thread(self.notify, message, severity="error", timeout=6)
            return
        if not worker.is_cancelled:
            self.call_from_thread(self.apply_views, views, text, cursor)

    def apply_views(self, views: list[ModelView], text: str, cursor: int) -> None:
        """Show other models (and sentence) in the same panels."""
        self.views = views
        self.text = text
        compare = len(views) > 1
        self.set_reactive(RnnvizApp.cursor, min(cursor, len(self.tokens) - 1))
        self.set_reactive(RnnvizApp.selected_unit, min(self.selected_unit, self.view.units - 1))
        for panel, view in zip(self._all_panels, views, strict=False):
            panel.show_view(view, show_cell=not compare)
        self.relayout()  # shows the second panel in compare mode, if it fits
        self.show_text()
        self._update_title()
        self.publish_state()
        focused = self.focused
        if focused is None or not all(node.display for node in focused.ancestors_with_self):
            self.query_one(".hidden", StateHeatmap).focus()

    # -- size --------------------------------------------------------------------------------
    def on_resize(self, event: Resize) -> None:
        self._check_size(event.size.width, event.size.height)
        self.relayout()

    def screen_wanted(self, width: int) -> ScreenWanted:
        """What the main screen would show given room: the models, the story panels, the legend."""
        story = self._story
        flow = story is not None and story.flow.mode != 0
        saturation = story is not None and story.saturation.mode != 0
        story_rows = max(FLOW_ROWS if flow else 0, SATURATION_ROWS if saturation else 0)
        legend = self.query_one(Legend)
        bar = self._sentence_bar  # the legend's cursor and tint samples, styled as the bar draws them
        legend.show(
            legend_entries(
                self.views,
                saturation=saturation,
                cursor=bar.get_component_rich_style("sentence--cursor"),
                tint=bar.get_component_rich_style("sentence--link"),
            )
        )
        return ScreenWanted(
            models=len(self.views),
            panel=self._all_panels[0].wanted,
            story_rows=story_rows,
            legend_lines=len(legend.lines(max(1, width - 2))),  # the legend's padding
        )

    def relayout(self) -> None:
        """Apply the layout rules (rnnviz.tui.state.layout) to the size and the panels wanted."""
        width, height = self.size
        if not self._all_panels or width < MIN_WIDTH or height < MIN_HEIGHT:
            return
        plan = plan_screen(width, height, self.screen_wanted(width))
        self.layout_plan = plan
        rows = plan.rows
        status = self.query_one("#status", Static)
        status.update(plan.short_note)
        for widget, shown in (
            (self._title_bar, "title" in rows),
            (self._sentence_bar, "sentence" in rows and not self.text_view.pane_on),
            (status, "status" in rows),
            (self.query_one(Legend), "legend" in rows),
            (self._all_panels[-1], self.compare_mode and "compare" not in plan.hidden),
        ):
            if widget.display != shown:  # setting display, even unchanged, asks for a layout
                widget.display = shown
        self.query_one(Legend).styles.height = rows.get("legend", 1)
        footer = self.query_one(KeysFooter)
        palette = width >= PALETTE_KEY_WIDTH  # on a narrow footer, ^p would crowd out the keys
        if footer.show_command_palette != palette:
            footer.show_command_palette = palette
        if self._story is not None:
            self._story.fit(rows.get("story", 0))

    def _check_size(self, width: int, height: int) -> None:
        main, too_small = self.screen_stack[0], width < MIN_WIDTH or height < MIN_HEIGHT
        if main.has_class("-too-small") != too_small:
            main.set_class(too_small, "-too-small")


def make_app(
    model_or_name: Source = "lstm",
    text: str | Sequence[str] = DEMO_SENTENCE,
    compare: Source | None = None,
    size: tuple[int, int] | None = None,
    *,
    vocab: str | None = None,
    cell: str | None = None,
    tokenizer: str | None = None,
    layer: int = -1,
) -> RnnvizApp:
    """The app on a model (a bundled name, a weights path or a Model) and a sentence.

    Loads and runs the model(s) before returning, so a bad file or sentence raises here (a one-line
    WeightsError / ValueError) instead of inside the app. `compare` opens in compare mode with
    that second model; `size` is the terminal size for headless runs (run_test, screenshots).
    """
    words = text if isinstance(text, str) else " ".join(str(t) for t in text)
    model = load_source(model_or_name, vocab=vocab, cell=cell, tokenizer=tokenizer)
    first = model_label(model_or_name)
    views = [ModelView.run(first, model, text, layer=layer)]
    if compare is not None:
        second = load_source(compare, vocab=vocab, cell=cell, tokenizer=tokenizer)
        views.append(ModelView.run(model_label(compare), second, text))
    lineup: list[Source] = [model_or_name]
    lineup += [name for name in WORD_DEMOS if name != first]
    return RnnvizApp(
        views, words, lineup, compare_with=compare, size=size, vocab=vocab, cell=cell, tokenizer=tokenizer
    )
