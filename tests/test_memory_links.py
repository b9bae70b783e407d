"""rnnviz.links: every method against an independent computation (finite differences, a re-run of the
model per occluded word, closed forms on hand-made models), batched rows against single rows, and
integrated-gradients completeness."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import CELL_TYPES, random_model

import rnnviz
from rnnviz import Model
from rnnviz.analysis import links as memory
from rnnviz.analysis.links import embedding_gradient, integrated_gradients, link_rows, links
from rnnviz.core.model import softmax

IDS = np.array([5, 6, 7, 8, 4, 9, 0, 11, 12, 5, 6])  # includes <unk> (id 0) at position 6
METHODS_FOR = {cell: ("occlusion", "gradient", "integrated") for cell in CELL_TYPES}
METHODS_FOR["lstm"] = ("occlusion", "gradient", "integrated", "retention")


def float64_model(cell: str, layers: int = 2, seed: int = 3) -> Model:
    return random_model(cell, layers=layers, vocab=20, embedding=6, hidden=9, seed=seed, dtype="float64")


def log_prob(model: Model, embedded: np.ndarray, t: int, word: int) -> float:
    """log p(word | embedded words 0..t), straight from Model.forward on an embeddings batch of one."""
    h = model.forward(embedded[:, None, :])[-1].h[t, 0]
    logits = model.logits(h)
    peak = logits.max()
    return float(logits[word] - peak - np.log(np.exp(logits - peak).sum()))


def top_word(model: Model, trace: rnnviz.Trace, t: int) -> int:
    return int(np.argmax(softmax(model.logits(trace.hidden[-1, t]))))


# -- gradients ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("window", [256, 4])
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_embedding_gradient_matches_finite_differences(cell: str, window: int) -> None:
    model = float64_model(cell)
    trace = model.run_ids(IDS)
    t = 8
    word = top_word(model, trace, t)
    embedded = model.embedding[IDS]
    analytic = embedding_gradient(model, trace, t, window=window)
    numeric = np.zeros_like(embedded)
    step = 1e-6
    first = max(0, t - window + 1)
    for s in range(first, t + 1):
        for e in range(embedded.shape[1]):
            plus, minus = embedded.copy(), embedded.copy()
            plus[s, e] += step
            minus[s, e] -= step
            numeric[s, e] = (log_prob(model, plus, t, word) - log_prob(model, minus, t, word)) / (2 * step)
    assert np.linalg.norm(numeric) > 1e-4, "the check would be vacuous"
    np.testing.assert_allclose(analytic, numeric, atol=1e-8)
    assert not analytic[:first].any() and not analytic[t + 1 :].any()


@pytest.mark.parametrize("cell", CELL_TYPES)
def test_gradient_links_are_normalized_gradient_norms(cell: str) -> None:
    model = float64_model(cell)
    trace = model.run_ids(IDS)
    table = links(model, trace, "gradient")
    for t in range(len(IDS)):
        norms = np.linalg.norm(embedding_gradient(model, trace, t), axis=1)
        np.testing.assert_allclose(table[t], norms / norms.sum(), rtol=1e-10, atol=1e-14)


# -- integrated gradients ----------------------------------------------------------------------------
@pytest.mark.parametrize("window", [256, 4])
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_integrated_gradients_completeness(cell: str, window: int) -> None:
    """Signed attributions sum to f(x) − f(baseline), the baseline zeroing the window's embeddings."""
    model = float64_model(cell)
    trace = model.run_ids(IDS)
    t = 8
    word = top_word(model, trace, t)
    embedded = model.embedding[IDS]
    baseline = embedded.copy()
    baseline[max(0, t - window + 1) : t + 1] = 0
    expected = log_prob(model, embedded, t, word) - log_prob(model, baseline, t, word)
    assert abs(expected) > 1e-3, "the check would be vacuous"
    total = integrated_gradients(model, trace, t, steps=50, window=window).sum()
    # ReLU's gradient jumps where a unit switches on, so the α-sum converges only as 1/steps there;
    # the smooth cells are far inside 1% at 50 steps.
    tolerance = 0.02 if cell == "rnn_relu" else 0.01
    assert abs(total - expected) <= tolerance * abs(expected)


