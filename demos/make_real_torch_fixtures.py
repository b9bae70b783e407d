"""Make test fixtures with REAL third-party PyTorch code, so rnnviz's torch-free loaders can be checked.

What: runs the real training programs of two public repositories on CPU with tiny settings and keeps
the files they save, exactly as they save them, next to reference outputs computed with PyTorch:

* pytorch/examples ``word_language_model``: ``main.py --save`` pickles the WHOLE model
  (``torch.save(model, f)``, class ``model.RNNModel``) -> ``wlm_*.pt``;
* spro/char-rnn.pytorch: ``train.py`` pickles the whole ``model.CharRNN`` -> ``charrnn_*.pt``;
* state dicts of small ``Embedding -> nn.LSTM/GRU/RNN -> Linear`` models exercising every layer option
  (bias=False, proj_size, bidirectional, relu, batch_first, 3 layers, decoder without bias, classifier
  head) -> ``sd_*.pt`` (and one ``.safetensors``);
* a min-char-rnn-style NumPy model (Karpathy's gist equations) -> ``minchar.npz``.

Every model file ``<name>.<ext>`` comes with ``<name>.vocab.json`` (tokens in id order) and
``<name>.expected.npz``: ``tokens`` (unicode), ``ids`` (int64), ``probs`` (T, V) float64 softmax of the
output layer after every token, ``hidden_top`` (T, H) top layer hidden state (forward direction),
``hidden`` (L, T, D*H) every layer's output, ``cell`` (L, T, H) for unidirectional LSTMs, ``output``
(T, D*H) the top layer's full output, ``head`` ("lm" or "classifier") and ``config`` (JSON of the true
architecture). References are computed in float64, batch 1, zero initial state, eval mode.

Why: rnnviz reads these formats without torch; these files are what people actually have on disk.

Usage (checkouts of the two repositories, kept outside this repository)::

    python demos/make_real_torch_fixtures.py --examples /work/ext/examples \
        --char-rnn /work/ext/char-rnn.pytorch --extra-path /work/ext/pydeps [--big-out /work/ext/big]

``--extra-path`` is a directory holding ``unidecode`` and ``tqdm`` (char-rnn's dependencies), e.g. made with
``pip install --target /work/ext/pydeps unidecode tqdm``. ``--big-out`` also makes larger word-language
models (nhid 200, whole-corpus vocabulary) for measurements; they are not fixtures.

The script re-runs itself (hidden sub-command ``_worker``) in subprocesses whose ``sys.path`` holds the
third-party folder, because the pickles name its modules (``model.RNNModel``); nothing of their code is
copied here. Finally every file is reloaded in a fresh process and the references are recomputed and
compared exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import pickletools
import shutil
import string
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

SCRIPT = Path(__file__).resolve()
DEFAULT_OUT = SCRIPT.parent.parent / "tests" / "fixtures" / "real"

# word_language_model: a small corpus (first lines of wikitext-2 valid.txt used as train, valid and test)
# keeps the vocabulary near 1.4k words so the fixtures stay small.
WLM_SMALL_LINES = 100
WLM_SMALL_FLAGS = ["--emsize", "16", "--nhid", "16", "--epochs", "1", "--bptt", "10", "--batch_size", "10"]
WLM_MODELS = {  # name -> extra main.py flags (their defaults: nlayers 2, dropout 0.2)
    "wlm_lstm": ["--model", "LSTM"],
    "wlm_gru": ["--model", "GRU"],
    "wlm_rnn_tanh": ["--model", "RNN_TANH"],
    "wlm_rnn_relu": ["--model", "RNN_RELU", "--lr", "5"],  # at the default lr 20 every relu unit dies
    "wlm_lstm_tied": ["--model", "LSTM", "--tied"],
    "wlm_lstm_1layer": ["--model", "LSTM", "--nlayers", "1", "--dropout", "0"],
}
WLM_BIG_FLAGS = ["--emsize", "200", "--nhid", "200", "--epochs", "1"]
WLM_BIG_MODELS = {
    "wlm_big_lstm": ["--model", "LSTM"],
    "wlm_big_lstm_tied": ["--model", "LSTM", "--tied"],
    "wlm_big_gru": ["--model", "GRU"],
}
# Two consecutive sentences of valid.txt line 85 (both contain @-@ and <unk>).
WLM_TEXT = (
    "M @-@ 82 begins at a junction with M @-@ 120 and B @-@ 96 west of <unk> . "
    "This junction is at a <unk> of county lines ."
)

# char-rnn.pytorch: trained on a standard-library source file.
CHARRNN_FLAGS = ["--hidden_size", "24", "--n_epochs", "20", "--chunk_len", "50", "--print_every", "10"]
CHARRNN_MODELS = {"charrnn_gru": ["--model", "gru"], "charrnn_lstm": ["--model", "lstm"]}
CHARRNN_SEED = 1234
TEXT_START = "def wrap(text, width=70, **kwargs):\n"  # the ~80-char probe string starts here
TEXT_LEN = 80

# train.py uses the PyTorch 0.3 idiom `loss.data[0]`, which raises on the 0-dim losses of PyTorch >= 0.5.
# This runner (not their code) makes CrossEntropyLoss return shape (1,) - same value, same gradients -
# seeds both random generators, and runs their unmodified train.py.
CHARRNN_RUNNER = r"""
import os, random, runpy, sys
import torch
random.seed(int(sys.argv[1]))
torch.manual_seed(int(sys.argv[1]))
class CrossEntropyLossShape1(torch.nn.CrossEntropyLoss):
    def forward(self, input, target):
        return super().forward(input, target).reshape(1)
