"""While the viewer runs, BLAS uses one thread (its workers leave a core for drawing); after, the
process has its threads back."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("textual")
threadpoolctl = pytest.importorskip("threadpoolctl")

import numpy as np  # noqa: E402,F401  (loads OpenBLAS, so threadpoolctl can see it)

from rnnviz.tui.app import make_app  # noqa: E402


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]


def test_one_blas_thread_while_the_viewer_runs_and_the_old_count_after() -> None:
    if not blas_threads():
        pytest.skip("no BLAS library that threadpoolctl can control")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):  # as on a 2-core machine
        before = blas_threads()
        run_viewer_and_check(before)


def run_viewer_and_check(before: list[int]) -> None:
    seen: list[list[int]] = []

    async def run() -> None:
        app = make_app("lstm")
        async with app.run_test() as pilot:
            await pilot.pause()
            seen.append(blas_threads())

    asyncio.run(run())
    assert seen == [[1] * len(before)]
    assert blas_threads() == before