def test_integrated_gradients_converge_for_relu() -> None:
    model = float64_model("rnn_relu")
    trace = model.run_ids(IDS)
    word = top_word(model, trace, 8)
    embedded = model.embedding[IDS]
    baseline = np.zeros_like(embedded)
    baseline[9:] = embedded[9:]
    expected = log_prob(model, embedded, 8, word) - log_prob(model, baseline, 8, word)
    assert abs(integrated_gradients(model, trace, 8, steps=800).sum() - expected) <= 0.005 * abs(expected)


@pytest.mark.parametrize("cell", CELL_TYPES)
def test_integrated_links_are_absolute_attributions(cell: str) -> None:
    model = float64_model(cell)
    trace = model.run_ids(IDS)
    row = link_rows(model, trace, [-1], "integrated", steps=7)[0]
    attributions = np.abs(integrated_gradients(model, trace, len(IDS) - 1, steps=7))
    np.testing.assert_allclose(row, attributions / attributions.sum(), rtol=1e-10)


# -- occlusion ---------------------------------------------------------------------------------------
def occlusion_by_rerunning(model: Model, ids: np.ndarray, window: int, blank: np.ndarray) -> np.ndarray:
    """Reference: one full model run per occluded word, TV against the real run, rows normalized."""
    steps = len(ids)
    embedded = model.embedding[ids]
    real = softmax(model.logits(model.forward(embedded[:, None, :])[-1].h[:, 0]))
    out = np.zeros((steps, steps))
    for s in range(steps):
        occluded = embedded.copy()
        occluded[s] = blank
        changed = softmax(model.logits(model.forward(occluded[:, None, :])[-1].h[:, 0]))
        for t in range(s, min(steps, s + window)):
            out[t, s] = 0.5 * np.abs(changed[t] - real[t]).sum()
    totals = out.sum(axis=1, keepdims=True)
    return np.divide(out, totals, out=np.zeros_like(out), where=totals > 0)


@pytest.mark.parametrize("window", [256, 3])
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_occlusion_matches_rerunning_each_occluded_sentence(cell: str, window: int) -> None:
    model = float64_model(cell)
    trace = model.run_ids(IDS)
    expected = occlusion_by_rerunning(model, IDS, window, model.embedding[0])
    np.testing.assert_allclose(links(model, trace, window=window), expected, atol=1e-12)
    assert not links(model, trace)[:, 6].any(), "occluding <unk> by <unk> changes nothing"


def test_occlusion_without_unk_uses_a_zero_embedding() -> None:
    weights = random_model("gru", vocab=20, seed=5, dtype="float64").weights
    vocab = [f"w{k}" for k in range(20)]
    model = Model(weights, "gru", vocab, dtype="float64")
    trace = model.run_ids(IDS)
    expected = occlusion_by_rerunning(model, IDS, 256, np.zeros(model.embedding_size))
    np.testing.assert_allclose(links(model, trace), expected, atol=1e-12)


def hand_made_rnn() -> Model:
    """One unit, one embedding dimension: a = +1, b = −1, <unk> = 0; h_t = tanh(2·x_t + ½·h_{t−1}).

    The decoder reads logits (0, h, −h) for (<unk>, a, b).
    """
    weights = {
        "encoder.weight": np.array([[0.0], [1.0], [-1.0]]),
        "rnn.weight_ih_l0": np.array([[2.0]]),
        "rnn.weight_hh_l0": np.array([[0.5]]),
        "rnn.bias_ih_l0": np.zeros(1),
        "rnn.bias_hh_l0": np.zeros(1),
        "decoder.weight": np.array([[0.0], [1.0], [-1.0]]),
        "decoder.bias": np.zeros(3),
    }
    return Model(weights, "rnn_tanh", ["<unk>", "a", "b"], dtype="float64")