torch.nn.CrossEntropyLoss = CrossEntropyLossShape1
script = sys.argv[2]
sys.argv = [script] + sys.argv[3:]
sys.path.insert(0, os.path.dirname(script))
runpy.run_path(script, run_name="__main__")
"""

SD_VOCAB = [f"w{i}" for i in range(50)]
SD_T = 18
# name -> architecture; names of the three modules vary like they do in the wild.
SD_MODELS = {
    "sd_lstm_bias_false": dict(cell="LSTM", names=("embedding", "lstm", "fc"), hidden=12, bias=False),
    "sd_lstm_proj": dict(cell="LSTM", names=("embed", "rnn", "decoder"), hidden=12, layers=2, proj_size=5),
    "sd_gru_bidir": dict(
        cell="GRU", names=("encoder", "gru", "decoder"), hidden=10, layers=2, bidirectional=True
    ),
    "sd_lstm_bidir": dict(cell="LSTM", names=("embedding", "lstm", "fc"), hidden=10, bidirectional=True),
    "sd_rnn_relu_nohint": dict(
        cell="RNN", names=("emb", "rnn", "out"), hidden=12, layers=2, nonlinearity="relu"
    ),
    "sd_lstm_batch_first_3layers": dict(
        cell="LSTM",
        names=("word_embeddings", "lstm", "linear"),
        hidden=12,
        layers=3,
        dropout=0.2,
        batch_first=True,
    ),
    "sd_lstm_decoder_nobias": dict(
        cell="LSTM", names=("encoder", "rnn", "decoder"), hidden=12, head_bias=False
    ),
    "sd_lstm_classifier": dict(cell="LSTM", names=("embedding", "lstm", "fc"), hidden=12, classes=4),
}
SD_EMBED = 8
SD_SAFETENSORS = "sd_lstm_bidir"

MINCHAR_HIDDEN = 20


# ---------------------------------------------------------------------------------------------------
# Reference computation shared by every model: float64, batch 1, zero initial state, eval mode.


def recurrent_references(rnn: nn.RNNBase, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Run ``rnn`` on embeddings ``x`` (T, I): the full output, every layer's output, LSTM cell states."""
    directions = 2 if rnn.bidirectional else 1
    h_out = rnn.proj_size or rnn.hidden_size
    with torch.no_grad():
        output = rnn(x[None] if rnn.batch_first else x[:, None])[0]
        output = output[0] if rnn.batch_first else output[:, 0]
        # Every layer's output sequence: one single-layer copy per layer, fed the previous layer's output.
        layers, inp = [], x[:, None]
        for layer in range(rnn.num_layers):
            kwargs = dict(bias=rnn.bias, bidirectional=rnn.bidirectional)
            if rnn.mode == "LSTM":
                kwargs["proj_size"] = rnn.proj_size
            if rnn.mode.startswith("RNN_"):
                kwargs["nonlinearity"] = rnn.mode[4:].lower()
            one = type(rnn)(inp.shape[-1], rnn.hidden_size, 1, **kwargs).double()
            one.load_state_dict(
                {
                    name.replace(f"_l{layer}", "_l0"): p
                    for name, p in rnn.named_parameters()
                    if name.endswith((f"_l{layer}", f"_l{layer}_reverse"))
                }
            )
            inp = one(inp)[0]
            layers.append(inp[:, 0])
        hidden = torch.stack(layers)
        refs = {"output": output, "hidden": hidden, "hidden_top": output[:, :h_out]}
        if not rnn.bidirectional:
            # One token at a time, carrying the state, as generate scripts do: gives the LSTM cell too.
            state, hs, cs = None, [], []
            for t in range(len(x)):
                state = rnn(x[t : t + 1, None], state)[1]
                hs.append((state[0] if rnn.mode == "LSTM" else state)[:, 0])
                if rnn.mode == "LSTM":
                    cs.append(state[1][:, 0])
            stepped = torch.stack(hs, 1)
            assert torch.allclose(stepped, hidden, rtol=0, atol=1e-12), "stepwise != layer by layer"
            if cs:
                refs["cell"] = torch.stack(cs, 1)
    assert directions * h_out == output.shape[-1]
    return {k: v.numpy().astype(np.float64) for k, v in refs.items()}


