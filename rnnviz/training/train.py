"""Train a word-level language model in NumPy: next-word cross-entropy, BPTT, Adam, clipping.

A batch is B sentences padded to the longest, time-major: inputs (T, B) ids, targets (T, B) the
next token of each position, and a mask (T, B) that is False on padding. Every sentence starts from a
zero state and nothing is prepended, exactly as `Model.run` reads a sentence, so the state after
"it" is trained to predict the word after "it". The last target of a sentence is `<eos>` when the
vocabulary has one (the model learns where sentences end); without it the last position has no target.

    loss = −(1/N) Σ_{t,b: mask} log softmax(W_dec h_top[t,b] + b_dec)[target[t,b]]     N = mask.sum()

Gradients: softmax − one-hot through the decoder, rnnviz.core.grad.stack_backward through the layers, and
a sorted segment sum for the embedding rows. Padding sits after every real token, so no gradient
flows through it.

Word dropout (`unk_rate`): each input token whose prediction counts is replaced by `<unk>` with that
probability, afresh for every batch, while the targets stay the real words. A corpus without unknown
words otherwise never trains the `<unk>` embedding, so unknown words typed by a user (and occlusion
links, which replace a word by `<unk>`) would meet an arbitrary random vector instead of "some word".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from rnnviz.core.cells import LayerRun, spec_of
from rnnviz.core.grad import stack_backward
from rnnviz.core.model import Model, layer_names
from rnnviz.core.tokenizers import DEFAULT_TOKENIZER
from rnnviz.core.vocab import EOS, UNK, Vocab, split_text
from rnnviz.errors import InputError
from rnnviz.training.memory import keep_freed_memory
from rnnviz.training.threads import POLICIES, BlasThreads

DROPOUT_STREAM = 2  # second seed word of the word-dropout generator (the seed is the first)


@dataclass(frozen=True)
class TrainConfig:
    cell: str = "lstm"  # rnn_tanh | rnn_relu | lstm | gru ("rnn" = "rnn_tanh")
    embedding: int = 32
    hidden: int = 64
    layers: int = 1
    epochs: int = 10
    lr: float = 3e-3
    batch: int = 64
    clip: float = 1.0  # largest global gradient norm; 0 turns clipping off
    seed: int = 0
    dtype: str = "float32"
    forget_bias: float = 0.0  # added to the LSTM forget-gate bias at initialisation
    unk_rate: float = 0.0  # word dropout: chance that an input token is read as <unk> (targets never)
    blas_threads: str = "auto"  # auto (measured: the faster of one thread and the default) | single | default

    def describe(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}


# -- initialisation ---------------------------------------------------------------------------------
def init_weights(config: TrainConfig, vocab_size: int) -> dict[str, np.ndarray]:
    """Seeded weights under the native names.

    As PyTorch's modules start: embedding N(0, 1) (nn.Embedding), recurrent layers and decoder
    uniform ±1/√H (nn.RNN/LSTM/GRU, nn.Linear).
    """
    spec = spec_of(config.cell)
    gates, hidden = spec.gate_count, config.hidden
    rng = np.random.default_rng(config.seed)
    dtype = np.dtype(config.dtype)

    def uniform(bound: float, *shape: int) -> np.ndarray:
        return rng.uniform(-bound, bound, shape).astype(dtype)

    bound = 1.0 / math.sqrt(hidden)
    weights = {"encoder.weight": rng.standard_normal((vocab_size, config.embedding)).astype(dtype)}
    for k in range(config.layers):
        inputs = config.embedding if k == 0 else hidden
        w_ih, w_hh, b_ih, b_hh = layer_names(k)
        weights[w_ih] = uniform(bound, gates * hidden, inputs)
        weights[w_hh] = uniform(bound, gates * hidden, hidden)
        weights[b_ih] = uniform(bound, gates * hidden)
        weights[b_hh] = uniform(bound, gates * hidden)
        if "forget" in spec.gates:
            forget = spec.gates.index("forget")
            weights[b_ih][forget * hidden : (forget + 1) * hidden] += config.forget_bias
    weights["decoder.weight"] = uniform(bound, vocab_size, hidden)
    weights["decoder.bias"] = uniform(bound, vocab_size)
    return weights


# -- batches -----------------------------------------------------------------------------------------
@dataclass
class Batch:
    inputs: np.ndarray  # (T, B) token ids, padded
    targets: np.ndarray  # (T, B) the next token of each position
    mask: np.ndarray  # (T, B) bool: True where a target counts

    @property
    def tokens(self) -> int:
        return int(self.mask.sum())


def make_batch(sequences: Sequence[np.ndarray], eos_id: int | None, pad_id: int = 0) -> Batch:
    """One padded, time-major batch of sentences given as id arrays."""
    steps = max(len(s) for s in sequences)
    inputs = np.full((steps, len(sequences)), pad_id, dtype=np.int64)
    targets = np.full_like(inputs, pad_id)
    mask = np.zeros(inputs.shape, dtype=bool)
    for b, seq in enumerate(sequences):
        n = len(seq)
        inputs[:n, b] = seq
        targets[: n - 1, b] = seq[1:]
        mask[: n - 1, b] = True
        if eos_id is not None:
            targets[n - 1, b] = eos_id
            mask[n - 1, b] = True
    return Batch(inputs, targets, mask)


def make_batches(
    sequences: Sequence[np.ndarray],
    batch_size: int,
    rng: np.random.Generator,
    eos_id: int | None,
    pad_id: int = 0,
    pool: int = 50,
) -> list[Batch]:
    """Shuffled batches of similar-length sentences: shuffle, sort each pool of `pool` batches by
    length (little padding), cut into batches, shuffle the batch order."""
    order = rng.permutation(len(sequences))
    chunk = batch_size * pool
    groups: list[np.ndarray] = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort([len(sequences[i]) for i in part], kind="stable")]
        groups.extend(part[k : k + batch_size] for k in range(0, len(part), batch_size))
    batches = [make_batch([sequences[i] for i in group], eos_id, pad_id) for group in groups]
    return [batches[i] for i in rng.permutation(len(batches))]


def drop_words(batch: Batch, rate: float, unk_id: int, rng: np.random.Generator) -> Batch:
    """The batch with each counted input token replaced by unk_id with probability `rate` (word dropout).

    Only positions whose prediction counts (the mask) can change: padding stays padding, and the targets
    are the real words. A sentence's last token without a target is left alone; nothing reads it. A rate
    of 0 returns the batch itself and draws nothing from rng, so training without dropout is unchanged.
    """
    if rate <= 0:
        return batch
    dropped = batch.mask & (rng.random(batch.inputs.shape) < rate)
    return Batch(np.where(dropped, unk_id, batch.inputs), batch.targets, batch.mask)


# -- loss and gradients ------------------------------------------------------------------------------
def embedding_grad(ids: np.ndarray, dx: np.ndarray, vocab_size: int) -> np.ndarray:
    """Σ of the input gradients dx (N, E) into the rows of their token ids (N,): the embedding's
    gradient (V, E), as a sorted segment sum. The ids are sorted once and each run of equal ids is
    summed by one `np.add.reduceat`: one pass in C, where `np.add.at` pays per row (about 12× slower
    at V = 72 and never faster at V = 10,000)."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
    grad = np.zeros((vocab_size, dx.shape[-1]), dtype=dx.dtype)
    grad[sorted_ids[starts]] = np.add.reduceat(dx[order], starts, axis=0)
    return grad


