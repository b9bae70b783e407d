"""Train a small word-level LSTM in PyTorch on the demo corpus and save it as PyTorch users do.

The model has the shape and tensor names of PyTorch's word_language_model example (encoder → rnn →
decoder), trained the same way: one long token stream, truncated backpropagation through time.
Writes OUT/lm.safetensors (safetensors.torch.save_file of the state dict), OUT/lm.pt (torch.save of
the state dict) and OUT/vocab.txt (the id → word list, one a line). Then: rnnviz OUT/lm.safetensors

Usage: python demos/from_pytorch.py [--out demo_out/pytorch] [--cell LSTM|GRU|RNN_TANH] [--seconds 60]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from rnnviz.training.corpus import token_stream


class RNNModel(nn.Module):
    """word_language_model's RNNModel, without dropout: encoder → rnn → decoder."""

    def __init__(self, rnn_type: str, ntoken: int, ninp: int = 32, nhid: int = 64, nlayers: int = 1):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ("LSTM", "GRU"):
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers)
        else:
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=rnn_type.removeprefix("RNN_").lower())
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, ids: torch.Tensor, hidden=None):
        output, hidden = self.rnn(self.encoder(ids), hidden)
        return self.decoder(output), hidden


def detach(hidden):
    return tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) else hidden.detach()


def train(model: RNNModel, stream: torch.Tensor, seconds: float, batch: int = 32, bptt: int = 35) -> None:
    columns = stream[: len(stream) // batch * batch].view(batch, -1).t().contiguous()  # (T, B)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    start, epoch = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        hidden, total, steps = None, 0.0, 0
        for i in range(0, len(columns) - 1, bptt):
            inputs, targets = columns[i : i + bptt], columns[i + 1 : i + 1 + bptt]
            inputs = inputs[: len(targets)]
            logits, hidden = model(inputs, hidden)
            hidden = detach(hidden)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total, steps = total + loss.item(), steps + 1
            if time.monotonic() - start > seconds:
                break
        epoch += 1
        print(f"epoch {epoch}: loss {total / max(steps, 1):.3f} ({time.monotonic() - start:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("demo_out/pytorch"))
    parser.add_argument("--cell", default="LSTM", choices=["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
    parser.add_argument("--seconds", type=float, default=60.0, help="training time budget")
    parser.add_argument("--sentences", type=int, default=5000)
    args = parser.parse_args()

    torch.manual_seed(0)
    vocab, ids = token_stream(args.sentences, seed=0)
    stream = torch.tensor(ids)
    model = RNNModel(args.cell, len(vocab))
    train(model, stream, args.seconds)

    args.out.mkdir(parents=True, exist_ok=True)
    save_file(model.state_dict(), args.out / "lm.safetensors")  # the safe way to share weights
    torch.save(model.state_dict(), args.out / "lm.pt")  # the common way; rnnviz reads it with weights_only
    (args.out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf8")
    print(f"wrote {args.out}/lm.safetensors, lm.pt and vocab.txt")
    print(
        f"view it: rnnviz {args.out / 'lm.safetensors'}"
        + ("" if args.cell != "RNN_RELU" else " --cell rnn_relu")
    )


if __name__ == "__main__":
    main()