def softmax_rows(logits: torch.Tensor) -> np.ndarray:
    return torch.softmax(logits.double(), dim=-1).numpy()


def write_npz(path: Path, tokens: list[str], ids, probs, head: str, config: dict, **arrays) -> None:
    np.savez_compressed(
        path,
        tokens=np.array(tokens, dtype=str),
        ids=np.asarray(ids, dtype=np.int64),
        probs=np.asarray(probs, dtype=np.float64),
        head=np.array(head),
        config=np.array(json.dumps(config, sort_keys=True)),
        **{k: np.asarray(v) for k, v in arrays.items()},
    )


# ---------------------------------------------------------------------------------------------------
# Worker: runs in a subprocess with the third-party folder on sys.path (their pickles name `model.X`).


def worker(job: dict) -> None:
    sys.path.insert(0, job["code"])
    kind = job["kind"]
    if kind == "wlm_vocab":
        import data  # their data.py

        words = data.Corpus(job["data"]).dictionary.idx2word
        Path(job["out"]).write_text(json.dumps(words, ensure_ascii=False))
    elif kind == "wlm_expect":
        model = torch.load(job["pt"], weights_only=False, map_location="cpu").double().eval()
        vocab = json.loads(Path(job["vocab"]).read_text())
        assert len(vocab) == model.ntoken
        tokens = job["text"].split()
        ids = torch.tensor([vocab.index(w) for w in tokens], dtype=torch.int64)
        emb = model.encoder(ids).detach()
        refs = recurrent_references(model.rnn, emb)
        with torch.no_grad():
            probs = softmax_rows(model.decoder(torch.from_numpy(refs["output"])))
            # Their own forward (time-major (T, 1), init_hidden) returns log_softmax: same numbers.
            logp, _ = model(ids[:, None], model.init_hidden(1))
        assert np.allclose(np.exp(logp.numpy()), probs, rtol=0, atol=1e-12)
        config = dict(
            source="pytorch/examples word_language_model",
            rnn_type=model.rnn_type,
            nlayers=model.nlayers,
            nhid=model.nhid,
            ninp=model.encoder.embedding_dim,
            ntoken=model.ntoken,
            dropout=model.drop.p,
            tied=model.decoder.weight is model.encoder.weight,
        )
        write_npz(Path(job["out"]), tokens, ids, probs, "lm", config, **refs)
    elif kind == "charrnn_expect":
        import helpers  # their helpers.py: the alphabet and char_tensor

        model = torch.load(job["pt"], weights_only=False, map_location="cpu").double().eval()
        text = job["text"]
        hidden = model.init_hidden(1)  # float32 zeros: cast like the weights
        hidden = tuple(h.double() for h in hidden) if model.model == "lstm" else hidden.double()
        probs, hs, cs = [], [], []
        with torch.no_grad():
            for ch in text:  # as their generate.py: one character (batch 1) at a time
                output, hidden = model(helpers.char_tensor(ch), hidden)
                probs.append(softmax_rows(output[0]))
                h = hidden[0] if model.model == "lstm" else hidden
                hs.append(h[:, 0].numpy())
                if model.model == "lstm":
                    cs.append(hidden[1][:, 0].numpy())
        hidden_all = np.stack(hs, 1)
        extra = {"cell": np.stack(cs, 1)} if cs else {}
        config = dict(
            source="spro/char-rnn.pytorch",
            model=model.model,
            n_layers=model.n_layers,
            hidden_size=model.hidden_size,
            input_size=model.input_size,
            output_size=model.output_size,
        )
        write_npz(
            Path(job["out"]),
            list(text),
            helpers.char_tensor(text).numpy(),
            np.stack(probs),
            "lm",
            config,
            hidden=hidden_all,
            hidden_top=hidden_all[-1],
            **extra,
        )
    elif kind == "describe":
        model = torch.load(job["pt"], weights_only=False, map_location="cpu")
        info = {
            "class": f"{type(model).__module__}.{type(model).__qualname__}",
            "attributes": sorted(k for k in vars(model) if not k.startswith("_") or k == "_modules"),
            "children": {
                k: f"{type(m).__module__}.{type(m).__qualname__}" for k, m in model.named_children()
            },
            "state_dict": list(model.state_dict()),
        }
        try:  # torch.load's default (weights_only=True), with no allow-listed globals
            torch.load(job["pt"], map_location="cpu")
            info["weights_only_default"] = "loads"
        except Exception as exc:  # noqa: BLE001 - we report whatever it says
            said = [ln for ln in str(exc).splitlines() if "Unsupported global" in ln]
            info["weights_only_default"] = "fails: " + (said[0].strip() if said else str(exc)[:200])
        print(json.dumps(info))
    else:
        raise SystemExit(f"unknown worker job {kind!r}")


