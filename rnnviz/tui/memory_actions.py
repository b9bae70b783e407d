"""MemoryActions: the app's memory tools — links tint and panel, `l`, swap `w`, ablation `a`/`A`, and the
"by memory" ranking — mixed into RnnvizApp, which calls `init_memory_actions()` once and
`memory_state_changed()` after every change of cursor, unit, order or views.

Everything slow runs in worker threads and reports back with call_from_thread; a keypress reads
caches and does at most about a millisecond of work. Links use one worker at a time that always
computes the latest request: when the cursor moves on while a row is computed, the stale row is
still cached but not waited for. A row that costs about a millisecond (the demo models) is computed
on the keypress itself; a costlier one (a long text, a big model) waits in the worker until the
cursor has rested for LINKS_REST seconds, so holding an arrow key does not queue a row for every
word passed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work
from textual.worker import Worker, get_current_worker

from rnnviz.analysis.links import DEFAULT_METHOD, method_spec, methods_for
from rnnviz.core.model import Model
from rnnviz.errors import RnnvizError, first_line
from rnnviz.tui.screens.swap import Swap, SwapDialog, SwapScreen, make_swap, swap_problem
from rnnviz.tui.state.linkcache import LINK_BUDGET, LinkCache, LinkJob, Row, link_window
from rnnviz.tui.state.memorysort import by_memory, cached_ranking, compute_ranking
from rnnviz.tui.widgets.ablation import Ablation, silence

if TYPE_CHECKING:
    from rnnviz.tui.app import RnnvizApp
    from rnnviz.tui.state.modelview import ModelView

INSTANT_ROW = 2.5e7  # multiply-adds of a row computed on the keypress (~2 ms); costlier ones go to a worker
LINKS_REST = 0.15  # seconds the cursor must rest before a costly row starts


class MemoryActions:
    """Mixin for RnnvizApp (uses its views, panels, cursor, selected_unit, sentence_bar, open_dialog)."""

    def init_memory_actions(self) -> None:
        self.links_method = DEFAULT_METHOD
        self.link_cache = LinkCache()
        self._links_wanted: tuple[LinkJob, ...] = ()
        self._links_asked = 0.0  # time.monotonic() of the latest request
        # How costly a row may be, which rows are instant, and how long a costly one waits for rest.
        self.links_budget, self.instant_row, self.links_rest = LINK_BUDGET, INSTANT_ROW, LINKS_REST
        self._links_worker: Worker | None = None  # None once it has reported back
        self.ablation: Ablation | None = None
        self._seen_traces: tuple[int, ...] = ()
        self._ranking: set[tuple[int, int]] = set()  # (id(model), layer) being ranked

    @property
    def _app(self) -> RnnvizApp:
        return self  # type: ignore[return-value]

    def memory_state_changed(self) -> None:
        """Bring links, ablation and ranking up to date with the cursor and views (cheap: caches only)."""
        app = self._app
        traces = tuple(id(view.trace) for view in app.views)
        if traces != self._seen_traces:
            self._seen_traces = traces
            self._new_views()
        self._request_links()
        self._show_ablation()
        self._request_ranking()

    def _new_views(self) -> None:
        # Silenced units belonged to the old run; the method may not exist for the new model.
        if self.ablation is not None:
            self.ablation = None
        if self.links_method not in methods_for(self._app.view.model):
            self.links_method = DEFAULT_METHOD

    # -- links ---------------------------------------------------------------------------------
    def _link_jobs(self) -> list[LinkJob | str]:
        """The row each panel shows: a job, or why the panel's model has none for this method."""
        app = self._app
        jobs: list[LinkJob | str] = []
        for panel in app.panels:
            view = panel.view
            refusal = method_spec(self.links_method).supports(view.model)
            if refusal is not None:
                jobs.append(f"{refusal}: press l for another method")
            else:
                step = min(app.cursor, view.steps - 1)
                window = link_window(view.model, self.links_method, self.links_budget)
                jobs.append(LinkJob(view.model, view.trace, self.links_method, step, window))
        return jobs

    def _request_links(self) -> None:
        jobs = self._link_jobs()
        rows = [job if isinstance(job, str) else self._instant_row(job) for job in jobs]
        self._show_links(jobs, rows)
        missing = tuple(job for job, row in zip(jobs, rows, strict=True) if row is None)
        self._links_wanted = missing  # type: ignore[assignment]  # only jobs are ever missing
        if missing:  # (none missing: a waiting worker has nothing left to do and ends)
            self._links_asked = time.monotonic()
            if self._links_worker is None:
                self._links_worker = self._compute_links()

    def _instant_row(self, job: LinkJob) -> Row | None:
        """The cached row, or the row computed here when that takes about a millisecond (the demo
        models): a worker would cost a second frame, and the panel would flash "computing…"."""
        row = self.link_cache.get(job)
        if row is None and job.cost <= self.instant_row:
            row = self.link_cache.compute(job)
        return row

    def _show_links(self, jobs: list[LinkJob | str], rows: list[Row | None]) -> None:
        app = self._app
        for panel, job, row in zip(app.panels, jobs, rows, strict=False):
            if isinstance(job, LinkJob):
                reach = job.window if job.window <= job.step else None  # a row that stops short says so
                panel.links_panel.show(panel.view.tokens, job.step, self.links_method, row, reach)
            else:
                step = min(app.cursor, panel.view.steps - 1)
                panel.links_panel.show(panel.view.tokens, step, self.links_method, row)
        bar = app.sentence_bar
        first = rows[0] if rows else None
        tint = first if not isinstance(first, str) else None
        if bar.links_row is not tint:
            bar.links_row = tint
        subtitle = f"tint: memory links by {self.links_method} · l method · w swap word · a silence unit"
        if str(bar.border_subtitle) != subtitle:
            bar.border_subtitle = subtitle

    @work(thread=True, exclusive=True, group="links", description="memory links at the cursor")
    def _compute_links(self) -> None:
        """Compute the wanted rows; if the cursor moved meanwhile, go on with the newest request."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            wanted = self._links_wanted
            if not self._cursor_rested(worker, wanted):
                continue  # the cursor moved on while we waited: take the newer request
            for job in wanted:
                if worker.is_cancelled or self._links_wanted is not wanted:
                    break  # superseded: the cursor moved on
                self.link_cache.compute(job)
            if self._links_wanted is wanted:
                break
        if not worker.is_cancelled:
            self._app.call_from_thread(self._links_ready)

    def _cursor_rested(self, worker: Worker, wanted: tuple[LinkJob, ...]) -> bool:
        """Sleep until no request has come for links_rest seconds; False if a newer one came meanwhile."""
        while not worker.is_cancelled:
            waited = time.monotonic() - self._links_asked
            if waited >= self.links_rest:
                return self._links_wanted is wanted
            time.sleep(min(self.links_rest - waited, 0.05))
        return False

    def _links_ready(self) -> None:
        self._links_worker = None  # the worker is about to end: the next request starts a new one
        self._request_links()

    def action_links_method(self) -> None:
        methods = methods_for(self._app.view.model)
        position = methods.index(self.links_method) if self.links_method in methods else -1
        self.links_method = methods[(position + 1) % len(methods)]
        self._request_links()

    # -- counterfactual swap -----------------------------------------------------------------------
    def action_swap(self) -> None:
        app = self._app
        view = app.view
        position = min(app.cursor, view.steps - 1)

        def chosen(word: str | None) -> None:
            if word is not None:
                self._run_swap(view, position, word)

        dialog = SwapDialog(view.tokens[position], position, lambda word: swap_problem(view.model, word))
        app.open_dialog(dialog, chosen)

    @work(thread=True, exclusive=True, group="swap", description="counterfactual swap")
    def _run_swap(self, view: ModelView, position: int, word: str) -> None:
        app = self._app
        try:
            swap = make_swap(view.model, view.tokens, position, word, view.layer)
        except RnnvizError as err:
            app.call_from_thread(app.notify, first_line(err), severity="error", timeout=6)
            return
        if not get_current_worker().is_cancelled:
            app.call_from_thread(self._show_swap, swap, view.name)

    def _show_swap(self, swap: Swap, name: str) -> None:
        app = self._app

        def closed(text: str | None) -> None:
            if text is not None:  # keep the swapped sentence: the models run on it
                app.run_models([v.name for v in app.views], text, cursor=app.cursor)

        app.open_dialog(SwapScreen(swap, name), closed)

    # -- unit ablation -------------------------------------------------------------------------
    def action_ablate(self) -> None:
        """Silence the selected unit from the cursor on; a second press restores it."""
        if self.ablation is not None:
            self.action_restore()
        else:
            self._silence((self._app.selected_unit,))

    def action_ablate_add(self) -> None:
        """Add the selected unit to the silenced ones (or take it out again)."""
        unit = self._app.selected_unit
        if self.ablation is None:
            self._silence((unit,))
            return
        units = set(self.ablation.units) ^ {unit}
        if units:
            self._silence(tuple(units), self.ablation.start)
        else:
            self.action_restore()

    def action_restore(self) -> None:
        """Escape: undo the silencing (nothing else to undo on the main screen)."""
        if self.ablation is not None:
            self.workers.cancel_group(self, "ablation")  # type: ignore[attr-defined]
            self.ablation = None
            self._show_ablation()

    def _silence(self, units: tuple[int, ...], start: int | None = None) -> None:
        app = self._app
        view = app.view
        start = min(app.cursor, view.steps - 1) if start is None else start
        self.ablation = Ablation(view, tuple(sorted(units)), start)
        self._show_ablation()
        self._run_ablation(self.ablation)

    @work(thread=True, exclusive=True, group="ablation", description="silenced unit run")
    def _run_ablation(self, pending: Ablation) -> None:
        app = self._app
        try:
            done = silence(pending)
        except RnnvizError as err:
            app.call_from_thread(app.notify, first_line(err), severity="error", timeout=6)
            return
        if not get_current_worker().is_cancelled:
            app.call_from_thread(self._ablation_ready, pending, done)

    def _ablation_ready(self, pending: Ablation, done: Ablation) -> None:
        if self.ablation is pending:  # not restored or replaced meanwhile
            self.ablation = done
            self._show_ablation()

    def _show_ablation(self) -> None:
        app = self._app
        for k, panel in enumerate(app.panels):
            ablation = self.ablation if k == 0 else None  # silencing acts on the first model
            widget = panel.ablation_panel
            if widget.display != (ablation is not None):
                widget.display = ablation is not None
            widget.show(ablation, min(app.cursor, panel.view.steps - 1))

    # -- "by memory" order -----------------------------------------------------------------------
    def _request_ranking(self) -> None:
        app = self._app
        if app.sort_mode.order is not by_memory:
            return
        for view in app.views:
            key = (id(view.model), view.layer % view.model.num_layers)
            if cached_ranking(view.model, view.layer) is None and key not in self._ranking:
                self._ranking.add(key)
                self._rank_units(view.model, view.layer, key)

    @work(thread=True, group="ranking", description="rank units by memory")
    def _rank_units(self, model: Model, layer: int, key: tuple[int, int]) -> None:
        result = compute_ranking(model, layer)
        if not get_current_worker().is_cancelled:
            self._app.call_from_thread(self._ranking_ready, key, result)

    def _ranking_ready(self, key: tuple[int, int], result: object) -> None:
        app = self._app
        self._ranking.discard(key)
        if isinstance(result, str):
            app.notify(f"by memory: {result}; units stay in index order", severity="warning", timeout=6)
        app._push_state()  # the new order, where it applies
