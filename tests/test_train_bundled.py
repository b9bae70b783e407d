"""The bundled models are the trained ones: metadata says how (and which seed was chosen, and why), files
stay small, LSTM and GRU remember."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnnviz
from rnnviz.analysis.span import DEFAULT_BUCKETS, span
from rnnviz.io.weights import bundled_path
from rnnviz.training.corpus import HELD_OUT_SEED, TRAIN_SEED_LIMIT

SCRIPT = Path(__file__).parent.parent / "demos" / "train_models.py"


def median_seed(curves: dict[str, list[float]]) -> int:
    """The seed of median mean accuracy (lower median of an even count, equal means ordered by seed)."""
    ranked = sorted((float(np.mean(curve)), int(seed)) for seed, curve in curves.items())
    return ranked[(len(ranked) - 1) // 2][1]


def check_selection(model: rnnviz.Model, least_seeds: int) -> None:
    """The metadata holds every seed's validation curve; the picked seed is their median, and this model."""
    meta = model.metadata
    assert "median" in meta["selection"]
    validation = json.loads(meta["validation"])
    curves = validation["curves"]
    assert len(curves) >= least_seeds
    assert sorted(int(seed) for seed in curves) == list(range(len(curves)))
    assert validation["buckets"] == [list(b) for b in DEFAULT_BUCKETS]
    assert all(len(curve) == len(DEFAULT_BUCKETS) for curve in curves.values())
    assert all(0 <= a <= 1 for curve in curves.values() for a in curve)
    picked = int(meta["picked_seed"])
    assert picked == int(meta["seed"]) == median_seed(curves)
    # Validation sentences are neither training sentences nor the ones `rnnviz span` reports on.
    first = validation["corpus_seed"]
    assert first >= TRAIN_SEED_LIMIT and first + len(DEFAULT_BUCKETS) <= HELD_OUT_SEED
    remeasured = span(model, n_per_bucket=validation["n_per_bucket"], seed=first).accuracy
    assert remeasured == pytest.approx(curves[str(picked)])


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_bundled_model_records_its_training(name: str) -> None:
    model = rnnviz.load(name)
    meta = model.metadata
    assert meta["trained"] == "yes"
    assert (meta["embedding"], meta["hidden"], meta["layers"]) == ("32", "64", "1")
    assert (model.embedding_size, model.hidden_size, model.num_layers) == (32, 64, 1)
    assert "demos/train_models.py" in meta["command"]
    stages = json.loads(meta["stages"])
    assert stages and all(stage["interrupted"] == "false" for stage in stages)
    assert bundled_path(name).stat().st_size < 2_000_000


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_bundled_model_is_the_median_seed_on_validation(name: str) -> None:
    check_selection(rnnviz.load(name), least_seeds=5)


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_bundled_gated_models_link_it_to_its_animal_at_every_distance(name: str) -> None:
    result = span(rnnviz.load(name), n_per_bucket=100)
    for (lo, _), correct, count in zip(result.buckets, result.correct, result.count, strict=True):
        assert correct / count >= (0.97 if lo < 30 else 0.90), f"{name} at distance {lo}+"


def test_train_models_script_bundles_the_median_seed(tmp_path: Path) -> None:
    out, seeds = tmp_path / "out", tmp_path / "seeds"
    command = [sys.executable, str(SCRIPT), "--recipe", "smoke", "--only", "rnn", "--seeds", "4"]
    command += ["--validation-n", "6", "--out", str(out), "--candidates", str(seeds)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    bundled = rnnviz.load(out / "rnn.safetensors")
    check_selection(bundled, least_seeds=4)
    # The recorded curves are the candidates' own, and the file holds the picked candidate's weights.
    curves = json.loads(bundled.metadata["validation"])["curves"]
    for seed, curve in curves.items():
        candidate = rnnviz.load(seeds / f"rnn-seed{seed}.safetensors")
        assert candidate.metadata["seed"] == seed
        assert span(candidate, n_per_bucket=6, seed=5_000).accuracy == pytest.approx(curve)
    picked = rnnviz.load(seeds / f"rnn-seed{bundled.metadata['picked_seed']}.safetensors")
    for tensor, value in picked.weights.items():
        np.testing.assert_array_equal(bundled.weights[tensor], value)