def run_worker(code: Path, env: dict | None = None, **job) -> str:
    job["code"] = str(code)
    res = subprocess.run(
        [sys.executable, str(SCRIPT), "_worker", json.dumps(job)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return res.stdout


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> None:
    print("  $", " ".join("<runner>" if "\n" in c else c for c in cmd), flush=True)
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if res.returncode:
        sys.exit(f"failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")


def commit_of(checkout: Path) -> str:
    res = subprocess.run(
        ["git", "-C", str(checkout), "log", "-1", "--format=%H %cs"], capture_output=True, text=True
    )
    return res.stdout.strip() if res.returncode == 0 else "unknown (not a git work tree)"


# ---------------------------------------------------------------------------------------------------
# The producers.


def make_wlm(code: Path, data_dir: Path, out: Path, models: dict, flags: list[str], work: Path) -> None:
    vocab = out / "_vocab.json"
    run_worker(code, kind="wlm_vocab", data=str(data_dir), out=str(vocab))
    for name, extra in models.items():
        print(f"[wlm] {name}", flush=True)
        save = work / f"{name}.pt"
        cmd = [sys.executable, str(code / "main.py"), "--data", str(data_dir), "--save", str(save)]
        run(cmd + flags + ["--log-interval", "100000"] + extra, cwd=work)  # no --accel: CPU
        shutil.move(save, out / f"{name}.pt")
        shutil.copy(vocab, out / f"{name}.vocab.json")
        npz = out / f"{name}.expected.npz"
        run_worker(
            code, kind="wlm_expect", pt=str(out / f"{name}.pt"), vocab=str(vocab), text=WLM_TEXT, out=str(npz)
        )
    vocab.unlink()


def charrnn_env(extra_path: str | None) -> dict:
    env = dict(os.environ)
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra_path, env.get("PYTHONPATH")]))
    return env


def make_charrnn(code: Path, text_file: Path, probe: str, out: Path, work: Path, env: dict) -> None:
    train_text = work / "textwrap_src.txt"  # train.py saves as <basename>.pt in its cwd
    shutil.copy(text_file, train_text)
    for name, extra in CHARRNN_MODELS.items():
        print(f"[char-rnn] {name}", flush=True)
        cmd = [
            sys.executable,
            "-c",
            CHARRNN_RUNNER,
            str(CHARRNN_SEED),
            str(code / "train.py"),
            str(train_text),
        ]
        run(cmd + CHARRNN_FLAGS + extra, cwd=work, env=env)
        shutil.move(work / "textwrap_src.pt", out / f"{name}.pt")
        (out / f"{name}.vocab.json").write_text(json.dumps(list(string.printable)))
        npz = out / f"{name}.expected.npz"
        run_worker(code, env=env, kind="charrnn_expect", pt=str(out / f"{name}.pt"), text=probe, out=str(npz))


