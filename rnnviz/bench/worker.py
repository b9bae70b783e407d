"""One section under one thread setting, in its own process: `python -m rnnviz.bench.worker SECTION
SCOPE REPEATS THREADS` prints the section's figures as one JSON object on stdout (the parent sets the
thread environment; THREADS tells the section which setting it runs under)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from time import perf_counter

from rnnviz.bench.machine import openblas_runtime
from rnnviz.bench.sections import SECTIONS


def main(argv: Sequence[str] | None = None) -> int:
    name, scope, repeats, threads = list(sys.argv[1:] if argv is None else argv)
    start = perf_counter()
    result = SECTIONS[name].runner()(scope, int(repeats), threads)
    runtime = openblas_runtime()
    report = {
        "result": result,
        "blas_threads": None if runtime is None else runtime["threads"],
        "seconds": perf_counter() - start,
    }
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
