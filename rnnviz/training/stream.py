"""Train a language model on one continuous stream of tokens, as char-rnn does: truncated BPTT.

The stream of N ids is cut into B parallel streams of L = (N − 1) // B steps, side by side as columns
(T, B): stream b reads ids[b·L : (b+1)·L] and predicts the id after each. Each epoch walks the columns
in chunks of T steps (`chunk`, 100 as char-rnn); a chunk's forward pass starts from the previous
chunk's final h and c in every layer, and its backward pass stops at the chunk's start (the carried
state is a constant). Every position has a target, so the loss is the plain mean

    loss = −(1/(T·B)) Σ_{t,b} log p(x_{t+1, b} | x_{≤t, b})        bits per token = loss / ln 2

Validation runs a held-out stream the same way (state carried, no gradient) and reports the mean loss
per token, in nats: bits per character for a character model, exp(loss) = perplexity for words.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.carry import State, run_carried, zero_state
from rnnviz.core.model import Model, softmax
from rnnviz.errors import InputError
from rnnviz.training.train import (
    Batch,
    Progress,
    TrainConfig,
    Trainer,
    TrainResult,
    clip_global_norm,
    loss_and_grads,
)

CHUNK = 100  # steps of truncated BPTT, as char-rnn's seq_length


def bits(nats: float) -> float:
    """A loss in nats per token as bits per token (bits per character for a character model)."""
    return nats / math.log(2)


def split_streams(ids: np.ndarray, streams: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets (L, B) of B parallel streams cut from one id stream; the tail that does not
    fill every stream is dropped (fewer than B ids)."""
    ids = np.asarray(ids, dtype=np.int64)
    length = (len(ids) - 1) // streams if streams > 0 else 0
    if length < 1:
        raise InputError(
            f"the text has {len(ids)} tokens, too few for {streams} parallel streams: "
            "give a longer text or a smaller --batch"
        )
    starts = np.arange(streams) * length
    columns = starts[None, :] + np.arange(length)[:, None]  # (L, B): position of each input
    return ids[columns], ids[columns + 1]


