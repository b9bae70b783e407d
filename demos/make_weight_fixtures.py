"""Make the small weights fixtures in tests/fixtures/weights/ with the real frameworks (run once).

Each model file comes with `<name>.expected.npz`: the framework's own float64 run of the demo sentence
(`ids`, `probs` (T, V), `hidden` (L, T, H); PyTorch's nn.LSTM/GRU/RNN give the top layer only, L = 1).
The vocabulary is the bundled one, in `vocab.txt` (and `torch_lstm.vocab.txt` for the sibling rule).

Usage: KERAS_BACKEND=torch python demos/make_weight_fixtures.py   (needs torch, keras 3, safetensors)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import torch
from safetensors.torch import save_file, save_model
from torch import nn

from rnnviz.core.vocab import Vocab, tokenize
from rnnviz.training.corpus import DEMO_SENTENCE, demo_vocab

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "weights"
VOCAB = demo_vocab()
IDS = Vocab(VOCAB).encode(tokenize(DEMO_SENTENCE))
SIZE = 16  # embedding and hidden: small files, and tying needs them equal


class WordLM(nn.Module):
    """The shape of PyTorch's word_language_model RNNModel: encoder → rnn → decoder."""

    def __init__(self, rnn_type: str, layers: int, tie: bool = False):
        super().__init__()
        self.encoder = nn.Embedding(len(VOCAB), SIZE)
        if rnn_type in ("LSTM", "GRU"):
            self.rnn = getattr(nn, rnn_type)(SIZE, SIZE, layers)
        else:
            self.rnn = nn.RNN(SIZE, SIZE, layers, nonlinearity=rnn_type.removeprefix("RNN_").lower())
        self.decoder = nn.Linear(SIZE, len(VOCAB))
        if tie:
            self.decoder.weight = self.encoder.weight
        with torch.no_grad():  # biases away from zero, so a bias mapped to the wrong gate shows
            for p in self.parameters():
                p.add_(torch.randn_like(p) * 0.3)

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, _ = self.rnn(self.encoder(ids))
        return out, self.decoder(out)


def torch_expected(model: WordLM, name: str) -> None:
    model = model.double()  # in place: the float32 weights, computed in float64
    with torch.no_grad():
        out, logits = model(torch.as_tensor(IDS)[:, None])
    probs = torch.softmax(logits[:, 0], dim=-1).numpy()
    np.savez(OUT / f"{name}.expected.npz", ids=IDS, probs=probs, hidden=out[:, 0].numpy()[None])


def make_torch() -> None:
    torch.manual_seed(0)
    lstm = WordLM("LSTM", layers=2)
    save_file({k: v.contiguous() for k, v in lstm.state_dict().items()}, OUT / "torch_lstm.safetensors")
    (OUT / "torch_lstm.vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    bf16 = {k: v.to(torch.bfloat16).contiguous() for k, v in lstm.state_dict().items()}
    meta = {"cell": "lstm", "vocab": json.dumps(VOCAB)}
    save_file(bf16, OUT / "torch_lstm_bf16.safetensors", metadata=meta)
    torch_expected(lstm, "torch_lstm")
    with torch.no_grad():
        for p in lstm.parameters():
            p.copy_(p.to(torch.bfloat16).float())
    torch_expected(lstm, "torch_lstm_bf16")

    gru = WordLM("GRU", layers=1, tie=True)
    # DataParallel's "module." prefix, word_language_model's --model name, the tied matrix stored once.
    save_model(nn.DataParallel(gru), str(OUT / "torch_gru_tied.safetensors"), metadata={"rnn_type": "GRU"})
    torch_expected(gru, "torch_gru_tied")

    relu = WordLM("RNN_RELU", layers=1)
    checkpoint = {"epoch": 3, "model_state_dict": relu.state_dict()}
    torch.save(checkpoint, OUT / "torch_rnn_relu.pt")
    torch_expected(relu, "torch_rnn_relu")


def keras_model(kind: str, layers: int, decoder_activation: str | None, functional: bool = False):
    import keras

    recurrent = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "simple_rnn": keras.layers.SimpleRNN}[
        kind
    ]
    options = {"activation": "relu"} if kind == "simple_rnn" else {}
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(len(VOCAB), SIZE)(inputs)
    states = []
    for _ in range(layers):
        x = recurrent(SIZE, return_sequences=True, **options)(x)
        states.append(x)
    if functional:
        x = keras.layers.Dropout(0.1)(x)
    outputs = keras.layers.Dense(len(VOCAB), activation=decoder_activation)(x)
    if functional:
        return keras.Model(inputs, outputs), keras.Model(inputs, [*states, outputs])
    model = keras.Sequential()
    model.add(inputs)
    model.add(keras.layers.Embedding(len(VOCAB), SIZE))
    for _ in range(layers):
        model.add(recurrent(SIZE, return_sequences=True, **options))
    model.add(keras.layers.Dense(len(VOCAB), activation=decoder_activation))
    return model, None


def keras_expected(make, name: str, saved) -> None:
    """Rebuild the model in float64 with the saved weights and record every layer's states."""
    import keras

    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        _, probe = make(functional=True)
        probe.set_weights([w.astype(np.float64) for w in saved.get_weights()])
        *states, out = probe(IDS[None].astype(np.int32))
    finally:
        keras.config.set_floatx("float32")
        keras.config.set_dtype_policy("float32")
    out = np.asarray(keras.ops.convert_to_numpy(out))[0]
    probs = out if saved.layers[-1].get_config()["activation"] == "softmax" else _softmax(out)
    hidden = np.stack([np.asarray(keras.ops.convert_to_numpy(s))[0] for s in states])
    np.savez(OUT / f"{name}.expected.npz", ids=IDS, probs=probs, hidden=hidden)


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def make_keras() -> None:
    import keras

    keras.utils.set_random_seed(0)
    specs = {
        "keras_lstm": ("lstm", 2, "softmax", False),
        "keras_gru": ("gru", 1, None, False),
        "keras_simple_rnn": ("simple_rnn", 1, "softmax", True),
    }
    for name, (kind, layers, activation, functional) in specs.items():

        def make(functional: bool = functional, kind=kind, layers=layers, activation=activation):
            return keras_model(kind, layers, activation, functional)

        model, _ = make()
        rng = np.random.default_rng(len(name))
        model.set_weights([(w + rng.normal(0, 0.3, w.shape)).astype(np.float32) for w in model.get_weights()])
        model.save(OUT / f"{name}.keras")
        keras_expected(make, name, model)
        if name == "keras_lstm":  # the same weights keyed by their Keras paths
            np.savez(OUT / "keras_lstm.weights.npz", **{v.path: np.asarray(v.numpy()) for v in model.weights})
    old_gru = keras.Sequential(
        [keras.Input((None,), dtype="int32"), keras.layers.Embedding(len(VOCAB), 4),
         keras.layers.GRU(4, reset_after=False, return_sequences=True), keras.layers.Dense(len(VOCAB))]
    )  # fmt: skip
    old_gru.save(OUT / "keras_gru_reset_before.keras")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    make_torch()
    make_keras()
    for path in sorted(OUT.iterdir()):
        print(f"{path.stat().st_size:>8}  {path.relative_to(OUT.parent.parent.parent)}")


if __name__ == "__main__":
    main()
