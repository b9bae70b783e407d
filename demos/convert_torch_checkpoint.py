"""Convert a whole-model PyTorch checkpoint (`torch.save(model)`) into safetensors that rnnviz reads.

PyTorch's word_language_model example saves its model with `torch.save(model, "model.pt")`. Reading
that file means UNPICKLING it, and unpickling runs whatever code the file contains. rnnviz itself never
does this; this script does, once, for a file YOU TRUST (one you or someone you trust made), and writes
a plain safetensors file (tensors + metadata) that is safe to share and load from then on.

Usage (from the word_language_model folder, so its model.py can be imported):
    python path/to/demos/convert_torch_checkpoint.py model.pt --data ./data/wikitext-2 --i-trust-this-file
    rnnviz model.safetensors
Options: --vocab FILE instead of --data (one token a line, in id order); --out FILE; --code-dir DIR
(the folder holding the checkpoint's Python classes, when not the current one).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

WARNING = """
  !!! {path} will be UNPICKLED. Unpickling runs any code the file contains.
  !!! Only continue with a file you trust. rnnviz itself never unpickles; this script exists so that
  !!! you can turn a trusted checkpoint into safetensors once, and share or load that instead.
"""
CELLS = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}


def corpus_vocab(data: Path) -> list[str]:
    """word_language_model's Dictionary: words of train, valid, test in first-seen order, <eos> per line."""
    words: dict[str, None] = {}
    for split in ("train.txt", "valid.txt", "test.txt"):
        with (data / split).open(encoding="utf8") as f:
            for line in f:
                for word in [*line.split(), "<eos>"]:
                    words.setdefault(word, None)
    return list(words)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path, help="file written by torch.save(model)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--data", type=Path, help="the corpus folder the model was trained on (train/valid/test.txt)"
    )
    source.add_argument("--vocab", type=Path, help="vocabulary file, one token a line, in id order")
    parser.add_argument("--out", type=Path, help="output file (default: the checkpoint's name .safetensors)")
    parser.add_argument(
        "--code-dir", type=Path, default=Path.cwd(), help="folder with the model's Python classes"
    )
    parser.add_argument(
        "--i-trust-this-file", action="store_true", help="confirm that the checkpoint is trusted"
    )
    args = parser.parse_args()

    print(WARNING.format(path=args.checkpoint), file=sys.stderr)
    if not args.i_trust_this_file:
        print("Not converting: add --i-trust-this-file if you trust it.", file=sys.stderr)
        return 1

    import torch
    from safetensors.torch import save_file

    import rnnviz

    sys.path.insert(0, str(args.code_dir))  # pickles name their classes by module: model.RNNModel
    loaded = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    state = loaded.state_dict() if isinstance(loaded, torch.nn.Module) else loaded
    rnn_type = getattr(loaded, "rnn_type", None) or getattr(loaded, "model_type", None)
    if rnn_type == "Transformer":
        print("This is a Transformer model: rnnviz shows RNN, LSTM and GRU models.", file=sys.stderr)
        return 1
    vocab = corpus_vocab(args.data) if args.data else rnnviz.io.weights.read_vocab(args.vocab)
    metadata = {"vocab": json.dumps(vocab, ensure_ascii=False), "converted_from": args.checkpoint.name}
    if rnn_type in CELLS:
        metadata["cell"] = CELLS[rnn_type]
    # Tied weights share one storage, which safetensors refuses: each tensor gets its own copy.
    tensors = {name: value.detach().contiguous().clone() for name, value in state.items()}
    out = args.out or args.checkpoint.with_suffix(".safetensors")
    save_file(tensors, str(out), metadata=metadata)
    (out.with_name(f"{out.stem}.vocab.txt")).write_text("\n".join(vocab) + "\n", encoding="utf8")

    model = rnnviz.load(out)  # the check that it worked: validated like any file
    print(f"wrote {out} and {out.stem}.vocab.txt: {model!r}")
    print(f"view it with: rnnviz {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