class TinyModel(nn.Module):
    """Embedding -> nn.LSTM/GRU/RNN -> Linear, configurable module names (only its state dict is saved)."""

    def __init__(self, spec: dict) -> None:
        super().__init__()
        self.spec = spec
        self.emb_name, self.rnn_name, self.head_name = spec["names"]
        kwargs = dict(
            num_layers=spec.get("layers", 1),
            bias=spec.get("bias", True),
            batch_first=spec.get("batch_first", False),
            dropout=spec.get("dropout", 0.0),
            bidirectional=spec.get("bidirectional", False),
        )
        if spec["cell"] == "LSTM":
            kwargs["proj_size"] = spec.get("proj_size", 0)
        if spec["cell"] == "RNN":
            kwargs["nonlinearity"] = spec.get("nonlinearity", "tanh")
        setattr(self, self.emb_name, nn.Embedding(len(SD_VOCAB), SD_EMBED))
        setattr(self, self.rnn_name, getattr(nn, spec["cell"])(SD_EMBED, spec["hidden"], **kwargs))
        width = (2 if kwargs["bidirectional"] else 1) * (spec.get("proj_size") or spec["hidden"])
        n_out = spec.get("classes", len(SD_VOCAB))
        setattr(self, self.head_name, nn.Linear(width, n_out, bias=spec.get("head_bias", True)))

    def parts(self):
        return getattr(self, self.emb_name), getattr(self, self.rnn_name), getattr(self, self.head_name)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        emb, rnn, head = self.parts()
        output = rnn(emb(ids))[0]
        if "classes" in self.spec:  # classifier: the head reads the last time step only
            return head(output[:, -1] if rnn.batch_first else output[-1])
        return head(output)


def sd_expected(model: TinyModel, ids: np.ndarray) -> dict[str, np.ndarray]:
    model = model.double().eval()
    emb, rnn, head = model.parts()
    with torch.no_grad():
        refs = recurrent_references(rnn, emb(torch.from_numpy(ids)))
        # For the classifier this is the head after EVERY token (its forward uses only the last one).
        refs["probs"] = softmax_rows(head(torch.from_numpy(refs["output"])))
    return refs


def sd_config(spec: dict) -> dict:
    return dict(spec, names=list(spec["names"]), vocab=len(SD_VOCAB), embed=SD_EMBED)


def sd_ids(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, len(SD_VOCAB), SD_T).astype(np.int64)


def make_state_dicts(out: Path) -> None:
    from safetensors.torch import save_model

    for seed, (name, spec) in enumerate(SD_MODELS.items()):
        print(f"[state dict] {name}", flush=True)
        torch.manual_seed(100 + seed)
        model = TinyModel(spec).eval()
        with torch.no_grad():  # move off PyTorch's init so a bias on the wrong gate would show
            for p in model.parameters():
                p.add_(0.3 * torch.randn_like(p))
        state = model.state_dict()
        if name.endswith("_nohint"):  # a plain dict: no OrderedDict, no `_metadata`, nothing but tensors
            state = dict(state.items())
        torch.save(state, out / f"{name}.pt")
        if name == SD_SAFETENSORS:
            save_model(model, str(out / f"{name}.safetensors"))
        (out / f"{name}.vocab.json").write_text(json.dumps(SD_VOCAB))
        ids = sd_ids(seed)
        refs = sd_expected(model, ids)
        probs = refs.pop("probs")
        head = "classifier" if "classes" in spec else "lm"
        write_npz(
            out / f"{name}.expected.npz",
            [SD_VOCAB[i] for i in ids],
            ids,
            probs,
            head,
            sd_config(spec),
            **refs,
        )


def make_minchar(text: str, probe: str, out: Path) -> None:
    """A min-char-rnn-style model (Karpathy's gist): random weights, its exact forward equations."""
    print("[min-char-rnn] minchar", flush=True)
    chars = sorted(set(text))
    V, H = len(chars), MINCHAR_HIDDEN
    rng = np.random.default_rng(7)
    weights = dict(
        Wxh=rng.standard_normal((H, V)) * 0.5,
        Whh=rng.standard_normal((H, H)) * 0.3,
        Why=rng.standard_normal((V, H)) * 0.5,
        bh=rng.standard_normal((H, 1)) * 0.3,
        by=rng.standard_normal((V, 1)) * 0.3,
    )
    np.savez(out / "minchar.npz", **weights)
    (out / "minchar.vocab.json").write_text(json.dumps(chars))
    ids, probs, hs = minchar_forward(weights, chars, probe)
    config = dict(source="min-char-rnn equations (own NumPy weights)", hidden_size=H, vocab_size=V)
    write_npz(
        out / "minchar.expected.npz", list(probe), ids, probs, "lm", config, hidden_top=hs, hidden=hs[None]
    )


