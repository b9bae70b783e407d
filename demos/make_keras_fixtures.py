"""Make .keras fixtures with the real Keras 3, built the way the keras-io examples build their models.

What: small, randomly initialised models in the shapes of three keras-io examples:
    examples/generative/lstm_character_level_text_generation.py  (one-hot chars → LSTM → Dense softmax)
    examples/nlp/bidirectional_lstm_imdb.py                      (Embedding → 2 × Bidirectional LSTM → Dense)
    guides/working_with_rnns.py                                  (Embedding → LSTM/GRU/SimpleRNN → Dense)
each saved with model.save("<name>.keras"), beside <name>.vocab.json (the tokens in id order) and
<name>.expected.npz (what Keras itself computes on one test sequence, batch 1, float32).

Why: the hand-written .keras fixtures in tests/fixtures/weights/ only test what we think Keras writes.
These files are what Keras really writes (config.json, model.weights.h5 layout, optimizer variables of
compiled-and-fitted models, Sequential models saved without an Input layer), so a reader that passes them
reads real users' files.

The weights are random, not trained (three models get one tiny epoch on random data, so their files carry
optimizer variables as a fitted model's do). Every bias gets 0.3·randn added and embeddings are drawn from
U(-1, 1) instead of Keras's U(-0.05, 0.05), so a gate mapped to the wrong slice changes the numbers.

Keys of <name>.expected.npz:
    tokens (T,) unicode, ids (T,) int64: the test sequence; head: "next-token" or "classifier";
    probs (T, K): the head applied after every step (for models that read only the last step this
        comes from a twin with return_sequences=True sharing the weights);
    probs_last (K,) or p_last (): model.predict on the whole sequence;
    hidden_top (T, H): the top recurrent layer's output at every step (unidirectional models);
    hidden_layer0 (T, 2H), hidden_layer1_last (2H,): for the bidirectional model only.

Usage: KERAS_BACKEND=torch python demos/make_keras_fixtures.py   (writes tests/fixtures/keras_real/)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402 - the backend is chosen before the import
from keras import layers  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras_real"
SEED = 1234
BIAS_NOISE = 0.3
CHARS = sorted("\n !'(),-.:;?abcdefghijklmnopqrstuvwxyz")  # 38 characters, ' ' and '\n' included
CHAR_TEXT = "the cat sat.\non "  # 16 characters: the model's maxlen (keras-io uses 40)
WORD_VOCAB = 120
SEQ_LEN = 14

rng = np.random.default_rng(SEED)


def word_vocab(size: int) -> list[str]:
    return [f"w{i}" for i in range(size)]


def perturb(model: keras.Model) -> None:
    """Add 0.3·randn to every bias and spread the embeddings over U(-1, 1)."""
    for var in model.weights:
        value = keras.ops.convert_to_numpy(var.value)
        if var.path.endswith("bias"):
            var.assign(value + BIAS_NOISE * rng.standard_normal(value.shape).astype(np.float32))
        elif var.path.endswith("embeddings"):
            var.assign(rng.uniform(-1.0, 1.0, value.shape).astype(np.float32))


def tiny_fit(model: keras.Model, x: np.ndarray, y: np.ndarray, optimizer: str, loss) -> None:
    """One epoch on random data with a small learning rate, so the file holds optimizer variables."""
    optimizers = {
        "rmsprop": keras.optimizers.RMSprop(learning_rate=1e-3),
        "adam": keras.optimizers.Adam(learning_rate=1e-3),
        "sgd": keras.optimizers.SGD(learning_rate=1e-3),
    }
    model.compile(optimizer=optimizers[optimizer], loss=loss)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)


def predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(x[None], verbose=0)[0])


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def every_step(
    inputs: keras.KerasTensor, below: list[layers.Layer], rnn: layers.Layer, head: layers.Layer, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Apply `head` after every step of `rnn`, which returns only its last step.

    Builds inputs → below… (the model's own layers, shared) → a twin of `rnn` with return_sequences=True
    and `rnn`'s weights → `head` (shared), and runs it on x. Returns (hidden (T, H), head output (T, K)).
    """
    twin = type(rnn).from_config(rnn.get_config() | {"return_sequences": True, "name": rnn.name + "_twin"})
    y = inputs
    for layer in below:
        y = layer(y)
    hidden = twin(y)
    twin.set_weights(rnn.get_weights())
    sub = keras.Model(inputs, [hidden, head(hidden)])
    h, out = sub.predict(x[None], verbose=0)
    return np.asarray(h[0]), np.asarray(out[0])


