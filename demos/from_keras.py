"""Train a small word-level LSTM in Keras on the demo corpus and save it as Keras users do.

Embedding → LSTM (or GRU, SimpleRNN) → Dense(softmax), trained on windows of one long token stream.
Writes OUT/lm.keras (model.save) and OUT/vocab.txt (the id → word list, one a line), which rnnviz finds
beside the model. Then: rnnviz OUT/lm.keras

Usage: KERAS_BACKEND=torch python demos/from_keras.py [--out demo_out/keras] [--cell lstm|gru|simple_rnn]
       [--seconds 60]     (needs keras 3 and one backend: torch, tensorflow or jax)
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402 - the backend is chosen before the import

from rnnviz.training.corpus import token_stream  # noqa: E402

LAYERS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "simple_rnn": keras.layers.SimpleRNN}


class TimeBudget(keras.callbacks.Callback):
    """Stop training once the time budget is spent."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds, self.start = seconds, time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        if time.monotonic() - self.start > self.seconds:
            self.model.stop_training = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("demo_out/keras"))
    parser.add_argument("--cell", default="lstm", choices=sorted(LAYERS))
    parser.add_argument("--seconds", type=float, default=60.0, help="training time budget")
    parser.add_argument("--sentences", type=int, default=5000)
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    vocab, ids = token_stream(args.sentences, seed=0)
    stream = np.array(ids, dtype=np.int32)
    window = 36
    windows = stream[: len(stream) // window * window].reshape(-1, window)
    inputs, targets = windows[:, :-1], windows[:, 1:]

    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(len(vocab), 32),
            LAYERS[args.cell](64, return_sequences=True),
            keras.layers.Dense(len(vocab), activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-3, clipnorm=1.0), loss="sparse_categorical_crossentropy")
    model.fit(inputs, targets, batch_size=32, epochs=1000, callbacks=[TimeBudget(args.seconds)], verbose=2)

    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / "lm.keras")
    (args.out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf8")
    print(f"wrote {args.out}/lm.keras and vocab.txt")
    print(f"view it: rnnviz {args.out / 'lm.keras'}")


if __name__ == "__main__":
    main()