def minchar_forward(w: dict, chars: list[str], text: str):
    ids = np.array([chars.index(c) for c in text], dtype=np.int64)
    h = np.zeros((w["Whh"].shape[0], 1))
    probs, hs = [], []
    for i in ids:
        x = np.zeros((len(chars), 1))
        x[i] = 1
        h = np.tanh(np.dot(w["Wxh"], x) + np.dot(w["Whh"], h) + w["bh"])
        y = np.dot(w["Why"], h) + w["by"]
        p = np.exp(y) / np.sum(np.exp(y))
        probs.append(p[:, 0])
        hs.append(h[:, 0])
    return ids, np.stack(probs), np.stack(hs)


# ---------------------------------------------------------------------------------------------------
# Verification and pickle inspection.


def compare(expected: Path, got: Path) -> float:
    a, b = np.load(expected), np.load(got)
    assert sorted(a.files) == sorted(b.files), (a.files, b.files)
    worst = 0.0
    for k in a.files:
        if a[k].dtype.kind == "f":
            assert a[k].shape == b[k].shape, k
            worst = max(worst, float(np.max(np.abs(a[k] - b[k]))))
        else:
            assert np.array_equal(a[k], b[k]), k
    return worst


def verify(out: Path, wlm: Path, char_rnn: Path, env: dict, probe: str) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        again = Path(tmp) / "again.npz"
        for pt in sorted(out.glob("*.pt")):
            name, npz = pt.stem, out / f"{pt.stem}.expected.npz"
            if name.startswith("wlm_"):
                vocab = str(out / f"{name}.vocab.json")
                run_worker(wlm, kind="wlm_expect", pt=str(pt), vocab=vocab, text=WLM_TEXT, out=str(again))
            elif name.startswith("charrnn_"):
                run_worker(char_rnn, env=env, kind="charrnn_expect", pt=str(pt), text=probe, out=str(again))
            else:  # state dict: a fresh module from the config, strict load with weights_only=True
                spec = SD_MODELS[name]
                model = TinyModel(spec)
                model.load_state_dict(torch.load(pt, weights_only=True))
                refs = sd_expected(model, np.load(npz)["ids"])
                if name == SD_SAFETENSORS:
                    from safetensors.torch import load_model

                    other = TinyModel(spec)
                    load_model(other, str(out / f"{name}.safetensors"))
                    assert all(
                        torch.equal(x, y)
                        for x, y in zip(
                            model.state_dict().values(), other.double().state_dict().values(), strict=True
                        )
                    )
                probs = refs.pop("probs")
                saved = np.load(npz)
                write_npz(
                    again,
                    list(saved["tokens"]),
                    saved["ids"],
                    probs,
                    str(saved["head"]),
                    json.loads(str(saved["config"])),
                    **refs,
                )
            lines.append(f"{name}: max abs diff {compare(npz, again)}")
        w = dict(np.load(out / "minchar.npz"))
        chars = json.loads((out / "minchar.vocab.json").read_text())
        ids, probs, hs = minchar_forward(w, chars, probe)
        saved = np.load(out / "minchar.expected.npz")
        diff = max(np.max(np.abs(saved["probs"] - probs)), np.max(np.abs(saved["hidden_top"] - hs)))
        assert np.array_equal(saved["ids"], ids)
        lines.append(f"minchar: max abs diff {diff}")
    return lines


def pickle_globals(pt: Path) -> list[str]:
    """Every GLOBAL / STACK_GLOBAL in the data.pkl of a torch.save zip, in order of first appearance."""
    with zipfile.ZipFile(pt) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
    found, strings, memo = [], [], {}
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            found.append(arg.replace(" ", "."))
        elif op.name == "STACK_GLOBAL":
            found.append(f"{strings[-2]}.{strings[-1]}")
        elif isinstance(arg, str) and "UNICODE" in op.name:
            strings.append(arg)
        elif op.name in ("BINPUT", "LONG_BINPUT", "MEMOIZE") and strings:
            memo[arg if op.name != "MEMOIZE" else len(memo)] = strings[-1]
        elif op.name in ("BINGET", "LONG_BINGET") and arg in memo:
            strings.append(memo[arg])
    return list(dict.fromkeys(found))