def test_occlusion_on_a_hand_made_rnn_matches_the_closed_form() -> None:
    words = {"a": 1.0, "b": -1.0}
    sentence = ["a", "b", "b", "a"]

    def states(inputs: list[float]) -> list[float]:
        h, out = 0.0, []
        for x in inputs:
            h = math.tanh(2 * x + 0.5 * h)
            out.append(h)
        return out

    def distribution(h: float) -> np.ndarray:
        e = np.exp([0.0, h, -h])
        return e / e.sum()

    real = states([words[w] for w in sentence])
    expected = np.zeros((4, 4))
    for s in range(4):
        inputs = [words[w] for w in sentence]
        inputs[s] = 0.0
        occluded = states(inputs)
        for t in range(s, 4):
            expected[t, s] = 0.5 * np.abs(distribution(occluded[t]) - distribution(real[t])).sum()
    expected /= expected.sum(axis=1, keepdims=True)
    model = hand_made_rnn()
    np.testing.assert_allclose(links(model, model.run(sentence)), expected, atol=1e-12)


def test_a_memoryless_rnn_links_each_word_only_to_itself() -> None:
    model = hand_made_rnn()
    model.layers[0].w_hh[:] = 0
    trace = model.run(["a", "b", "b", "a", "b"])
    for method in ("occlusion", "gradient", "integrated"):
        np.testing.assert_allclose(links(model, trace, method), np.eye(5), atol=1e-12)


def test_a_row_with_no_influence_stays_zero() -> None:
    model = hand_made_rnn()
    model.decoder_weight[:] = 0  # the prediction ignores the state: nothing links anywhere
    trace = model.run(["a", "b", "a"])
    for method in ("occlusion", "gradient", "integrated"):
        assert not links(model, trace, method).any()


# -- retention ---------------------------------------------------------------------------------------
def test_retention_on_a_hand_made_lstm_is_the_mean_forget_product() -> None:
    """Forget gates fixed by their biases at 0.9 and 0.5: retention(t, s) ∝ mean(0.9^(t−s), 0.5^(t−s))."""
    hidden = 2
    keep = np.array([0.9, 0.5])
    bias = np.zeros(4 * hidden)
    bias[hidden : 2 * hidden] = np.log(keep / (1 - keep))
    weights = {
        "encoder.weight": np.array([[0.0], [1.0], [-1.0]]),
        "rnn.weight_ih_l0": np.ones((4 * hidden, 1)),
        "rnn.weight_hh_l0": np.ones((4 * hidden, hidden)),
        "rnn.bias_ih_l0": bias,
        "rnn.bias_hh_l0": np.zeros(4 * hidden),
        "decoder.weight": np.ones((3, hidden)),
        "decoder.bias": np.zeros(3),
    }
    weights["rnn.weight_ih_l0"][hidden : 2 * hidden] = 0  # the forget gate sees only its bias
    weights["rnn.weight_hh_l0"][hidden : 2 * hidden] = 0
    model = Model(weights, "lstm", ["<unk>", "a", "b"], dtype="float64")
    trace = model.run(["a", "b", "a", "a", "b", "b"])
    expected = np.zeros((6, 6))
    for t in range(6):
        for s in range(t + 1):
            expected[t, s] = np.mean(keep ** (t - s))
        expected[t] /= expected[t].sum()
    np.testing.assert_allclose(links(model, trace, "retention"), expected, rtol=1e-12)
    windowed = links(model, trace, "retention", window=2)
    assert windowed[5, 5] / windowed[5, 4] == pytest.approx(1 / np.mean(keep))
    assert not windowed[5, :4].any()