def softmax_in_place(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, overwriting the logits (a training step has no use for them after)."""
    logits -= logits.max(axis=-1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=-1, keepdims=True)
    return logits


def loss_and_grads(
    model: Model, batch: Batch, runs: list[LayerRun] | None = None
) -> tuple[float, dict[str, np.ndarray]]:
    """Mean next-word cross-entropy over the batch's masked positions, and its gradient for every
    tensor of the model, under the native names.

    `runs`: the forward pass over batch.inputs when the caller ran it (a stream chunk starts from the
    last chunk's state, which each run records); the gradient stops at the state the runs started from."""
    runs = model.forward(batch.inputs) if runs is None else runs
    h_top = runs[-1].h  # (T, B, H)
    every = bool(batch.mask.all())  # no padding: the (T, B) positions in order, no gather or scatter
    where = np.nonzero(batch.mask)
    count = len(where[0])
    h_used = h_top.reshape(-1, h_top.shape[-1]) if every else h_top[where]  # (N, H) with a target
    targets = batch.targets.reshape(-1) if every else batch.targets[where]
    probs = softmax_in_place(model.logits(h_used))  # (N, V)
    rows = np.arange(count)
    picked = probs[rows, targets]
    loss = float(-np.log(np.maximum(picked.astype(np.float64), 1e-300)).mean())

    dlogits = probs  # becomes (softmax − one-hot) / N in place
    dlogits[rows, targets] -= 1
    dlogits /= count
    grads = {"decoder.weight": dlogits.T @ h_used, "decoder.bias": dlogits.sum(axis=0)}
    if every:
        dh_top = (dlogits @ model.decoder_weight).reshape(h_top.shape)
    else:
        dh_top = np.zeros_like(h_top)
        dh_top[where] = dlogits @ model.decoder_weight

    x = model.embedding[batch.inputs]
    dx, layer_grads = stack_backward(
        model.cell, runs, x, model.layers, dh_top, nonlinearity=model.nonlinearity, need_params=True
    )
    grads["encoder.weight"] = embedding_grad(
        batch.inputs.reshape(-1), dx.reshape(-1, dx.shape[-1]), len(model.embedding)
    )
    for k, g in enumerate(layer_grads or []):
        grads.update(zip(layer_names(k), (g.w_ih, g.w_hh, g.b_ih, g.b_hh), strict=True))
    return loss, grads


def global_norm(grads: dict[str, np.ndarray]) -> float:
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_global_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Scale all gradients in place so their joint L2 norm is at most max_norm; returns the norm before."""
    norm = global_norm(grads)
    if max_norm > 0 and norm > max_norm:
        scale = max_norm / (norm + 1e-12)
        for g in grads.values():
            g *= scale
    return norm


class Adam:
    """Adam (Kingma & Ba) updating the given arrays in place.

    m ← β1 m + (1−β1) g     v ← β2 v + (1−β2) g²     p ← p − lr · m̂ / (√v̂ + ε), with bias-corrected m̂, v̂
    """

    def __init__(
        self,
        params: dict[str, np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        self.params = params
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}
        self.scratch = {name: np.empty_like(p) for name, p in params.items()}
        self.steps = 0

    def step(self, grads: dict[str, np.ndarray]) -> None:
        self.steps += 1
        correction1 = 1 - self.beta1**self.steps
        correction2 = 1 - self.beta2**self.steps
        step_size = self.lr * math.sqrt(correction2) / correction1
        eps = self.eps * math.sqrt(correction2)  # same update as ε added to √v̂
        # In place through one scratch array per tensor: at V = 10,000 the embedding and decoder are
        # megabytes each, and fresh temporaries would cost a page fault per 4 kB on every step.
        for name, p in self.params.items():
            g, m, v, scratch = grads[name], self.m[name], self.v[name], self.scratch[name]
            np.multiply(g, 1 - self.beta1, out=scratch)
            m *= self.beta1
            m += scratch
            np.multiply(g, g, out=scratch)
            scratch *= 1 - self.beta2
            v *= self.beta2
            v += scratch
            np.sqrt(v, out=scratch)
            scratch += eps
            np.divide(m, scratch, out=scratch)
            scratch *= step_size
            p -= scratch


# -- the training loop -------------------------------------------------------------------------------
@dataclass
class Progress:
    """What a progress callback sees after each batch."""

    epoch: int  # 1-based, within the current fit
    epochs: int
    step: int  # batch within the epoch, 1-based
    steps: int  # batches per epoch
    loss: float  # mean loss over this epoch's batches so far
    batch_loss: float
    tokens: int  # target tokens seen in this fit
    total_tokens: int  # target tokens this fit will see in all
    elapsed: float  # seconds since the fit started

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float:
        """Seconds left in this fit, by the token rate so far."""
        rate = self.tokens_per_second
        return (self.total_tokens - self.tokens) / rate if rate > 0 else math.inf

    @property
    def epoch_done(self) -> bool:
        return self.step == self.steps


ProgressCallback = Callable[[Progress], None]


@dataclass
class TrainResult:
    model: Model
    epoch_losses: list[float] = field(default_factory=list)  # mean loss of each finished epoch
    interrupted: bool = False  # stopped by KeyboardInterrupt; the model is the one reached so far
    seconds: float = 0.0
    steps: int = 0  # optimizer steps taken in this fit

    @property
    def final_loss(self) -> float:
        return self.epoch_losses[-1] if self.epoch_losses else math.nan


class Trainer:
    """Owns a model and its optimizer; `fit` may be called several times (a curriculum), Adam's state
    carries over, and `history` records each stage for the model's metadata."""

    def __init__(
        self, vocab: Sequence[str], config: TrainConfig, weights: dict[str, np.ndarray] | None = None
    ):
        self.config = config
        self.vocab = Vocab(vocab)
        weights = init_weights(config, len(self.vocab)) if weights is None else weights
        self.model = Model(weights, config.cell, self.vocab, dtype=config.dtype)
        # model.weights holds references to the model's own arrays: Adam updates the model in place.
        self.optimizer = Adam(self.model.weights, lr=config.lr)
        self.rng = np.random.default_rng(config.seed + 1)
        # Word dropout draws from its own stream: the batch order is the same at every unk_rate.
        self.dropout_rng = np.random.default_rng((config.seed, DROPOUT_STREAM))
        self.eos_id = self.vocab.index.get(EOS)
        if config.blas_threads not in POLICIES:
            raise InputError(f"blas_threads is {config.blas_threads!r}: use one of {', '.join(POLICIES)}")
        if not 0 <= config.unk_rate < 1:
            raise InputError(f"unk_rate is {config.unk_rate}: give a probability from 0 up to (below) 1")
        if config.unk_rate > 0 and self.vocab.unk_id is None:
            raise InputError(
                f"unk_rate is {config.unk_rate}, but the vocabulary has no {UNK}: add {UNK} or use unk_rate 0"
            )
        self.history: list[dict[str, str]] = []
        keep_freed_memory()  # every step reuses the last step's memory instead of faulting in new pages
        # One BLAS thread or the default threads, whichever measures faster (rnnviz.training.threads)
        self.blas = BlasThreads(config.blas_threads)
        self.seconds = 0.0
        self.tokens = 0

    def encode(self, sentences: Iterable[str | Sequence[str]]) -> list[np.ndarray]:
        """Token ids of each sentence; sentences too short to give a target are left out."""
        least = 1 if self.eos_id is not None else 2
        encoded = (self.vocab.encode(split_text(s)) for s in sentences)
        return [ids for ids in encoded if len(ids) >= least]

    def step(self, batch: Batch) -> float:
        """One optimizer step on a batch (word dropout applied first); returns the batch's loss before
        the step."""
        if self.config.unk_rate > 0 and self.vocab.unk_id is not None:  # __init__ refused a rate without it
            batch = drop_words(batch, self.config.unk_rate, self.vocab.unk_id, self.dropout_rng)
        return self.blas.run(lambda: self._update(batch))

    def _update(self, batch: Batch) -> float:
        loss, grads = loss_and_grads(self.model, batch)
        clip_global_norm(grads, self.config.clip)
        self.optimizer.step(grads)
        return loss

    def fit(
        self,
        sequences: Sequence[np.ndarray],
        epochs: int | None = None,
        callback: ProgressCallback | None = None,
        label: str = "",
        lr: float | None = None,
    ) -> TrainResult:
        """Train for `epochs` passes over `sequences` (id arrays, see encode), at learning rate `lr`
        (default: the config's; it stays in force for later fits).

        A KeyboardInterrupt (Ctrl-C, or raised by the callback) ends the fit early; the result then
        holds the model as trained so far and says interrupted.
        """
        if not sequences:
            raise InputError("nothing to train on: the corpus has no sentence of two or more tokens")
        epochs = self.config.epochs if epochs is None else epochs
        if lr is not None:
            self.optimizer.lr = lr
        total_tokens = epochs * sum(len(s) - (self.eos_id is None) for s in sequences)
        result = TrainResult(model=self.model)
        start = time.perf_counter()
        seen, epoch, loss_sum, token_sum = 0, 0, 0.0, 0
        try:
            for epoch in range(1, epochs + 1):
                batches = make_batches(sequences, self.config.batch, self.rng, self.eos_id)
                loss_sum, token_sum = 0.0, 0
                for k, batch in enumerate(batches, start=1):
                    batch_loss = self.step(batch)
                    result.steps += 1
                    tokens = batch.tokens
                    seen += tokens
                    loss_sum += batch_loss * tokens
                    token_sum += tokens
                    if k == len(batches):
                        result.epoch_losses.append(loss_sum / token_sum)
                    if callback is not None:
                        callback(
                            Progress(
                                epoch=epoch,
                                epochs=epochs,
                                step=k,
                                steps=len(batches),
                                loss=loss_sum / token_sum,
                                batch_loss=batch_loss,
                                tokens=seen,
                                total_tokens=total_tokens,
                                elapsed=time.perf_counter() - start,
                            )
                        )
        except KeyboardInterrupt:
            result.interrupted = True
            if token_sum and len(result.epoch_losses) < epoch:  # the unfinished epoch's loss so far
                result.epoch_losses.append(loss_sum / token_sum)
        self.record_stage(result, label, {"sentences": str(len(sequences))}, start, seen, epochs)
        return result

    def record_stage(
        self, result: TrainResult, label: str, data: dict[str, str], start: float, seen: int, epochs: int
    ) -> None:
        """A finished (or interrupted) stage's time and counts, and its line in the model's history."""
        result.seconds = time.perf_counter() - start
        self.seconds += result.seconds
        self.tokens += seen
        self.history.append(
            {
                "label": label,
                **data,
                "lr": str(self.optimizer.lr),
                "epochs": str(len(result.epoch_losses)) if result.interrupted else str(epochs),
                "steps": str(result.steps),
                "seconds": f"{result.seconds:.1f}",
                "final_loss": f"{result.final_loss:.4f}",
                "interrupted": str(result.interrupted).lower(),
            }
        )

    def metadata(self) -> dict[str, str]:
        """How the model was trained, as strings (safetensors metadata)."""
        import json

        last = self.history[-1] if self.history else {}
        meta = {
            "trained": "yes" if self.history else "no",
            "trainer": "rnnviz.training.train (NumPy BPTT, Adam, global-norm clipping)",
            "seed": str(self.config.seed),
            "embedding": str(self.config.embedding),
            "hidden": str(self.config.hidden),
            "layers": str(self.config.layers),
            "lr": str(self.config.lr),
            "clip": str(self.config.clip),
            "unk_rate": str(self.config.unk_rate),
            "batch": str(self.config.batch),
            "epochs": str(sum(int(h["epochs"]) for h in self.history)),
            "steps": str(self.optimizer.steps),
            "tokens": str(self.tokens),
            "train_seconds": f"{self.seconds:.1f}",
            "final_loss": last.get("final_loss", "nan"),
            "stages": json.dumps(self.history),
        }
        if "forget" in self.model.spec.gates:
            meta["forget_bias"] = str(self.config.forget_bias)
        return meta

    def export(self, tokenizer: str = DEFAULT_TOKENIZER, **metadata: str) -> Model:
        """The trained model, as float32, reading text with `tokenizer` (how its corpus was split), with
        metadata saying how it was trained (plus `metadata`)."""
        meta = self.metadata()
        meta.update(metadata)
        weights = {name: np.array(value, dtype=np.float32) for name, value in self.model.weights.items()}
        return Model(
            weights, self.model.cell_name, self.vocab, dtype="float32", metadata=meta, tokenizer=tokenizer
        )


def train(
    sentences: Iterable[str | Sequence[str]],
    vocab: Sequence[str],
    config: TrainConfig,
    callback: ProgressCallback | None = None,
    **metadata: str,
) -> TrainResult:
    """Train a fresh model on sentences (strings or token lists) with one call.

    The result's model carries metadata on how it was trained; result.interrupted says whether
    Ctrl-C (or a KeyboardInterrupt from the callback) stopped it early.
    """
    trainer = Trainer(vocab, config)
    result = trainer.fit(trainer.encode(sentences), config.epochs, callback, label=metadata.get("corpus", ""))
    result.model = trainer.export(**metadata)
    return result
