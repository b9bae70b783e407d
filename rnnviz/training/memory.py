"""Keep freed memory in the process for reuse, so a training step does not page-fault its arrays in.

A training step allocates the same few megabytes of temporaries every time (gates, states, their
gradients, logits). glibc's malloc hands blocks above its mmap threshold straight back to the
kernel when they are freed, and trims the heap top once more than the trim threshold is free; the
next step then touches fresh pages, one minor fault per 4 kB. Measured on a step of the bundled size
(LSTM H=64, V=72, B=32, T=35): about 1,000 faults a step, a quarter to a third of its time. Raising
both thresholds once makes every later step reuse the same memory (zero faults a step).

This changes the whole process's malloc (memory freed is kept, up to the trim threshold, instead of
returned to the system), which is why only training asks for it. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest dynamic mmap threshold (HEAP_MAX / 2 on 64-bit)
TRIM_THRESHOLD = 256 * 1024 * 1024  # free memory kept at the heap top before it goes back

_done = False


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (once); False where there is no glibc."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt, nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return _done
