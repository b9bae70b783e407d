"""Ending promptly and cleanly: `q` while slow work runs, and SIGTERM/SIGHUP.

Textual runs thread workers on the event loop's default executor, and asyncio (then Python itself)
waits for its threads when the app ends: a gradient-flow or saturation computation on a big model
kept the prompt away for as long as it ran. `AbandoningExecutor` runs each job on a daemon thread
and does not wait at shutdown: the workers are cancelled (their loops check it) and whatever is
still inside NumPy is abandoned with the process.

A terminal closed under the app (SIGHUP) or a `kill` (SIGTERM) used to end the process on the spot,
leaving the terminal in the alternate screen with mouse reporting on. `SignalExit` turns them into
an ordinary `app.exit`, so the driver restores the terminal on the way out.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class AbandoningExecutor(ThreadPoolExecutor):
    """Each job on a new daemon thread; `shutdown` never waits for them."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:  # handed to whoever awaits the future (the worker)
                future.set_exception(error)
            else:
                future.set_result(result)

        threading.Thread(target=run, name="rnnviz-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to join: the threads are daemons, and a cancelled worker's result is not wanted."""


class SignalExit:
    """While installed, SIGTERM and SIGHUP call `exit(128 + signal number)` on the event loop."""

    def __init__(self, exit: Callable[[int], None]) -> None:
        self.exit = exit
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        loop = asyncio.get_running_loop()
        for signum in EXIT_SIGNALS:
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, lambda number, _frame: loop.call_soon_threadsafe(self.exit, 128 + number))

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
