"""The bench's train section in parts: its cases, the busy core it starts and stops, its goals, and one
measured case end to end (figures present and consistent, never compared with a time)."""

from __future__ import annotations

import pytest

from rnnviz.bench import train
from rnnviz.bench.goals import train_goals


def test_cases_cover_every_cell_size_and_vocabulary() -> None:
    found = train.cases("default")
    sentence_cases = {(c.cell, c.hidden, c.vocab) for c in found if c.data == "sentences"}
    assert sentence_cases == {(c, h, v) for c in train.CELLS for h in (64, 256) for v in (72, 10_000)}
    assert train.cases("quick") == [train.BUNDLED]
    assert all(c.steps == (100 if c.data == "chars" else 35) for c in found)


def test_busy_core_runs_only_inside_its_block() -> None:
    with train.BusyCore() as busy:
        assert busy.process.poll() is None
    assert busy.process.poll() is not None


def _row(label: str, single: float, default: float, auto: float) -> dict:
    return {"label": label, "ratio_single": single, "ratio_default": default, "default_vs_single": auto}


def test_goals_name_the_bundled_case_and_the_worst_of_the_grid() -> None:
    bundled = train.BUNDLED.label
    rows = [_row(bundled, 0.9, 0.8, 1.0), _row("gru H=256 V=10,000 sentences", 1.2, 0.7, 0.9)]
    goals = train_goals({"rows": rows, "busy_rows": [_row(bundled, 0.95, 0.5, 1.1)]})
    by_figure = {goal.figure: goal for goal in goals}
    worst = by_figure[
        "train step, worst of 2 cases (gru H=256 V=10,000 sentences): rnnviz / torch (1 thread)"
    ]
    assert worst.measured == 1.2 and worst.met is False
    assert by_figure[f"train step {bundled}: rnnviz default threads / 1 thread"].met is True
    assert by_figure[f"train step {bundled}: rnnviz default threads / 1 thread, one core busy"].met is False
    assert train_goals(None) == []


def test_one_case_measures_every_candidate_on_the_same_model() -> None:
    pytest.importorskip("torch")
    from rnnviz.bench.torchside import import_torch

    torch = import_torch()
    row = train.measure(train.BUNDLED, 1, torch, int(torch.get_num_threads()))
    for name in ("rnnviz_single", "rnnviz_auto", "rnnviz_blas_default", "torch_single", "torch_default"):
        assert row[name]["runs"] >= 1 and row[name]["median_ms"] > 0
    assert row["auto_choice"] in ("single", "default")
    assert row["first_loss_diff"] < 1e-4  # float32: the same weights and batch give the same loss
