"""Map a PyTorch state dict's names onto the native ones, and infer the cell type from shapes.

Native names are those of PyTorch's `word_language_model` example: `encoder.weight`,
`rnn.{weight,bias}_{ih,hh}_l{k}`, `decoder.weight`, `decoder.bias`. Other common spellings map onto them:
wrapper prefixes (`module.` from DataParallel, `_orig_mod.` from torch.compile, `model.`), the recurrent
module under any name (`lstm.`, `gru.`, …), and usual names of the embedding and output layers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.cells import cells_with_gate_count
from rnnviz.errors import WeightsError

WRAPPER_PREFIXES = ("module.", "_orig_mod.", "model.", "net.")
EMBEDDING_MODULES = {
    "encoder", "embedding", "embeddings", "embed", "emb", "word_embeddings", "word_emb", "embed_tokens",
    "tok_embeddings", "wte", "lookup",
}  # fmt: skip
DECODER_MODULES = {
    "decoder", "fc", "linear", "out", "output", "head", "lm_head", "proj", "projection", "classifier",
    "dense",
}  # fmt: skip
RECURRENT = re.compile(
    r"^(?P<module>(?:.+\.)?)(?P<kind>weight|bias)_(?P<part>ih|hh|hr)_l(?P<k>\d+)(?P<rev>_reverse)?$"
)


@dataclass
class Renamed:
    tensors: dict[str, np.ndarray]
    notes: list[str] = field(default_factory=list)


def from_torch_names(tensors: dict[str, np.ndarray]) -> Renamed:
    """Native names for a PyTorch-style state dict; names it cannot place stay, for validation to report."""
    names = _strip_wrappers(list(tensors))
    renamed = Renamed({})
    _refuse_unsupported(names)
    modules = {m.group("module") for n in names if (m := RECURRENT.match(n))}
    if len(modules) > 1:
        listed = ", ".join(sorted(m.rstrip(".") or "(top level)" for m in modules))
        raise WeightsError(
            f"several recurrent modules ({listed}) are not supported yet: rnnviz reads one stacked module "
            "such as nn.LSTM(num_layers=N)"
        )
    embedding = _single(names, EMBEDDING_MODULES, "weight")
    decoder_weight = _single(names, DECODER_MODULES, "weight")
    decoder_bias = _single(names, DECODER_MODULES, "bias")
    for original, name in zip(tensors, names, strict=True):
        if m := RECURRENT.match(name):
            name = f"rnn.{m.group('kind')}_{m.group('part')}_l{m.group('k')}{m.group('rev') or ''}"
        elif name == embedding:
            name = "encoder.weight"
        elif name == decoder_weight:
            name = "decoder.weight"
        elif name == decoder_bias:
            name = "decoder.bias"
        renamed.tensors[name] = tensors[original]
    _tie(renamed)
    _zero_missing_biases(renamed)
    return renamed


def infer_cell(tensors: dict[str, np.ndarray]) -> tuple[str | None, str]:
    """The cell type the shapes of `rnn.weight_hh_l0` (gates·H, H) imply, and a note for the reader.
    Only an LSTM has a projection `rnn.weight_hr_l0` (P, H); its W_hh is (4H, P)."""
    hh = tensors.get("rnn.weight_hh_l0")
    hr = tensors.get("rnn.weight_hr_l0")
    if hr is not None:
        return "lstm", "lstm inferred from the projection weight_hr (proj_size > 0)"
    if hh is None or hh.ndim != 2 or hh.shape[1] == 0 or hh.shape[0] % hh.shape[1]:
        return None, ""
    fits = cells_with_gate_count(hh.shape[0] // hh.shape[1])
    if not fits:
        return None, ""
    if len(fits) > 1:  # a plain RNN: tanh and relu have the same shapes
        others = " or ".join(f"--cell {name}" for name in fits[1:])
        return fits[0], f"{fits[0]} assumed (the file does not say): {others} if it was not"
    return fits[0], f"{fits[0]} inferred from the shapes"


def _strip_wrappers(names: list[str]) -> list[str]:
    """Drop a prefix that every name shares (DataParallel, torch.compile, a wrapping module)."""
    changed = True
    while changed and names:
        changed = False
        for prefix in WRAPPER_PREFIXES:
            if all(n.startswith(prefix) for n in names):
                names = [n.removeprefix(prefix) for n in names]
                changed = True
    return names


def _refuse_unsupported(names: list[str]) -> None:
    for name in names:
        if "transformer" in name or name.startswith("pos_encoder."):
            raise WeightsError(
                f"tensor {name!r} belongs to a Transformer, not a recurrent network: "
                "rnnviz shows RNN, LSTM and GRU models"
            )


def _zero_missing_biases(renamed: Renamed) -> None:
    """A layer made with bias=False has no bias tensors: its biases are zeros (exactly what it computes)."""
    t = renamed.tensors
    filled = []
    for name in [n for n in t if n.startswith("rnn.weight_ih_l")]:
        suffix = name.removeprefix("rnn.weight_ih_")  # l0, l0_reverse
        bias_ih, bias_hh = f"rnn.bias_ih_{suffix}", f"rnn.bias_hh_{suffix}"
        if bias_ih not in t and bias_hh not in t and t[name].ndim == 2:
            t[bias_ih] = np.zeros(t[name].shape[0], dtype=t[name].dtype)
            t[bias_hh] = np.zeros(t[name].shape[0], dtype=t[name].dtype)
            filled.append(suffix)
    if filled:
        renamed.notes.append("the recurrent layers have no biases (bias=False): zeros used")


def _single(names: list[str], modules: set[str], kind: str) -> str | None:
    """The one name `<module>.<kind>` whose last module component is in `modules`, if exactly one."""
    matches = [n for n in names if n.endswith(f".{kind}") and n[: -len(kind) - 1].split(".")[-1] in modules]
    return matches[0] if len(matches) == 1 else None


def _tie(renamed: Renamed) -> None:
    """A tied decoder (decoder.weight is encoder.weight) is often stored once: restore the other name."""
    t = renamed.tensors
    if "decoder.weight" not in t and "encoder.weight" in t and "decoder.bias" in t:
        t["decoder.weight"] = t["encoder.weight"]
        renamed.notes.append("decoder.weight tied to encoder.weight (stored once)")
    elif "encoder.weight" not in t and "decoder.weight" in t:
        t["encoder.weight"] = t["decoder.weight"]
        renamed.notes.append("encoder.weight tied to decoder.weight (stored once)")
    if "decoder.bias" not in t and "decoder.weight" in t and t["decoder.weight"].ndim == 2:
        t["decoder.bias"] = np.zeros(t["decoder.weight"].shape[0], dtype=t["decoder.weight"].dtype)
        renamed.notes.append("decoder has no bias: zeros used")