def save(name: str, model: keras.Model, vocab: list[str], expected: dict | None) -> None:
    model.save(OUT / f"{name}.keras")
    (OUT / f"{name}.vocab.json").write_text(json.dumps(vocab, ensure_ascii=False) + "\n")
    if expected is not None:
        np.savez(OUT / f"{name}.expected.npz", **expected)
    reloaded = keras.models.load_model(OUT / f"{name}.keras", compile=False)
    for a, b in zip(model.get_weights(), reloaded.get_weights(), strict=True):
        assert np.array_equal(a, b), name
    print(f"wrote {name}")


def sequence_keys(vocab: list[str], ids: np.ndarray, head: str) -> dict:
    return {"tokens": np.array([vocab[i] for i in ids]), "ids": ids.astype(np.int64), "head": np.str_(head)}


def random_ids(size: int, length: int = SEQ_LEN) -> np.ndarray:
    return rng.integers(0, size, length).astype(np.int64)


# --- 1. keras-io char LSTM: Input((maxlen, V)) one-hot → LSTM → Dense(V, softmax) -----------------


def char_lstm_onehot() -> None:
    vocab, maxlen = CHARS, len(CHAR_TEXT)
    lstm, dense = layers.LSTM(16), layers.Dense(len(vocab), activation="softmax")
    model = keras.Sequential([keras.Input(shape=(maxlen, len(vocab))), lstm, dense])
    perturb(model)
    x_train = np.eye(len(vocab), dtype=np.float32)[rng.integers(0, len(vocab), (8, maxlen))]
    y_train = np.eye(len(vocab), dtype=np.float32)[rng.integers(0, len(vocab), 8)]
    tiny_fit(model, x_train, y_train, "rmsprop", "categorical_crossentropy")

    ids = np.array([vocab.index(c) for c in CHAR_TEXT])
    x = np.eye(len(vocab), dtype=np.float32)[ids]
    hidden, probs = every_step(keras.Input(shape=(maxlen, len(vocab))), [], lstm, dense, x)
    probs_last = predict(model, x)
    assert np.allclose(probs[-1], probs_last, atol=1e-6)
    expected = sequence_keys(vocab, ids, "next-token") | {
        "probs": probs,
        "probs_last": probs_last,
        "hidden_top": hidden,
    }
    save("char_lstm_onehot", model, vocab, expected)


# --- 2. working_with_rnns guide: Embedding → LSTM → Dense(10), Sequential without an Input -------