def chunks(inputs: np.ndarray, targets: np.ndarray, chunk: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Consecutive (T, B) slices of the streams, the last one shorter when L is not a multiple of T."""
    for start in range(0, len(inputs), chunk):
        yield inputs[start : start + chunk], targets[start : start + chunk]


def chunk_loss_and_grads(
    model: Model, inputs: np.ndarray, targets: np.ndarray, state: State
) -> tuple[float, dict[str, np.ndarray], State]:
    """Mean loss of one chunk started from `state`, its gradient (none flows into the state) and the
    state after the chunk."""
    runs, after = run_carried(model, inputs, state)
    batch = Batch(inputs, targets, np.ones(inputs.shape, dtype=bool))
    loss, grads = loss_and_grads(model, batch, runs=runs)
    return loss, grads, after


def evaluate(model: Model, ids: np.ndarray, streams: int = 1, chunk: int = 1000) -> float:
    """Mean loss in nats per predicted token of a stream read with the state carried throughout (split
    into `streams` parallel streams for speed: each of them starts from zero)."""
    ids = np.asarray(ids, dtype=np.int64)
    streams = max(1, min(streams, (len(ids) - 1) // 2))
    inputs, targets = split_streams(ids, streams)
    state = zero_state(model, streams)
    total, count = 0.0, 0
    for x, y in chunks(inputs, targets, chunk):
        runs, state = run_carried(model, x, state)
        probs = softmax(model.logits(runs[-1].h))  # (T, B, V)
        picked = np.take_along_axis(probs, y[..., None], axis=-1)[..., 0].astype(np.float64)
        total -= float(np.log(np.maximum(picked, 1e-300)).sum())
        count += y.size
    return total / count


@dataclass
class StreamProgress(Progress):
    """A progress report of stream training; at the end of an epoch it also holds the validation loss."""

    valid_loss: float | None = None  # nats per token on the held-out stream, at an epoch's end


StreamCallback = Callable[[StreamProgress], None]


@dataclass
class StreamResult(TrainResult):
    valid_losses: list[float] = field(default_factory=list)  # nats per token after each finished epoch


class StreamTrainer(Trainer):
    """A Trainer whose data is one token stream: `config.batch` parallel streams, chunks of `chunk` steps."""

    def __init__(
        self,
        vocab: Sequence[str],
        config: TrainConfig,
        chunk: int = CHUNK,
        weights: dict[str, np.ndarray] | None = None,
    ):
        if chunk < 1:
            raise InputError(f"the chunk length is {chunk}: give at least 1 step")
        super().__init__(vocab, config, weights)
        self.chunk = chunk
        self.valid_losses: list[float] = []

    def chunk_step(self, inputs: np.ndarray, targets: np.ndarray, state: State) -> tuple[float, State]:
        """One optimizer step on a chunk; the loss before the step and the state to carry on with.
        BLAS runs on the threads the trainer measured faster (rnnviz.training.threads)."""
        return self.blas.run(lambda: self._chunk_update(inputs, targets, state))

    def _chunk_update(self, inputs: np.ndarray, targets: np.ndarray, state: State) -> tuple[float, State]:
        loss, grads, after = chunk_loss_and_grads(self.model, inputs, targets, state)
        clip_global_norm(grads, self.config.clip)
        self.optimizer.step(grads)
        return loss, after

    def fit_stream(
        self,
        ids: np.ndarray,
        valid: np.ndarray | None = None,
        epochs: int | None = None,
        callback: StreamCallback | None = None,
        label: str = "",
        valid_streams: int = 16,
    ) -> StreamResult:
        """Train for `epochs` passes over the stream `ids`, validating on `valid` after each epoch.

        Each epoch starts the streams at a fresh random offset below `chunk`, so chunk boundaries
        fall in new places. Ctrl-C (a KeyboardInterrupt) ends the fit early with the model so far.
        """
        epochs = self.config.epochs if epochs is None else epochs
        streams = self.config.batch
        ids = np.asarray(ids, dtype=np.int64)
        split_streams(ids, streams)  # a clear error now for a stream too short
        total_tokens = epochs * streams * ((len(ids) - 1) // streams)
        result = StreamResult(model=self.model)
        start = time.perf_counter()
        seen, epoch, loss_sum, token_sum = 0, 0, 0.0, 0
        try:
            for epoch in range(1, epochs + 1):
                offset = int(self.rng.integers(0, min(self.chunk, max(1, len(ids) - streams - 1))))
                inputs, targets = split_streams(ids[offset:], streams)
                pieces = list(chunks(inputs, targets, self.chunk))
                state = zero_state(self.model, streams)
                loss_sum, token_sum = 0.0, 0
                for k, (x, y) in enumerate(pieces, start=1):
                    batch_loss, state = self.chunk_step(x, y, state)
                    result.steps += 1
                    seen += y.size
                    loss_sum += batch_loss * y.size
                    token_sum += y.size
                    valid_loss = None
                    if k == len(pieces):
                        result.epoch_losses.append(loss_sum / token_sum)
                        if valid is not None and len(valid) > 1:
                            valid_loss = evaluate(self.model, valid, streams=valid_streams)
                            result.valid_losses.append(valid_loss)
                    if callback is not None:
                        callback(
                            StreamProgress(
                                epoch=epoch,
                                epochs=epochs,
                                step=k,
                                steps=len(pieces),
                                loss=loss_sum / token_sum,
                                batch_loss=batch_loss,
                                tokens=seen,
                                total_tokens=total_tokens,
                                elapsed=time.perf_counter() - start,
                                valid_loss=valid_loss,
                            )
                        )
        except KeyboardInterrupt:
            result.interrupted = True
            if token_sum and len(result.epoch_losses) < epoch:
                result.epoch_losses.append(loss_sum / token_sum)
        self.valid_losses += result.valid_losses
        self.record_stage(result, label, {"stream_tokens": str(len(ids))}, start, seen, epochs)
        return result

    def metadata(self) -> dict[str, str]:
        meta = super().metadata()
        meta["trainer"] = "rnnviz.training.stream (NumPy truncated BPTT on a token stream, Adam, clipping)"
        meta["streams"] = str(self.config.batch)
        meta["chunk"] = str(self.chunk)
        if self.valid_losses:
            meta["valid_loss"] = f"{self.valid_losses[-1]:.4f}"
            meta["valid_bits"] = f"{bits(self.valid_losses[-1]):.4f}"
        return meta
