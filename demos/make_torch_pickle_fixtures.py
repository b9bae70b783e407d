"""Write small `torch.save` files for the torch pickle reader's tests, each with its expected state dict.

Whole models need their class importable when saved and named by module path in the pickle, so a tiny
`model.py` (shaped like pytorch/examples' word_language_model RNNModel) is written to a temporary folder
and a subprocess imports it from there to save. Every fixture `<name>.pt` has a `<name>.expected.npz`
holding `model.state_dict()` (or the dict of tensors) as float64 arrays, so the tests need no torch.

A big-endian file is made by rewriting a little-endian zip (storages byte-swapped, `byteorder` set to
"big"), since torch only writes its host's byte order; torch.load must read it back to the same values.

Usage: python demos/make_torch_pickle_fixtures.py   (writes tests/fixtures/torch_pickle/)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_pickle"

MODEL_PY = '''
import torch.nn as nn


class RNNModel(nn.Module):
    """Encoder, recurrent module, decoder: word_language_model's RNNModel with a few more options."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False,
                 bias=True, proj_size=0, bidirectional=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ("LSTM", "GRU"):
            extra = {"proj_size": proj_size} if proj_size else {}
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout, bias=bias,
                                             bidirectional=bidirectional, **extra)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout, bias=bias)
        out = (proj_size or nhid) * (2 if bidirectional else 1)
        self.decoder = nn.Linear(out, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers
'''

# Runs in the subprocess, with the temporary folder holding model.py first on sys.path.
SAVE_PY = '''
import io
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from model import RNNModel

# One-layer models keep the class's default dropout, which torch warns does nothing there.
warnings.filterwarnings("ignore", "dropout option adds dropout")
out = Path(sys.argv[1])
V, E, H, L = 11, 4, 5, 2


class Net(nn.Module):
    """A user's own class defined in __main__, holding a ModuleList and a buffer."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Embedding(V, E), nn.GRU(E, H, batch_first=True)])
        self.head = nn.Sequential(nn.Linear(H, H), nn.Tanh(), nn.Linear(H, V, bias=False))
        self.register_buffer("scale", torch.arange(3, dtype=torch.float32))
        self.label = "net"


def seeded(model, seed):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64).to(p.dtype))
    return model.eval()


def expected(state):
    return {k: v.detach().double().numpy() for k, v in state.items()}


def save(name, obj, state, legacy=False):
    path = out / f"{name}.pt"
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    np.savez(out / f"{name}.expected.npz", **expected(state))
    # Read back with torch: the expected arrays must be what torch itself loads.
    back = torch.load(path, weights_only=False)
    back_state = back.state_dict() if isinstance(back, nn.Module) else state_of(back)
    assert set(back_state) == set(state), name
    for k in state:
        assert torch.equal(back_state[k], state[k]), (name, k)


def state_of(loaded):
    return loaded["state_dict"] if "state_dict" in loaded else loaded


def model(seed, *args, **kwargs):
    return seeded(RNNModel(*args, **kwargs), seed)


m = model(1, "LSTM", V, E, H, L)
save("lstm", m, m.state_dict())
m = model(2, "GRU", V, E, H, L)
save("gru", m, m.state_dict())
m = model(3, "RNN_RELU", V, E, H, 1)
save("rnn_relu", m, m.state_dict())
m = model(4, "LSTM", V, E, E, 1, tie_weights=True)
save("lstm_tied", m, m.state_dict())
m = model(5, "LSTM", V, E, H, L, bias=False)
save("lstm_nobias", m, m.state_dict())
m = model(6, "LSTM", V, E, H, 1, proj_size=3)
save("lstm_proj", m, m.state_dict())
m = model(7, "GRU", V, E, H, 1, bidirectional=True)
save("gru_bidirectional", m, m.state_dict())
m = seeded(Net(), 8)
save("main_net", m, m.state_dict())

m = model(9, "LSTM", V, E, H, L)
save("lstm_state_dict", m.state_dict(), m.state_dict())
checkpoint = {"epoch": 3, "lr": 0.5, "state_dict": m.state_dict(), "note": "best so far"}
save("lstm_checkpoint", checkpoint, m.state_dict())

m = model(10, "LSTM", V, E, H, 1)
save("lstm_legacy", m, m.state_dict(), legacy=True)
save("lstm_legacy_state_dict", m.state_dict(), m.state_dict(), legacy=True)

m = model(11, "GRU", V, E, H, 1).half()
save("gru_float16", m.state_dict(), m.state_dict())
m = model(12, "GRU", V, E, H, 1).to(torch.bfloat16)
save("gru_bfloat16", m.state_dict(), m.state_dict())
m = model(13, "GRU", V, E, H, 1).double()
save("gru_float64", m.state_dict(), m.state_dict())

# Views sharing one storage: a transpose (strides (1, n)) and a slice at a storage offset.
base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
views = {"base": base, "transposed": base.t(), "rows": base[1:], "column": base[:, 2]}
save("views", views, views)

# Big-endian: rewrite the little-endian GRU state dict with every storage byte-swapped.
m = model(14, "GRU", V, E, H, 1)
little_path = out / "gru_big_endian.pt"
torch.save(m.state_dict(), little_path)
buffer = io.BytesIO()
with zipfile.ZipFile(little_path) as zin, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zout:
    for info in zin.infolist():
        data = zin.read(info)
        name = info.filename.split("/", 1)[1]
        if name.startswith("data/"):
            data = np.frombuffer(data, "<f4").astype(">f4").tobytes()
        elif name == "byteorder":
            data = b"big"
        zout.writestr(info.filename, data)
little_path.write_bytes(buffer.getvalue())
np.savez(out / "gru_big_endian.expected.npz", **expected(m.state_dict()))
back = torch.load(little_path, weights_only=True)
for k, v in m.state_dict().items():
    assert torch.equal(back[k], v), k
print("torch", torch.__version__)
'''


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "model.py").write_text(textwrap.dedent(MODEL_PY))
        (Path(tmp) / "save.py").write_text(SAVE_PY)
        subprocess.run([sys.executable, "save.py", str(OUT)], cwd=tmp, check=True)
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
