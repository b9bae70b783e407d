"""MemoryActions: the app's memory tools — links tint and panel, `l`, swap `w`, ablation `a`/`A`, and
the "by memory" ranking. The app owns one (`app.memory`), calls `state_changed()` after every change
of cursor, unit, order or views, and routes its keys and worker messages to it; it knows the app
only through the MemoryHost protocol.

Everything slow runs in worker threads, the latest request winning (rnnviz.tui.latest); a keypress
reads caches and does at most about a millisecond of work. A links row that costs about a
millisecond (the demo models) is computed on the keypress itself; a costlier one (a long text, a big
model) waits until the cursor has rested for LINKS_REST seconds (an event-loop timer, restarted by
every request), so holding an arrow key does not queue a row for every word passed. That first row
may stop short of the full window (LINK_BUDGET); while the cursor rests, the same worker then extends
it backwards piece by piece (LinkCache.extend), and each piece is drawn as it lands. Moving the cursor
stops the extension between two segments of a piece (the links Latest interrupts); the pieces done so
far stay cached, and resting on the word again continues from them.
"""

from __future__ import annotations

from textual.timer import Timer

from rnnviz.analysis.links import DEFAULT_METHOD, method_spec, methods_for
from rnnviz.core.model import Model
from rnnviz.errors import RnnvizError, first_line
from rnnviz.numbers import percent
from rnnviz.tui.host import MemoryHost
from rnnviz.tui.latest import Latest, cancelled, report
from rnnviz.tui.screens.swap import Swap, SwapDialog, SwapScreen, make_swap, swap_problem
from rnnviz.tui.state.causalsort import EFFECTS, EffectJob, by_effect, effect_job
from rnnviz.tui.state.linkcache import LINK_BUDGET, LinkCache, LinkJob, Row, link_window
from rnnviz.tui.state.memorysort import by_memory, cached_ranking, compute_ranking
from rnnviz.tui.state.modelview import ModelView
from rnnviz.tui.widgets.ablation import Ablation, silence
from rnnviz.tui.widgets.textutil import visible

INSTANT_ROW = 2.5e7  # multiply-adds of a row cheap enough to run on the keypress; costlier go to a worker
LINKS_REST = 0.15  # seconds the cursor must rest before a costly row starts

SwapRequest = tuple[ModelView, int, str]  # (view, position, new word)
Ranked = list[tuple[Model, int, object]]  # (model, layer, ranking or why there is none)


