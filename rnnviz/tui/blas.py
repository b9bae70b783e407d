"""One BLAS thread while the viewer runs.

The viewer's heavy work (memory links, gradient flow, saturation) runs in a worker thread beside the
event loop. With OpenBLAS's default of one thread per core, a worker's products occupy every core and
the event loop waits for a core to draw the next frame: measured on a 2-core machine with a
1,024-unit LSTM, keys repainted in 73 ms (median) while a links row extended, against 32 ms with one
BLAS thread, and the row itself finished 4× sooner. The limit is set when the app loads and undone
when it ends, so a script or notebook that opened the viewer gets its threads back.
"""

from __future__ import annotations

from typing import Any


class SingleBlasThread:
    """Limits BLAS to one thread between engage() and release() (threadpoolctl does the work)."""

    def __init__(self) -> None:
        self._limits: Any = None

    def engage(self) -> None:
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(limits=1, user_api="blas")

    def release(self) -> None:
        if self._limits is not None:
            self._limits.restore_original_limits()
            self._limits = None