def readme(out: Path, examples: Path, char_rnn: Path, args, described: dict, checks: list[str]) -> str:
    files = sorted(p for p in out.iterdir() if p.name != "README.md")
    sizes = "\n".join(f"| `{p.name}` | {p.stat().st_size:,} |" for p in files)
    globs = []
    for pt in sorted(out.glob("*.pt")):
        globs.append(f"- `{pt.name}`: " + ", ".join(f"`{g}`" for g in pickle_globals(pt)))
    desc = []
    for name, d in described.items():
        children = ", ".join(f"`{k}`: `{v}`" for k, v in d["children"].items())
        attributes = ", ".join(f"`{a}`" for a in d["attributes"])
        desc.append(
            f"- `{name}.pt`: class `{d['class']}`; children {children}; attributes {attributes};"
            f" `torch.load` default (weights_only=True): {d['weights_only_default']}"
        )
    per_file = "; ".join(f"`{n}`: `{' '.join(f)}`" for n, f in WLM_MODELS.items())
    return f"""# Fixtures made with real third-party PyTorch code

Made by `demos/make_real_torch_fixtures.py` (read its docstring). Remake with:

```
python demos/make_real_torch_fixtures.py --examples {args.examples} --char-rnn {args.char_rnn} \\
    --extra-path {args.extra_path}
```

Third-party code used (run from checkouts outside this repository, never copied here):

- pytorch/examples `word_language_model` at `{commit_of(examples)}`: `main.py --save X.pt` on the first
  {WLM_SMALL_LINES} lines of wikitext-2 `valid.txt` (used as train, valid and test; vocabulary from their
  `data.Corpus`), flags `{" ".join(WLM_SMALL_FLAGS)}` plus, per file: {per_file}.
  Their defaults apply otherwise (2 layers, dropout 0.2, seed 1111, CPU since `--accel` is not given).
  `main.py` saves with `torch.save(model, f)` (the whole `model.RNNModel`) after every epoch that improves
  the validation loss, and reloads it with `torch.load` (weights_only) within
  `torch.serialization.safe_globals` of `RNNModel`, `Dropout`, `Linear`, `GRU`, `LSTM`, `RNN`, `Embedding`.
  In the tied file `decoder.weight` is the very Parameter `encoder.weight` (one storage in the zip).
- spro/char-rnn.pytorch at `{commit_of(char_rnn)}`: `train.py textwrap_src.txt {" ".join(CHARRNN_FLAGS)}`
  `--model gru|lstm` on CPython's `textwrap.py`. Its `loss.data[0]` fails on PyTorch >= 0.5, so the script
  runs the unmodified `train.py` through a small runner that makes `nn.CrossEntropyLoss` return shape (1,)
  (same value and gradients) and seeds `random`/`torch` with {CHARRNN_SEED}. Needs `unidecode` and `tqdm`.
- `minchar.npz`: no third-party code; random weights `Wxh (H,V) Whh (H,H) Why (V,H) bh (H,1) by (V,1)`,
  H={MINCHAR_HIDDEN}, vocabulary = sorted characters of `textwrap.py`; references use min-char-rnn's equations
  `h = tanh(Wxh x + Whh h + bh)`, `y = Why h + by`, `p = exp(y) / sum(exp(y))`.
- `sd_*.pt`: `torch.save(model.state_dict())` of `Embedding(50, {SD_EMBED}) -> nn.LSTM/GRU/RNN -> Linear`
  (weights perturbed by 0.3 randn), vocabulary `w0..w49`; `{SD_SAFETENSORS}.safetensors` is the same
  model via `safetensors.torch.save_model`. `sd_rnn_relu_nohint.pt` is a plain `dict` (no `_metadata`):
  nothing in it says relu. The true architecture of every file is the `config` entry of its npz.
  `sd_lstm_classifier` is a classifier (Linear(12, 4) on the LAST step's output); its `probs` (T, 4)
  are the head applied after EVERY token, marked by `head` = "classifier".

## Files

Per model `<name>`: the model file, `<name>.vocab.json` (tokens in id order) and `<name>.expected.npz`:
`tokens` (unicode; wlm: two wikitext sentences, char models: the {TEXT_LEN} characters of `textwrap.py`
from `def wrap(`), `ids` int64, `probs` (T, V) float64 softmax of the output layer after every token,
`hidden_top` (T, H) top layer's hidden state (forward direction for bidirectional), `hidden` (L, T, D*H)
every layer's output, `cell` (L, T, H) for unidirectional LSTMs, `output` (T, D*H) the top layer's whole
output (torch layers), `head`, `config` (JSON). All computed in float64 (`model.double()`),
batch 1, zero initial state, eval mode; inputs as each model expects (word_language_model time-major (T, 1),
char-rnn one character at a time like its `generate.py`).

| file | bytes |
| --- | --- |
{sizes}

## What the whole-model pickles contain

{chr(10).join(desc)}

Globals (GLOBAL opcodes) in each `data.pkl`:

{chr(10).join(globs)}

## Verification (fresh process, reload, recompute)

{chr(10).join(f"- {c}" for c in checks)}
"""


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_worker":
        worker(json.loads(sys.argv[2]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=Path, required=True, help="checkout of github.com/pytorch/examples")
    ap.add_argument(
        "--char-rnn", type=Path, required=True, help="checkout of github.com/spro/char-rnn.pytorch"
    )
    ap.add_argument(
        "--extra-path", help="directory with unidecode and tqdm for char-rnn (added to PYTHONPATH)"
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--big-out", type=Path, help="also make larger word-language models here (not fixtures)")
    ap.add_argument("--text", type=Path, help="char-model training text (default: CPython's textwrap.py)")
    args = ap.parse_args()
    args.examples, args.char_rnn = args.examples.resolve(), args.char_rnn.resolve()
    wlm = args.examples / "word_language_model"
    wikitext = wlm / "data" / "wikitext-2"
    import textwrap

    text_file = args.text or Path(textwrap.__file__)
    text = text_file.read_text()
    probe = text[text.index(TEXT_START) :][:TEXT_LEN]
    env = charrnn_env(args.extra_path)
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        small = work / "wikitext-2-small"
        small.mkdir()
        lines = (
            (wikitext / "valid.txt").read_text(encoding="utf8").splitlines(keepends=True)[:WLM_SMALL_LINES]
        )
        assert WLM_TEXT in "".join(lines)
        for split in ("train", "valid", "test"):
            (small / f"{split}.txt").write_text("".join(lines), encoding="utf8")
        make_wlm(wlm, small, args.out, WLM_MODELS, WLM_SMALL_FLAGS, work)
        make_charrnn(args.char_rnn, text_file, probe, args.out, work, env)
        make_state_dicts(args.out)
        make_minchar(text, probe, args.out)
        if args.big_out:
            # wikitext-2 train.txt (10.8 MB) may be missing from a checkout; then valid.txt trains.
            big = work / "wikitext-2-big"
            big.mkdir()
            train = wikitext / "train.txt"
            shutil.copy(train if train.exists() else wikitext / "valid.txt", big / "train.txt")
            shutil.copy(wikitext / "valid.txt", big / "valid.txt")
            shutil.copy(wikitext / "test.txt", big / "test.txt")
            args.big_out.mkdir(parents=True, exist_ok=True)
            make_wlm(wlm, big, args.big_out, WLM_BIG_MODELS, WLM_BIG_FLAGS, work)

    print("[verify]", flush=True)
    checks = verify(args.out, wlm, args.char_rnn, env, probe)
    if args.big_out:
        for pt in sorted(args.big_out.glob("wlm_big_*.pt")):
            again = args.big_out / "_again.npz"
            vocab = str(args.big_out / f"{pt.stem}.vocab.json")
            run_worker(wlm, kind="wlm_expect", pt=str(pt), vocab=vocab, text=WLM_TEXT, out=str(again))
            checks.append(
                f"{pt.stem} (big): max abs diff {compare(args.big_out / f'{pt.stem}.expected.npz', again)}"
            )
            again.unlink()
    print("\n".join(checks))
    described = {}
    for pt in sorted(args.out.glob("*.pt")):
        if pt.stem.startswith(("wlm_", "charrnn_")):
            code, e = (wlm, None) if pt.stem.startswith("wlm_") else (args.char_rnn, env)
            described[pt.stem] = json.loads(run_worker(code, env=e, kind="describe", pt=str(pt)))
    (args.out / "README.md").write_text(
        readme(args.out, args.examples, args.char_rnn, args, described, checks)
    )
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {args.out} ({total:,} bytes)")


if __name__ == "__main__":
    main()