def test_retention_reads_the_forget_gates_of_the_trace() -> None:
    model = float64_model("lstm")
    trace = model.run_ids(IDS)
    forget = trace.gates["forget"][-1]
    t = 7
    expected = np.array([np.prod(forget[s + 1 : t + 1], axis=0).mean() for s in range(t + 1)])
    np.testing.assert_allclose(
        link_rows(model, trace, [t], "retention")[0, : t + 1], expected / expected.sum()
    )


@pytest.mark.parametrize("cell", ["gru", "rnn_tanh"])
def test_retention_needs_an_lstm(cell: str) -> None:
    model = float64_model(cell)
    with pytest.raises(ValueError, match="only an LSTM"):
        links(model, model.run_ids(IDS), "retention")


# -- shape, rows, windows, batching ------------------------------------------------------------------
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_links_are_lower_triangular_rows_summing_to_one(cell: str) -> None:
    model = float64_model(cell)
    trace = model.run_ids(IDS)
    for method in METHODS_FOR[cell]:
        table = links(model, trace, method)
        assert table.shape == (len(IDS), len(IDS))
        assert not np.triu(table, 1).any()
        np.testing.assert_allclose(table.sum(axis=1), 1)
        assert (table >= 0).all()


@pytest.mark.parametrize("cell", CELL_TYPES)
def test_batched_rows_equal_separate_single_row_passes(cell: str, monkeypatch: pytest.MonkeyPatch) -> None:
    model = float64_model(cell)
    trace = model.run_ids(IDS)
    for method in METHODS_FOR[cell]:
        for window in (256, 4):
            together = links(model, trace, method, window=window, steps=5)
            alone = np.stack(
                [link_rows(model, trace, [t], method, window=window, steps=5)[0] for t in range(len(IDS))]
            )
            np.testing.assert_allclose(together, alone, atol=1e-13)
            # Small budgets split the batches differently; the numbers must not change.
            for segment, elements in ((2, memory.occlusion.SEGMENT_ELEMENTS), (32, 1)):
                with monkeypatch.context() as patch:
                    patch.setattr(memory.occlusion, "OCCLUSION_SEGMENT", segment)
                    patch.setattr(memory.occlusion, "SEGMENT_ELEMENTS", elements)  # 1: one word a segment
                    patch.setattr(memory.common, "BACKWARD_BUDGET", 1)
                    patch.setattr(memory.common, "DECODE_BUDGET", 1)
                    again = links(model, trace, method, window=window, steps=5)
                    np.testing.assert_allclose(again, together, atol=1e-13)


def test_rows_limit_the_work_and_leave_other_rows_zero() -> None:
    model = float64_model("lstm")
    trace = model.run_ids(IDS)
    full = links(model, trace)
    some = links(model, trace, rows=[3, -1])
    np.testing.assert_allclose(some[[3, 10]], full[[3, 10]], atol=1e-13)
    assert not np.delete(some, [3, 10], axis=0).any()
    np.testing.assert_allclose(link_rows(model, trace, [10, 3, 10]), full[[10, 3, 10]], atol=1e-13)
    assert link_rows(model, trace, -1).shape == (1, len(IDS))


@pytest.mark.parametrize("method", ["occlusion", "gradient", "integrated", "retention"])
def test_window_keeps_only_the_last_words(method: str) -> None:
    model = float64_model("lstm")
    trace = model.run_ids(IDS)
    table = links(model, trace, method, window=3)
    rows, cols = np.nonzero(table)
    assert (rows - cols < 3).all()
    np.testing.assert_allclose(table.sum(axis=1), 1)


