"""The bundled models are the trained ones: metadata says how, files stay small, LSTM and GRU remember."""

from __future__ import annotations

import json

import pytest

import rnnviz
from rnnviz.span import span
from rnnviz.weights import bundled_path


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


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_bundled_gated_models_link_it_to_its_animal_at_every_distance(name: str) -> None:
    result = span(rnnviz.load(name), n_per_bucket=100)
    for (lo, _), correct, count in zip(result.buckets, result.correct, result.count, strict=True):
        assert correct / count >= (0.97 if lo < 30 else 0.90), f"{name} at distance {lo}+"
