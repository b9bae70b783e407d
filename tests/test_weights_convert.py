"""demos/convert_torch_checkpoint.py turns a word_language_model `torch.save(model)` file into safetensors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnnviz

SCRIPT = Path(__file__).parent.parent / "demos" / "convert_torch_checkpoint.py"
# The shape of word_language_model's model.py: the class a whole-model pickle refers to.
MODEL_PY = """
import torch.nn as nn

class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, tie_weights=False):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers
"""
CORPUS = {
    "train.txt": "the cat sat .\nthe dog barked .\n",
    "valid.txt": "a cat purred .\n",
    "test.txt": "the end\n",
}


def test_converts_a_trusted_whole_model_checkpoint(tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "model.py").write_text(MODEL_PY)
    data = tmp_path / "data"
    data.mkdir()
    for name, text in CORPUS.items():
        (data / name).write_text(text)
    vocab = ["the", "cat", "sat", ".", "<eos>", "dog", "barked", "a", "purred", "end"]  # Dictionary order
    code = (
        "import sys, torch; sys.path.insert(0, sys.argv[1]); from model import RNNModel; "
        "torch.manual_seed(0); "
        f"torch.save(RNNModel('GRU', {len(vocab)}, 6, 6, 2, tie_weights=True), sys.argv[2])"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path), str(tmp_path / "model.pt")], check=True)

    refused = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "model.pt"), "--data", str(data)],
                             capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert (
        refused.returncode == 1
        and "UNPICKLED" in refused.stderr
        and not (tmp_path / "model.safetensors").exists()
    )

    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "model.pt"), "--data", str(data), "--i-trust-this-file"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    model = rnnviz.load(tmp_path / "model.safetensors")
    assert model.cell == "gru" and model.num_layers == 2 and model.vocab == vocab
    assert (tmp_path / "model.vocab.txt").read_text().split("\n")[:3] == ["the", "cat", "sat"]
    np.testing.assert_array_equal(model.decoder_weight, model.embedding)  # still tied
