"""The links registry: every method carries a summary, a cost model and a scope whose refusals explain
themselves, and its rows sum to 1; a method added from outside (a toy "uniform" one) reaches links(),
`rnnviz render --links` and the viewer's cost lookup without any other edit."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import numpy as np
import pytest
from conftest import CELL_TYPES, random_model

from rnnviz.analysis import links as memory
from rnnviz.analysis.links import (
    DEFAULT_METHOD,
    DEFAULT_WINDOW,
    METHODS,
    LinkMethod,
    link_rows,
    links,
    method_spec,
    methods_for,
    register,
    unregister,
)
from rnnviz.cli import main
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import InputError
from rnnviz.tui.state.linkcache import MIN_WINDOW, LinkCache, LinkJob, link_window, row_cost

IDS = np.array([5, 6, 7, 8, 4, 9, 0, 11, 12, 5, 6])


def small_model(cell: str) -> Model:
    return random_model(cell, layers=2, vocab=20, embedding=6, hidden=9, seed=4, dtype="float64")


def test_every_method_has_a_summary_and_a_cost_that_grows_with_the_work() -> None:
    assert next(iter(METHODS)) == DEFAULT_METHOD
    model = small_model("lstm")
    for name, spec in METHODS.items():
        assert spec.name == name
        assert spec.summary and "\n" not in spec.summary and len(spec.summary) <= 100
        one = spec.cost(model, 16, 1)
        assert math.isfinite(one) and one > 0
        assert spec.cost(model, 64, 1) > one, f"{name}: a longer window must cost more"
        assert spec.cost(model, 16, 4) > one, f"{name}: more rows must cost more"


@pytest.mark.parametrize("cell", CELL_TYPES)
def test_every_method_the_model_supports_gives_rows_summing_to_one(cell: str) -> None:
    model = small_model(cell)
    trace = model.run_ids(IDS)
    supported = methods_for(model)
    assert supported[0] == DEFAULT_METHOD
    for name in supported:
        rows = link_rows(model, trace, [2, 7, 10], name, window=5, steps=4)
        assert rows.shape == (3, len(IDS))
        assert (rows >= 0).all()
        np.testing.assert_allclose(rows.sum(axis=1), 1)


@pytest.mark.parametrize("cell", CELL_TYPES)
def test_a_method_that_does_not_apply_says_why(cell: str) -> None:
    model = small_model(cell)
    trace = model.run_ids(IDS)
    for name, spec in METHODS.items():
        reason = spec.supports(model)
        assert (reason is None) == (name in methods_for(model))
        if reason is not None:
            assert name in reason and len(reason) > len(name) + 10
            with pytest.raises(InputError, match=re.escape(reason)):
                link_rows(model, trace, [3], name)


def test_an_unknown_method_is_an_error_everywhere_not_a_cheap_guess() -> None:
    model = small_model("gru")
    with pytest.raises(InputError, match="unknown links method 'saliency'.*occlusion"):
        method_spec("saliency")
    with pytest.raises(InputError, match="unknown links method"):
        row_cost(model, "saliency", 16)
    with pytest.raises(InputError, match="unknown links method"):
        link_window(model, "saliency")


def test_the_viewers_row_cost_is_the_methods_cost_model() -> None:
    model = small_model("lstm")
    for name, spec in METHODS.items():
        assert row_cost(model, name, 40) == spec.cost(model, 40, 1)


# -- a method added from outside -------------------------------------------------------------------
def uniform_rows(model: Model, trace: Trace, targets: np.ndarray, window: int, steps: int) -> np.ndarray:
    """Every word in the window counts the same."""
    out = np.zeros((len(targets), len(trace)), dtype=model.dtype)
    for row, t in enumerate(targets):
        out[row, max(0, t - window + 1) : t + 1] = 1
    return out


def only_gru(model: Model) -> str | None:
    return None if model.cell == "gru" else f"uniform is a toy for GRUs (this model is a {model.cell})"


@pytest.fixture
def uniform() -> Iterator[LinkMethod]:
    spec = register(
        LinkMethod(
            name="uniform",
            summary="every word in the window alike (a toy)",
            rows=uniform_rows,
            cost=lambda model, window, rows: 1e12 * rows * window,  # never on the keypress
            supports=only_gru,
        )
    )
    yield spec
    unregister("uniform")
    assert "uniform" not in METHODS


def test_a_registered_method_is_one_links_can_compute(uniform: LinkMethod) -> None:
    model = small_model("gru")
    table = links(model, model.run_ids(IDS), method="uniform", window=4)
    for t in range(len(IDS)):
        first = max(0, t - 3)
        np.testing.assert_allclose(table[t, first : t + 1], 1 / (t + 1 - first))
        assert not table[t, :first].any() and not table[t, t + 1 :].any()
    assert "uniform" in methods_for(model) and methods_for(model)[0] == DEFAULT_METHOD
    assert "uniform" not in methods_for(small_model("lstm"))
    with pytest.raises(InputError, match="a toy for GRUs"):
        links(small_model("lstm"), small_model("lstm").run_ids(IDS), method="uniform")


def test_a_registered_method_is_a_render_links_choice(
    uniform: LinkMethod, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", "gru", "--text", "the dog sat and it barked .", "--links", "uniform"]) == 0
    assert "(uniform)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["render", "gru", "--links", "saliency"])
    assert "saliency" in capsys.readouterr().err


def test_a_registered_method_is_priced_by_the_viewer_with_its_own_cost(uniform: LinkMethod) -> None:
    model = small_model("gru")
    assert row_cost(model, "uniform", 10) == 1e13
    assert link_window(model, "uniform", budget=1e14) == 100  # 1e12 a word: 100 words fit
    assert link_window(model, "uniform", budget=1e13) == MIN_WINDOW  # nothing fits: the smallest window
    assert link_window(model, "uniform", budget=1e15) == DEFAULT_WINDOW
    job = LinkJob(model, model.run_ids(IDS), "uniform", step=6, window=4)
    assert job.cost == 4e12
    row = LinkCache().compute(job)
    np.testing.assert_allclose(row, np.r_[np.zeros(3), np.full(4, 0.25), np.zeros(4)])


def test_the_package_exports_what_importers_use() -> None:
    for name in ("links", "link_rows", "top_links", "methods_for", "DEFAULT_WINDOW", "DEFAULT_STEPS"):
        assert hasattr(memory, name), name
    assert memory.DENSE_LIMIT == 4096
