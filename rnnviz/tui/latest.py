"""Latest: "the latest request wins" for slow work, in one place (links, gradient flow, saturation).

A keypress may ask for work that takes a second on a big model (a links row, the flow curves at the
cursor). `Latest.request` runs it in a thread worker, one at a time: a request made while one is
computed waits, and a newer one replaces it, so holding an arrow key never queues a computation per
word. Each request gets a version number; the worker posts its result to the owner as a `Done`
message, and only the result of the newest request is handed to `on_result` — anything older is
dropped, both here and in the owner's queue (`Done.can_replace`). Everything but the computation
itself happens on the event loop: no attributes shared with the thread, no polling.

The owner (a widget or the app) routes the message back with one handler:

    def on_latest_done(self, message: Latest.Done) -> None:
        message.latest.finish(message)

Work that finishes in pieces (a links row extended backwards) calls `report(update)` from the thread
after each piece; the owner routes `Latest.Progress` to `message.latest.progress(message)`, which
hands the update of the newest request to `on_progress`. With `interrupt=True` a newer request also
tells the running worker to stop (it checks `cancelled()` between pieces); the newer one starts once
the stopped one has ended, so two never compete for the cores.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Generic, Protocol, TypeVar

from textual.message import Message
from textual.worker import Worker, get_current_worker

RequestT = TypeVar("RequestT")
ResultT = TypeVar("ResultT")


class WorkerOwner(Protocol):
    """What runs the workers and receives their messages: a widget, or the app."""

    def run_worker(
        self, work: Callable[[], None], *, group: str, description: str, thread: bool
    ) -> Worker: ...

    def post_message(self, message: Message) -> bool: ...


class Latest(Generic[RequestT, ResultT]):
    """Computes `compute(request)` off the event loop for the newest request and delivers its result."""

    class Done(Message):
        """A worker's result (posted from the thread, handled on the event loop)."""

        def __init__(self, latest: Latest, version: int, request: object, result: object) -> None:
            super().__init__()
            self.latest = latest
            self.version = version
            self.request = request
            self.result = result

        def can_replace(self, message: Message) -> bool:
            # Two results of the same Latest queued together: only the newer one is handled (a stopped
            # worker's late result must never push out the result of the request that replaced it).
            return (
                isinstance(message, Latest.Done)
                and message.latest is self.latest
                and message.version >= self.version
            )

    class Progress(Message):
        """A piece of a worker's result, before it is done (posted from the thread)."""

        def __init__(self, latest: Latest, version: int, request: object, update: object) -> None:
            super().__init__()
            self.latest = latest
            self.version = version
            self.request = request
            self.update = update

        def can_replace(self, message: Message) -> bool:
            # Updates are snapshots: a newer update or the result of the same request supersedes one.
            newer = isinstance(message, Latest.Progress | Latest.Done) and message.latest is self.latest
            return newer and message.version >= self.version  # type: ignore[union-attr]

    def __init__(
        self,
        owner: WorkerOwner,
        compute: Callable[[RequestT], ResultT],
        on_result: Callable[[RequestT, ResultT], None],
        *,
        group: str,
        description: str = "",
        on_progress: Callable[[RequestT, object], None] | None = None,
        interrupt: bool = False,
    ) -> None:
        self.owner = owner
        self.on_progress = on_progress
        self.interrupt = interrupt
        self.compute = compute
        self.on_result = on_result
        self.group = group
        self.description = description or group
        self.version = 0  # of the newest request
        self._waiting: tuple[int, RequestT] | None = None  # the newest request not yet started
        self._running: int | None = None  # the version a worker computes (None: no worker we wait for)
        self._worker: Worker | None = None

    @property
    def busy(self) -> bool:
        """A request is being computed or waits to be."""
        return self._running is not None or self._waiting is not None

    def request(self, request: RequestT) -> int:
        """Ask for `request`; it supersedes every earlier one. Returns its version."""
        self.version += 1
        self._waiting = (self.version, request)
        if self._running is None:
            self._start()
        elif self.interrupt and self._worker is not None:
            self._worker.cancel()  # it stops at its next check; its Done then starts this request
        return self.version

    def cancel(self) -> None:
        """Drop every request: a running worker is told to stop and its result will be ignored; the
        next request starts at once instead of waiting for it."""
        self.version += 1
        self._waiting = None
        self._running = None
        if self._worker is not None:
            self._worker.cancel()  # it checks `cancelled()` in its long loops
            self._worker = None

    def finish(self, message: Latest.Done) -> None:
        """On the event loop: start the request that waited, and deliver the result if it is the newest."""
        message.stop()
        if message.version == self._running:
            self._running, self._worker = None, None
        if self._running is None and self._waiting is not None:
            self._start()
        if message.version == self.version:
            self.on_result(message.request, message.result)  # type: ignore[arg-type]

    def progress(self, message: Latest.Progress) -> None:
        """On the event loop: hand a piece of the newest request's result to `on_progress`."""
        message.stop()
        if message.version == self.version and self.on_progress is not None:
            self.on_progress(message.request, message.update)  # type: ignore[arg-type]

    def _start(self) -> None:
        assert self._waiting is not None
        version, request = self._waiting
        self._waiting = None
        self._running = version
        work = partial(self._work, version, request)
        self._worker = self.owner.run_worker(
            work, thread=True, group=self.group, description=self.description
        )

    def _work(self, version: int, request: RequestT) -> None:
        _reporting.current = (self, version, request)
        try:
            result = self.compute(request)
        finally:
            _reporting.current = None
        # Posted even when cancelled: finish() must learn that the worker has ended (a stale result
        # is never handed on).
        self.owner.post_message(Latest.Done(self, version, request, result))


_reporting = threading.local()  # in a worker thread: (Latest, version, request) it computes


def report(update: object) -> None:
    """In a worker: post a piece of the result (to the owner's `on_progress`, if still the newest)."""
    latest, version, request = _reporting.current
    latest.owner.post_message(Latest.Progress(latest, version, request, update))


def cancelled() -> bool:
    """In a worker's long loop: whether to stop (the request was superseded, or the app is ending)."""
    return get_current_worker().is_cancelled
