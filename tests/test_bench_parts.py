"""The bench's parts in-process: timing rounds, section selection, goal checks, the torch twin."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from rnnviz.bench import forward
from rnnviz.bench.forward import HEADLINE, Case
from rnnviz.bench.goals import check
from rnnviz.bench.models import corpus_words, random_model, random_words
from rnnviz.bench.sections import SECTIONS, parse_only
from rnnviz.bench.timing import time_blocks, time_rounds


def test_time_rounds_warms_up_then_alternates_candidates() -> None:
    calls: list[str] = []
    timings = time_rounds(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=3, warmup=2
    )
    assert calls == ["a", "b"] * 5  # 2 untimed rounds, then 3 timed ones, alternating
    assert {name: t.runs for name, t in timings.items()} == {"a": 3, "b": 3}
    assert all(0 <= t.fastest <= t.median for t in timings.values())


def test_time_rounds_stops_at_the_budget_after_the_minimum_rounds() -> None:
    timings = time_rounds({"a": lambda: None}, repeats=1000, warmup=0, budget=0.0, min_repeats=4)
    assert timings["a"].runs == 4


def test_parse_only_keeps_the_bench_order_and_rejects_unknown_names() -> None:
    assert parse_only(None) == list(SECTIONS)
    assert parse_only(" links , forward ") == ["forward", "links"]
    with pytest.raises(ValueError, match="unknown bench section fast"):
        parse_only("forward,fast")


def _sections(ratio: float, occlusion_ms: float, large: tuple[int, int]) -> dict:
    row = {"label": HEADLINE.label, "ratio": ratio}
    link_figures = {m: {"median_ms": occlusion_ms} for m in ("occlusion", "gradient", "integrated")}
    return {
        "forward": {"single": {"result": {"rows": [row]}}},
        "links": {
            "default": {
                "result": {"steps": 100, "hidden": 256, "embedding": 256, "vocab": 10_000, **link_figures}
            }
        },
        "keypress": {
            "default": {
                "result": {
                    "demo": {"median_ms": 10.0},
                    "large": {"hidden": large[0], "words": large[1], "median_ms": 40.0},
                }
            }
        },
    }


def test_goals_compare_each_figure_with_its_limit() -> None:
    goals = {g.figure: g for g in check(_sections(ratio=1.2, occlusion_ms=250.0, large=(1024, 1000)))}
    assert goals["forward lstm H=256 T=512 L=2 float32, rnnviz / torch (1 thread)"].met is True
    occlusion = next(g for name, g in goals.items() if name.startswith("links occlusion"))
    integrated = next(g for name, g in goals.items() if name.startswith("links integrated"))
    assert occlusion.met is True and integrated.met is False  # 250 ms: within 300, beyond 100
    large = next(g for name, g in goals.items() if "H=1024" in name)
    assert large.met is False and large.limit == 33


def test_goals_skip_figures_measured_at_other_sizes() -> None:
    goals = check(_sections(ratio=2.0, occlusion_ms=1.0, large=(256, 200)))
    figures = [g.figure for g in goals]
    assert not any("H=128 × T=100" in f for f in figures)  # the quick stand-in has no goal
    assert next(g for g in goals if g.figure.startswith("forward")).met is False


def test_forward_without_torch_measures_rnnviz_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    monkeypatch.setattr(forward, "cases", lambda scope: [Case("gru", 8, 5, 1)])
    result = forward.run("quick", repeats=1, threads="single")
    assert result["torch"] is None
    (row,) = result["rows"]
    assert row["rnnviz"]["median_ms"] > 0 and "torch" not in row and "ratio" not in row


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_torch_twin_runs_the_same_model(cell: str) -> None:
    torch = pytest.importorskip("torch")
    from rnnviz.bench.torchside import TorchTwin

    model = random_model(cell, hidden=16, embedding=8, vocab_size=30, layers=2, seed=3)
    words = random_words(model, 12, seed=1)
    trace = model.run(words)
    twin = TorchTwin(torch, model)
    ids = twin.ids(trace.ids)
    np.testing.assert_allclose(twin.run(ids, decode=False).numpy()[:, 0], trace.hidden[-1], rtol=0, atol=1e-5)
    np.testing.assert_allclose(twin.run(ids, decode=True).numpy()[:, 0], trace.probs, rtol=0, atol=1e-6)


def test_bench_models_and_texts_have_the_asked_sizes() -> None:
    model = random_model("lstm", hidden=32, embedding=16, vocab_size=50, layers=2)
    assert (model.hidden_size, model.embedding_size, len(model.vocab), model.num_layers) == (32, 16, 50, 2)
    assert model.dtype == np.float32
    words = random_words(model, 40)
    assert len(words) == 40 and "<unk>" not in words
    assert len(corpus_words(1234)) == 1234


def test_time_blocks_runs_each_candidate_on_its_own() -> None:
    calls: list[str] = []
    timings = time_blocks(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=2, warmup=1, settle=0
    )
    assert calls == ["a"] * 3 + ["b"] * 3
    assert timings["a"].runs == timings["b"].runs == 2


def test_settle_goals_cover_every_binding_and_the_storm() -> None:
    every = {"median_ms": 40.0, "p90_ms": 200.0}
    found = {"all": every, "keys": {}, "storm": {"keys": 300, "seconds": 2.0, "settled": True}}
    goals = {g.figure: g for g in check({"settle": {"default": {"result": found}}})}
    assert goals["key → settled screen, every binding (median)"].met is True
    assert goals["key → settled screen, every binding (p90)"].met is False
    assert goals["300 random keys drain"].met is True
    found["storm"]["settled"] = False  # a storm that never drained has no figure, not a good one
    goals = {g.figure: g for g in check({"settle": {"default": {"result": found}}})}
    assert goals["300 random keys drain"].met is None


def test_settle_waits_for_the_workers_a_key_started() -> None:
    pytest.importorskip("textual")
    import asyncio

    from rnnviz.bench.settle import busy, settle
    from rnnviz.tui.app import make_app

    async def main() -> None:
        app = make_app("lstm")
        async with app.run_test() as pilot:
            await pilot.press("m")  # runs the next model in a worker
            assert await settle(pilot)
            assert not busy(app)
            assert app.view.name == "rnn"  # the worker's result is on screen once settled

    asyncio.run(main())