def emb_lstm_dense10() -> None:
    vocab = word_vocab(WORD_VOCAB)
    emb, lstm, dense = (
        layers.Embedding(input_dim=len(vocab), output_dim=16),
        layers.LSTM(12),
        layers.Dense(10),
    )
    model = keras.Sequential()
    model.add(emb)
    model.add(lstm)
    model.add(dense)
    model.build((None, None))
    perturb(model)
    x_train, y_train = rng.integers(0, len(vocab), (8, SEQ_LEN)), rng.integers(0, 10, 8)
    tiny_fit(model, x_train, y_train, "sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    ids = random_ids(len(vocab))
    hidden, logits = every_step(keras.Input(shape=(None,), dtype="int32"), [emb], lstm, dense, ids)
    logits_last = predict(model, ids)
    assert np.allclose(logits[-1], logits_last, atol=1e-5)
    expected = sequence_keys(vocab, ids, "classifier") | {
        "probs": softmax(logits),
        "probs_last": softmax(logits_last),
        "logits_last": logits_last,
        "hidden_top": hidden,
    }
    save("emb_lstm_dense10", model, vocab, expected)


# --- 3. IMDB-style single LSTM: Embedding → LSTM(8) → Dense(1, sigmoid) --------------------------


def imdb_lstm_sigmoid() -> None:
    vocab = word_vocab(WORD_VOCAB)
    inputs = keras.Input(shape=(None,), dtype="int32")
    emb, lstm, dense = layers.Embedding(len(vocab), 8), layers.LSTM(8), layers.Dense(1, activation="sigmoid")
    model = keras.Model(inputs, dense(lstm(emb(inputs))))
    perturb(model)

    ids = random_ids(len(vocab))
    hidden, p = every_step(keras.Input(shape=(None,), dtype="int32"), [emb], lstm, dense, ids)
    p_last = predict(model, ids)[0]
    assert np.allclose(p[-1, 0], p_last, atol=1e-6)
    expected = sequence_keys(vocab, ids, "classifier") | {
        "probs": np.concatenate([1.0 - p, p], axis=1),
        "p_last": np.float32(p_last),
        "hidden_top": hidden,
    }
    save("imdb_lstm_sigmoid", model, vocab, expected)


# --- 4. keras-io bidirectional_lstm_imdb, small ---------------------------------------------------


def imdb_bidir() -> None:
    vocab = word_vocab(WORD_VOCAB)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(len(vocab), 8)(inputs)
    layer0 = layers.Bidirectional(layers.LSTM(8, return_sequences=True))
    seq0 = layer0(x)
    last1 = layers.Bidirectional(layers.LSTM(8))(seq0)
    outputs = layers.Dense(1, activation="sigmoid")(last1)
    model = keras.Model(inputs, outputs)
    perturb(model)
    x_train, y_train = rng.integers(0, len(vocab), (8, SEQ_LEN)), rng.integers(0, 2, 8).astype(np.float32)
    tiny_fit(model, x_train, y_train, "adam", "binary_crossentropy")

    ids = random_ids(len(vocab))
    hidden0, hidden1 = keras.Model(inputs, [seq0, last1]).predict(ids[None], verbose=0)
    p_last = predict(model, ids)[0]
    expected = sequence_keys(vocab, ids, "classifier") | {
        "p_last": np.float32(p_last),
        "hidden_layer0": np.asarray(hidden0[0]),
        "hidden_layer1_last": np.asarray(hidden1[0]),
    }
    save("imdb_bidir", model, vocab, expected)


# --- 5. next-word models: Embedding → RNN(return_sequences) [→ RNN] → Dense(V, softmax) ----------


def nextword(name: str, make_rnns: Callable[[], list[layers.Layer]], names: dict | None = None) -> None:
    """`names` optionally names the Embedding and Dense layers (as the guide names its "encoder")."""
    names = names or {}
    vocab = word_vocab(WORD_VOCAB)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(len(vocab), 16, name=names.get("embedding"))(inputs)
    for rnn in make_rnns():
        x = rnn(x)
    top = x
    model = keras.Model(inputs, layers.Dense(len(vocab), activation="softmax", name=names.get("dense"))(top))
    perturb(model)

    ids = random_ids(len(vocab), 18)
    probs, hidden = keras.Model(inputs, [model.outputs[0], top]).predict(ids[None], verbose=0)
    assert np.allclose(probs[0], predict(model, ids), atol=1e-6)
    expected = sequence_keys(vocab, ids, "next-token") | {
        "probs": np.asarray(probs[0]),
        "hidden_top": np.asarray(hidden[0]),
    }
    save(name, model, vocab, expected)


def gru_reset_before() -> None:
    """GRU(reset_after=False): the older GRU variant, one bias row; rnnviz should refuse it."""
    vocab = word_vocab(WORD_VOCAB)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.GRU(16, reset_after=False, return_sequences=True)(layers.Embedding(len(vocab), 16)(inputs))
    model = keras.Model(inputs, layers.Dense(len(vocab), activation="softmax")(x))
    perturb(model)
    save("gru_reset_before", model, vocab, None)


def main() -> None:
    keras.utils.set_random_seed(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    builders = [
        char_lstm_onehot,
        emb_lstm_dense10,
        imdb_lstm_sigmoid,
        imdb_bidir,
        # User-chosen layer names: config.json says "tok_emb", "lower", "upper", "decoder", while
        # model.weights.h5 still says layers/embedding, layers/lstm, layers/lstm_1, layers/dense.
        lambda: nextword(
            "nextword_lstm",
            lambda: [
                layers.LSTM(16, return_sequences=True, name="lower"),
                layers.LSTM(16, return_sequences=True, name="upper"),
            ],
            {"embedding": "tok_emb", "dense": "decoder"},
        ),
        lambda: nextword("nextword_gru", lambda: [layers.GRU(16, return_sequences=True)]),
        lambda: nextword("nextword_simplernn", lambda: [layers.SimpleRNN(16, return_sequences=True)]),
        lambda: nextword(
            "nextword_simplernn_relu",
            lambda: [layers.SimpleRNN(16, activation="relu", return_sequences=True)],
        ),
        gru_reset_before,
    ]
    for build in builders:
        keras.backend.clear_session()  # layer names start afresh, as in a script that builds one model
        build()


if __name__ == "__main__":
    main()