def test_long_texts_need_link_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    model = float64_model("gru", layers=1)
    ids = np.random.default_rng(0).integers(1, 20, 300)
    trace = model.run_ids(ids)
    monkeypatch.setattr(memory, "DENSE_LIMIT", 100)
    with pytest.raises(ValueError, match="link_rows"):
        links(model, trace)
    row = link_rows(model, trace, [299], window=16)
    assert row.shape == (1, 300)
    assert np.flatnonzero(row[0]).min() >= 284
    # The windowed row starts from the recorded state: it equals the same window over the full text.
    monkeypatch.setattr(memory, "DENSE_LIMIT", 4096)
    np.testing.assert_allclose(row[0], links(model, trace, rows=[299], window=16)[299])
    np.testing.assert_allclose(
        row[0, 284:], occlusion_by_rerunning(model, ids, 16, model.embedding[0])[299, 284:], atol=1e-12
    )
    for method in ("occlusion", "gradient", "integrated"):  # far-apart rows batch like single ones
        apart = link_rows(model, trace, [280, 20, 150], method, window=16, steps=4)
        for k, t in enumerate([280, 20, 150]):
            np.testing.assert_allclose(apart[k], link_rows(model, trace, [t], method, window=16, steps=4)[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "saliency"}, "unknown links method"),
        ({"rows": [11]}, "out of range"),
        ({"rows": [0.5]}, "whole numbers"),
        ({"window": 0}, "window"),
        ({"steps": 0, "method": "integrated"}, "steps"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs: dict, message: str) -> None:
    model = float64_model("lstm")
    with pytest.raises(ValueError, match=message):
        links(model, model.run_ids(IDS), **kwargs)


def test_a_trace_from_another_model_is_refused() -> None:
    trace = float64_model("lstm").run_ids(IDS)
    with pytest.raises(ValueError, match="not made by this model"):
        links(random_model("lstm", hidden=5, dtype="float64"), trace)


def test_float32_links_agree_with_float64() -> None:
    wide = float64_model("lstm")
    narrow = Model(wide.weights, "lstm", wide.vocab, dtype="float32")
    for method in ("occlusion", "gradient", "integrated", "retention"):
        a = links(wide, wide.run_ids(IDS), method)
        b = links(narrow, narrow.run_ids(IDS), method)
        assert b.dtype == np.float32
        np.testing.assert_allclose(b, a, atol=2e-4)


def test_links_is_exported() -> None:
    assert rnnviz.links is links


@pytest.mark.parametrize("cell", CELL_TYPES)
def test_methods_for_lists_what_the_model_supports(cell: str) -> None:
    model = float64_model(cell)
    assert set(memory.methods_for(model)) == set(METHODS_FOR[cell])
    assert memory.methods_for(model)[0] == "occlusion"


@pytest.mark.parametrize("cell", CELL_TYPES)
def test_an_occlusion_row_built_in_pieces_equals_the_row_computed_at_once(cell: str) -> None:
    """The viewer extends a row backwards piece by piece (LinkMethod.piece): the pieces, put together
    and normalized, must give the row link_rows computes in one call, wherever the boundaries fall."""
    model = float64_model(cell)
    ids = np.tile(IDS, 3)  # 33 words, <unk> among them
    trace = model.run_ids(ids)
    piece = memory.METHODS["occlusion"].piece
    assert piece is not None
    for target, window in ((32, 256), (32, 20), (7, 256)):
        whole = link_rows(model, trace, [target], window=window)[0]
        earliest = max(0, target - window + 1)
        for cuts in ([], [target], [target - 2, target - 5], [earliest + 1, target - 9, target]):
            bounds = sorted({earliest, *[c for c in cuts if earliest < c <= target], target + 1})
            raw = np.zeros(len(trace))
            for first, stop in zip(bounds, bounds[1:], strict=False):
                raw[first:stop] = piece(model, trace, target, first, stop, None)
            np.testing.assert_allclose(raw / raw.sum(), whole, atol=1e-13)


def test_an_occlusion_piece_stops_when_asked() -> None:
    model = float64_model("lstm")
    trace = model.run_ids(np.tile(IDS, 3))
    piece = memory.METHODS["occlusion"].piece
    assert piece is not None
    assert piece(model, trace, 32, 0, 33, lambda: True) is None
