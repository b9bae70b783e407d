"""rnnviz.core.grad beyond the training loss: cotangents given as {t: (B, H)} maps, on the cell state too,
gradients w.r.t. the initial state, and one recorded sentence carrying many cotangents at once."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CELL_TYPES

from rnnviz.core.cells import GATE_COUNT, LayerWeights, run_layer
from rnnviz.core.grad import layer_backward
from rnnviz.core.model import parse_cell

STEPS, BATCH, INPUTS, HIDDEN = 5, 2, 3, 4


def setup(cell_name: str, seed: int = 0):
    cell, nonlinearity = parse_cell(cell_name)
    rng = np.random.default_rng(seed)
    gates = GATE_COUNT[cell] * HIDDEN
    w = LayerWeights(
        w_ih=rng.uniform(-0.7, 0.7, (gates, INPUTS)),
        w_hh=rng.uniform(-0.7, 0.7, (gates, HIDDEN)),
        b_ih=rng.uniform(-0.5, 0.5, gates),
        b_hh=rng.uniform(-0.5, 0.5, gates),
    )
    x = rng.normal(size=(STEPS, BATCH, INPUTS))
    # Cotangents at two steps only, and on the LSTM cell state at one: L = Σ <dh_t, h_t> + <dc_t, c_t>.
    dh = {1: rng.normal(size=(BATCH, HIDDEN)), 4: rng.normal(size=(BATCH, HIDDEN))}
    dc = {2: rng.normal(size=(BATCH, HIDDEN))} if cell == "lstm" else None
    return cell, nonlinearity, w, x, dh, dc


def functional(cell, nonlinearity, w, x, dh, dc, h0=None, c0=None) -> float:
    run = run_layer(cell, x, w, h0=h0, c0=c0, nonlinearity=nonlinearity)
    total = sum(float(np.vdot(v, run.h[t])) for t, v in dh.items())
    if dc:
        total += sum(float(np.vdot(v, run.c[t])) for t, v in dc.items())
    return total


def numeric_gradient(f, value: np.ndarray, step: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        original = value[index]
        value[index] = original + step
        plus = f()
        value[index] = original - step
        minus = f()
        value[index] = original
        out[index] = (plus - minus) / (2 * step)
    return out


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


@pytest.mark.parametrize("cell_name", CELL_TYPES)
def test_mapping_cotangents_match_finite_differences(cell_name: str) -> None:
    cell, nonlinearity, w, x, dh, dc = setup(cell_name)
    run = run_layer(cell, x, w, nonlinearity=nonlinearity)
    grads = layer_backward(
        cell, run, x, w, dh, batch=BATCH, dc=dc, nonlinearity=nonlinearity, need_params=True
    )

    def f() -> float:
        return functional(cell, nonlinearity, w, x, dh, dc)

    checks = {"x": (grads.dx, x)}
    for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
        checks[name] = (getattr(grads.params, name), getattr(w, name))
    for name, (analytic, value) in checks.items():
        error = relative_error(analytic, numeric_gradient(f, value))
        assert error < 1e-6, f"{cell_name} {name}: relative error {error:.2e}"


@pytest.mark.parametrize("cell_name", CELL_TYPES)
def test_initial_state_gradients(cell_name: str) -> None:
    cell, nonlinearity, w, x, dh, dc = setup(cell_name, seed=1)
    run = run_layer(cell, x, w, nonlinearity=nonlinearity)
    grads = layer_backward(cell, run, x, w, dh, batch=BATCH, dc=dc, nonlinearity=nonlinearity)
    h0, c0 = np.zeros((BATCH, HIDDEN)), np.zeros((BATCH, HIDDEN))

    def f() -> float:
        return functional(cell, nonlinearity, w, x, dh, dc, h0=h0, c0=c0 if cell == "lstm" else None)

    assert relative_error(grads.dh0, numeric_gradient(f, h0)) < 1e-6
    if cell == "lstm":
        assert relative_error(grads.dc0, numeric_gradient(f, c0)) < 1e-6
    else:
        assert grads.dc0 is None


@pytest.mark.parametrize("cell_name", CELL_TYPES)
def test_one_sentence_carries_many_cotangents(cell_name: str) -> None:
    """A batch-1 run with K cotangents gives, row by row, what K separate backward passes give."""
    cell, nonlinearity, w, x, _, _ = setup(cell_name, seed=2)
    sentence = x[:, :1]
    run = run_layer(cell, sentence, w, nonlinearity=nonlinearity)
    rng = np.random.default_rng(5)
    many = {3: rng.normal(size=(6, HIDDEN)), 4: rng.normal(size=(6, HIDDEN))}
    together = layer_backward(cell, run, sentence, w, many, batch=6, nonlinearity=nonlinearity)
    assert together.dx.shape == (STEPS, 6, INPUTS)
    for k in range(6):
        one = {t: v[k : k + 1] for t, v in many.items()}
        alone = layer_backward(cell, run, sentence, w, one, batch=1, nonlinearity=nonlinearity)
        np.testing.assert_allclose(together.dx[:, k], alone.dx[:, 0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(together.dh0[k], alone.dh0[0], rtol=1e-10, atol=1e-12)


def test_parameter_gradients_need_one_cotangent_per_sequence() -> None:
    cell, nonlinearity, w, x, _, _ = setup("gru")
    run = run_layer(cell, x[:, :1], w)
    with pytest.raises(ValueError, match="one cotangent per recorded sequence"):
        layer_backward(cell, run, x[:, :1], w, {4: np.ones((3, HIDDEN))}, batch=3, need_params=True)


def test_step_hook_sees_every_step_latest_first() -> None:
    cell, nonlinearity, w, x, dh, dc = setup("lstm")
    run = run_layer(cell, x, w)
    seen = []
    layer_backward(cell, run, x, w, dh, batch=BATCH, dc=dc, on_step=lambda t, g, gc: seen.append((t, g, gc)))
    assert [t for t, _, _ in seen] == list(range(STEPS - 1, -1, -1))
    # At the last step only its own cotangent reaches h: nothing comes back from later steps.
    np.testing.assert_array_equal(seen[0][1], dh[4])
    assert all(gc is not None for _, _, gc in seen)


def projected_setup(seed: int = 3, projection: int = 3):
    """An LSTM layer with a projection W_hr (P, H): h has P units, c has H, W_hh is (4H, P)."""
    rng = np.random.default_rng(seed)
    w = LayerWeights(
        w_ih=rng.uniform(-0.7, 0.7, (4 * HIDDEN, INPUTS)),
        w_hh=rng.uniform(-0.7, 0.7, (4 * HIDDEN, projection)),
        b_ih=rng.uniform(-0.5, 0.5, 4 * HIDDEN),
        b_hh=rng.uniform(-0.5, 0.5, 4 * HIDDEN),
        w_hr=rng.uniform(-0.9, 0.9, (projection, HIDDEN)),
    )
    x = rng.normal(size=(STEPS, BATCH, INPUTS))
    dh = {1: rng.normal(size=(BATCH, projection)), 4: rng.normal(size=(BATCH, projection))}
    dc = {2: rng.normal(size=(BATCH, HIDDEN))}
    return w, x, dh, dc


def test_projected_lstm_gradients_match_finite_differences() -> None:
    """Through W_hr too: δW_hr = Σ_t δh_t m_tᵀ with m_t = o ⊙ tanh(c_t), and every other gradient."""
    w, x, dh, dc = projected_setup()
    run = run_layer("lstm", x, w)
    assert run.h.shape == (STEPS, BATCH, 3) and run.c.shape == (STEPS, BATCH, HIDDEN)
    grads = layer_backward("lstm", run, x, w, dh, batch=BATCH, dc=dc, need_params=True)
    h0, c0 = np.zeros((BATCH, 3)), np.zeros((BATCH, HIDDEN))

    def f() -> float:
        return functional("lstm", "tanh", w, x, dh, dc, h0=h0, c0=c0)

    checks = {"x": (grads.dx, x), "h0": (grads.dh0, h0), "c0": (grads.dc0, c0)}
    for name in ("w_ih", "w_hh", "b_ih", "b_hh", "w_hr"):
        checks[name] = (getattr(grads.params, name), getattr(w, name))
    for name, (analytic, value) in checks.items():
        assert analytic.shape == value.shape, name
        error = relative_error(analytic, numeric_gradient(f, value))
        assert error < 1e-6, f"projected lstm {name}: relative error {error:.2e}"


def test_projected_lstm_fast_loop_matches_the_reference_steps() -> None:
    from rnnviz.core.cells import reference_run

    w, x, _, _ = projected_setup(seed=4)
    run = run_layer("lstm", x[:, :1], w)
    reference = reference_run("lstm", x[:, 0], w)
    np.testing.assert_allclose(run.h[:, 0], reference["h"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.c[:, 0], reference["c"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.gates["output"][:, 0], reference["output"], rtol=0, atol=1e-12)