class MemoryActions:
    """The memory tools of one app (see the module docstring)."""

    def __init__(self, host: MemoryHost) -> None:
        self.host = host
        self.links_method = DEFAULT_METHOD
        self.link_cache = LinkCache()
        # How costly a row may be, which rows are instant, and how long a costly one waits for rest.
        self.links_budget, self.instant_row, self.links_rest = LINK_BUDGET, INSTANT_ROW, LINKS_REST
        self.ablation: Ablation | None = None
        self._wanted: tuple[LinkJob, ...] = ()  # costly rows the panels wait for
        self._rest: Timer | None = None  # starts them once the cursor has rested
        self._seen_traces: tuple[int, ...] = ()
        self._ranking_asked: tuple = ()
        self.links: Latest[tuple[LinkJob, ...], None] = Latest(
            host,
            self._compute_rows,
            self._rows_ready,
            group="links",
            description="memory links at the cursor",
            on_progress=self._rows_progress,
            interrupt=True,
        )
        self._computing: tuple[tuple[int, str, int], ...] = ()  # the rows the links worker works on
        self.swapper: Latest[SwapRequest, Swap | str] = Latest(
            host, self._make_swap, self._show_swap, group="swap", description="counterfactual swap"
        )
        self.silencer: Latest[Ablation, Ablation | str] = Latest(
            host, self._silence_run, self._ablation_ready, group="ablation", description="silenced unit run"
        )
        self.ranker: Latest[list[tuple[Model, int]], Ranked] = Latest(
            host, self._rank, self._ranking_ready, group="ranking", description="rank units by memory"
        )
        self.effects: Latest[tuple[EffectJob, ...], str | None] = Latest(
            host, self._measure_effects, self._effects_ready, group="effects", description="unit effects"
        )
        self._effects_asked: tuple = ()

    @property
    def waiting(self) -> bool:
        """Work asked for and not on screen yet: a row waiting for the cursor to rest, or a worker."""
        latests = (self.links, self.swapper, self.silencer, self.ranker, self.effects)
        return self._rest is not None or any(latest.busy for latest in latests)

    def state_changed(self) -> None:
        """Bring links, ablation and ranking up to date with the cursor and views (cheap: caches only)."""
        traces = tuple(id(view.trace) for view in self.host.views)
        if traces != self._seen_traces:
            self._seen_traces = traces
            self._new_views()
        self._request_links()
        self._show_ablation()
        self._request_ranking()
        self._request_effects()

    def _new_views(self) -> None:
        # Silenced units belonged to the old run; the method may not exist for the new model.
        if self.ablation is not None:
            self.silencer.cancel()
            self.ablation = None
        if self.links_method not in methods_for(self.host.view.model):
            self.links_method = DEFAULT_METHOD

    # -- links ---------------------------------------------------------------------------------
    def _link_jobs(self) -> list[LinkJob | str]:
        """The row each panel shows: a job, or why the panel's model has none for this method."""
        host = self.host
        jobs: list[LinkJob | str] = []
        for panel in host.panels:
            view = panel.view
            refusal = method_spec(self.links_method).supports(view.model)
            if refusal is not None:
                jobs.append(f"{refusal}: press l for another method")
            else:
                step = min(host.cursor, view.steps - 1)
                window = link_window(view.model, self.links_method, self.links_budget)
                jobs.append(LinkJob(view.model, view.trace, self.links_method, step, window))
        return jobs

    def _request_links(self) -> None:
        jobs, rows = self._refresh_links()
        missing = tuple(
            job
            for job, row in zip(jobs, rows, strict=True)
            if isinstance(job, LinkJob) and (row is None or self.link_cache.extendable(job))
        )
        if self._rest is not None:
            self._rest.stop()
            self._rest = None
        self._wanted = missing
        if missing and _keys(missing) != self._computing:  # the worker already on them goes on
            # wait for the cursor to rest; every request starts the wait again
            self._rest = self.host.set_timer(self.links_rest, self._rested)

    def _refresh_links(self) -> tuple[list[LinkJob | str], list[Row | None]]:
        """Draw the rows the cache holds now (and the instant ones); the jobs and their rows."""
        jobs = self._link_jobs()
        rows = [job if isinstance(job, str) else self._instant_row(job) for job in jobs]
        self._show_links(jobs, rows)
        return jobs, rows

    def _rested(self) -> None:
        self._rest = None
        if self._wanted:
            # A row the cache already holds by then costs nothing; a worker still extending another
            # word's row stops at its next check.
            self._computing = _keys(self._wanted)
            self.links.request(self._wanted)

    def _instant_row(self, job: LinkJob) -> Row | None:
        """The cached row, or the row computed here when that takes about a millisecond (the demo
        models): a worker would cost a second frame, and the panel would flash "computing…"."""
        row = self.link_cache.get(job)
        if row is None and job.cost <= self.instant_row:
            row = self.link_cache.compute(job)
        return row

    def _compute_rows(self, jobs: tuple[LinkJob, ...]) -> None:
        """(worker thread) compute the rows into the cache, then extend them back piece by piece,
        posting each piece so that it is drawn."""
        cache = self.link_cache
        for job in jobs:
            if cancelled():
                return
            if cache.get(job) is None:
                cache.compute(job)
                report(job)
        for job in jobs:
            while not cancelled() and cache.extend(job, cancelled):
                report(job)

    def _rows_progress(self, jobs: tuple[LinkJob, ...], _: object) -> None:
        self._refresh_links()  # a piece is cached: draw it, without asking for work again

    def _rows_ready(self, jobs: tuple[LinkJob, ...], _: None) -> None:
        self._computing = ()
        self._request_links()  # the rows are cached now

    def _show_links(self, jobs: list[LinkJob | str], rows: list[Row | None]) -> None:
        host = self.host
        for panel, job, row in zip(host.panels, jobs, rows, strict=False):
            if isinstance(job, LinkJob):
                reach = self.link_cache.reach(job) or job.words
                # A row that stops short says how far it reaches, and how far it will while it extends.
                short = reach <= job.step
                goal = job.full_words if short and self.link_cache.extendable(job) else None
                shown = reach if short else None
                panel.links_panel.show(panel.view.tokens, job.step, self.links_method, row, shown, goal)
            else:
                step = min(host.cursor, panel.view.steps - 1)
                panel.links_panel.show(panel.view.tokens, step, self.links_method, row)
        bar = host.sentence_bar
        first = rows[0] if rows else None
        tint = first if not isinstance(first, str) else None
        if bar.links_row is not tint:
            bar.links_row = tint
        subtitle = f"tint: memory links by {self.links_method} · l method · w swap word · a silence unit"
        if str(bar.border_subtitle) != subtitle:
            bar.border_subtitle = subtitle

    def next_method(self) -> None:
        """`l`: the next links method the first model has."""
        methods = methods_for(self.host.view.model)
        position = methods.index(self.links_method) if self.links_method in methods else -1
        self.links_method = methods[(position + 1) % len(methods)]
        self._request_links()

    # -- counterfactual swap -----------------------------------------------------------------------
    def swap(self) -> None:
        """`w`: ask for a word to put at the cursor, then compare the two runs."""
        view = self.host.view
        position = min(self.host.cursor, view.steps - 1)

        def chosen(word: str | None) -> None:
            if word is not None:
                self.swapper.request((view, position, word))

        dialog = SwapDialog(view.tokens[position], position, lambda word: swap_problem(view.model, word))
        self.host.open_dialog(dialog, chosen)

    @staticmethod
    def _make_swap(request: SwapRequest) -> Swap | str:
        view, position, word = request
        try:
            return make_swap(view.model, view.tokens, position, word, view.layer)
        except RnnvizError as err:
            return first_line(err)

    def _show_swap(self, request: SwapRequest, swap: Swap | str) -> None:
        host = self.host
        if isinstance(swap, str):
            host.notify(swap, severity="error", timeout=6)
            return

        def closed(text: str | None) -> None:
            if text is not None:  # keep the swapped sentence: the models run on it
                host.run_models([v.name for v in host.views], text, cursor=host.cursor)

        host.open_dialog(SwapScreen(swap, request[0].name), closed)

    # -- unit ablation -------------------------------------------------------------------------
    def ablate(self) -> None:
        """`a`: silence the selected unit from the cursor on; a second press restores it."""
        if self.ablation is not None:
            self.restore()
        else:
            self._silence((self.host.selected_unit,))

    def ablate_add(self) -> None:
        """`A`: add the selected unit to the silenced ones (or take it out again)."""
        unit = self.host.selected_unit
        if self.ablation is None:
            self._silence((unit,))
            return
        units = set(self.ablation.units) ^ {unit}
        if units:
            self._silence(tuple(units), self.ablation.start)
        else:
            self.restore()

    def restore(self) -> None:
        """Escape: undo the silencing (nothing else to undo on the main screen)."""
        if self.ablation is not None:
            self.silencer.cancel()
            self.ablation = None
            self._show_ablation()

    def _silence(self, units: tuple[int, ...], start: int | None = None) -> None:
        view = self.host.view
        start = min(self.host.cursor, view.steps - 1) if start is None else start
        self.ablation = Ablation(view, tuple(sorted(units)), start)
        self._show_ablation()
        self.silencer.request(self.ablation)

    @staticmethod
    def _silence_run(pending: Ablation) -> Ablation | str:
        try:
            return silence(pending)
        except RnnvizError as err:
            return first_line(err)

    def _ablation_ready(self, pending: Ablation, done: Ablation | str) -> None:
        if isinstance(done, str):
            self.host.notify(done, severity="error", timeout=6)
        elif self.ablation is pending:  # not restored or replaced meanwhile
            self.ablation = done
            self._show_ablation()

    def _show_ablation(self) -> None:
        host = self.host
        for k, panel in enumerate(host.panels):
            ablation = self.ablation if k == 0 else None  # silencing acts on the first model
            widget = panel.ablation_panel
            widget.show(ablation, min(host.cursor, panel.view.steps - 1))
            panel.fit()  # shown or hidden with the other side panels, as the panel's size allows
        relayout = getattr(host, "relayout", None)  # the status line names it if it had no room
        if relayout is not None:
            relayout()

    # -- "by memory" order -----------------------------------------------------------------------
    def _request_ranking(self) -> None:
        if self.host.sort_mode.order is not by_memory:
            return
        needed = [(v.model, v.layer) for v in self.host.views if cached_ranking(v.model, v.layer) is None]
        key = tuple((id(model), layer % model.num_layers) for model, layer in needed)
        if needed and key != self._ranking_asked:
            self._ranking_asked = key
            self.ranker.request(needed)

    @staticmethod
    def _rank(needed: list[tuple[Model, int]]) -> Ranked:
        ranked: Ranked = []
        for model, layer in needed:
            if cancelled():
                break
            ranked.append((model, layer, compute_ranking(model, layer)))
        return ranked

    def _ranking_ready(self, needed: list[tuple[Model, int]], ranked: Ranked) -> None:
        self._ranking_asked = ()
        for _, _, result in ranked:
            if isinstance(result, str):
                self.host.notify(
                    f"by memory: {result}; units stay in index order", severity="warning", timeout=6
                )
        self.host.publish_state()  # the new order, where it applies

    # -- unit effects: the causal order, and each unit's effect in the inspector ---------------------
    def _effects_wanted(self) -> bool:
        """Effects are measured while units are ranked by memory (to set the probe against them) or by
        effect; other orders do not pay for them."""
        return self.host.sort_mode.order in (by_memory, by_effect)

    def _request_effects(self) -> None:
        host = self.host
        if not self._effects_wanted():
            self._effects_asked = ()
            if self.effects.busy:
                self.effects.cancel()
            self._show_effects()
            return
        jobs = tuple(effect_job(panel.view, host.cursor) for panel in host.panels)
        missing = tuple(job for job in jobs if EFFECTS.get(job) is None)
        key = tuple(job.key for job in missing)
        if missing and key != self._effects_asked:
            self._effects_asked = key
            self.effects.request(missing)
        elif not missing:
            self._effects_asked = ()
        self._show_effects()

    @staticmethod
    def _measure_effects(jobs: tuple[EffectJob, ...]) -> str | None:
        """(worker thread) every unit's effect for each job, into the cache; a problem as one line."""
        for job in jobs:
            if cancelled():
                return None
            try:
                EFFECTS.compute(job, stop=cancelled)
            except RnnvizError as err:
                return first_line(err)
        return None

    def _effects_ready(self, jobs: tuple[EffectJob, ...], problem: str | None) -> None:
        self._effects_asked = ()
        if problem is not None:
            self.host.notify(f"unit effects: {problem}", severity="warning", timeout=6)
        if self.host.sort_mode.order is by_effect:
            self.host.publish_state()  # the new order
        else:
            self._show_effects()

    def _show_effects(self) -> None:
        """The selected unit's measured effect under its gates, in every panel."""
        host = self.host
        wanted = self._effects_wanted()
        for panel in host.panels:
            lines: tuple[str, ...] = ()
            if wanted:
                job = effect_job(panel.view, host.cursor)
                effects = EFFECTS.get(job)
                unit = min(host.selected_unit, panel.view.units - 1)
                start = visible(panel.view.tokens[job.start])
                if effects is None:
                    lines = ("effect of silencing: computing…",)
                else:
                    lines = (
                        f"silenced from “{start}” on,",
                        f"it moves this prediction {percent(float(effects[unit]))}",
                    )
                if host.sort_mode.order is by_memory:
                    lines += ("order: a probe's ranking, not its effect",)
            panel.inspector.set_note(lines)


def _keys(jobs: tuple[LinkJob, ...]) -> tuple[tuple[int, str, int], ...]:
    """What identifies the rows of jobs (a job holds arrays, which do not compare as values)."""
    return tuple((id(job.trace), job.method, job.step) for job in jobs)
