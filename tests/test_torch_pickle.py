"""The torch.save reader: real files made by torch (tests/fixtures/torch_pickle, see
demos/make_torch_pickle_fixtures.py), hand-forged malicious and broken ones, and a seeded fuzz.

No torch is needed: forged pickles are written opcode by opcode by the small `dumps` below.
"""

from __future__ import annotations

import builtins
import io
import os
import pickle
import pickletools
import random
import struct
import subprocess
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnnviz.errors import WeightsError
from rnnviz.io.formats.torch_pickle import (
    MAGIC_NUMBER,
    MAX_NESTING,
    ModuleInfo,
    TorchPickle,
    looks_like_torch_pickle,
    read_torch_pickle,
)

FIXTURES = Path(__file__).parent / "fixtures" / "torch_pickle"
WHOLE_MODELS = ("lstm", "gru", "rnn_relu", "lstm_tied", "lstm_nobias", "lstm_proj", "gru_bidirectional")
ALL_FIXTURES = sorted(p.stem for p in FIXTURES.glob("*.pt"))


# ----- a tiny pickle writer: globals, calls and persistent ids without importing anything --------


class G:
    """A global, written as GLOBAL 'module\\nname\\n' whether or not the module exists."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name


class R:
    """REDUCE: call `function` with `args`."""

    def __init__(self, function: Any, args: tuple) -> None:
        self.function, self.args = function, args


class P:
    """A persistent id (BINPERSID) of a tuple."""

    def __init__(self, pid: tuple) -> None:
        self.pid = pid


class NewObj:
    """An object of class `cls`, made by NEWOBJ with no arguments and given `state` by BUILD."""

    def __init__(self, cls: G, state: Any) -> None:
        self.cls, self.state = cls, state


class Raw:
    """Opcodes spliced in as they are (e.g. from the standard pickler)."""

    def __init__(self, data: bytes) -> None:
        self.data = data


class Shared:
    """The same object wherever it appears: written once, then fetched from the memo."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def ops(obj: Any, memo: dict[int, int]) -> bytes:
    if isinstance(obj, Shared):
        if id(obj) in memo:
            return b"h" + bytes([memo[id(obj)]])
        memo[id(obj)] = len(memo)
        return ops(obj.obj, memo) + b"q" + bytes([memo[id(obj)]])
    if obj is None:
        return b"N"
    if obj is True or obj is False:
        return b"\x88" if obj else b"\x89"
    if isinstance(obj, int):
        if 0 <= obj < 256:
            return b"K" + bytes([obj])
        if -(2**31) <= obj < 2**31:
            return b"J" + struct.pack("<i", obj)
        data = obj.to_bytes((obj.bit_length() + 8) // 8, "little", signed=True)
        return b"\x8a" + bytes([len(data)]) + data
    if isinstance(obj, float):
        return b"G" + struct.pack(">d", obj)
    if isinstance(obj, str):
        data = obj.encode()
        return b"X" + struct.pack("<I", len(data)) + data
    if isinstance(obj, tuple):
        return b"(" + b"".join(ops(x, memo) for x in obj) + b"t" if obj else b")"
    if isinstance(obj, list):
        return b"]" + (b"(" + b"".join(ops(x, memo) for x in obj) + b"e" if obj else b"")
    if isinstance(obj, dict):
        items = b"".join(ops(k, memo) + ops(v, memo) for k, v in obj.items())
        return b"}" + (b"(" + items + b"u" if obj else b"")
    if isinstance(obj, G):
        return b"c" + obj.module.encode() + b"\n" + obj.name.encode() + b"\n"
    if isinstance(obj, R):
        return ops(obj.function, memo) + ops(obj.args, memo) + b"R"
    if isinstance(obj, P):
        return ops(obj.pid, memo) + b"Q"
    if isinstance(obj, NewObj):
        return ops(obj.cls, memo) + b")\x81" + ops(obj.state, memo) + b"b"
    if isinstance(obj, Raw):
        return obj.data
    raise TypeError(type(obj))


def dumps(obj: Any) -> bytes:
    return b"\x80\x02" + ops(obj, {}) + b"."


def ordered_dict(items: dict | None = None) -> Any:
    return (
        R(G("collections", "OrderedDict"), ())
        if not items
        else R(G("collections", "OrderedDict"), (list(items.items()),))
    )


def tensor(key="0", numel=4, offset=0, size=(2, 2), stride=(2, 1), storage="FloatStorage") -> R:
    pid = P(("storage", G("torch", storage), key, "cpu", numel))
    return R(G("torch._utils", "_rebuild_tensor_v2"), (pid, offset, size, stride, False, ordered_dict()))


def module(cls: G, parameters=None, modules=None, **attributes) -> NewObj:
    state = {"training": False, **attributes, "_parameters": ordered_dict(parameters or {})}
    state["_buffers"] = ordered_dict()
    state["_modules"] = ordered_dict(modules or {})
    return NewObj(cls, state)


def write_zip(
    path: Path, data_pkl: bytes, storages: dict[str, bytes] | None = None, byteorder=b"little"
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        if byteorder is not None:
            archive.writestr("archive/byteorder", byteorder)
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)
        archive.writestr("archive/version", b"3\n")
    return path


FOUR_FLOATS = np.arange(4, dtype="<f4").tobytes()


def forged(tmp_path: Path, obj: Any, storages: dict[str, bytes] | None = None, name="forged.pt") -> Path:
    return write_zip(tmp_path / name, dumps(obj), {"0": FOUR_FLOATS} if storages is None else storages)


# ----- real files from torch.save ------------------------------------------------------------


def expected(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{name}.expected.npz") as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_tensors_equal_what_torch_saved(name):
    read = read_torch_pickle(FIXTURES / f"{name}.pt")
    assert isinstance(read, TorchPickle)
    want = expected(name)
    assert list(read.tensors) == list(want)  # state_dict() order, too
    for key, value in want.items():
        got = read.tensors[key]
        assert got.shape == value.shape, key
        assert got.dtype in (np.float32, np.float64), key
        np.testing.assert_array_equal(got.astype(np.float64), value, err_msg=key)


@pytest.mark.parametrize("name", WHOLE_MODELS)
def test_whole_models_name_their_modules(name):
    read = read_torch_pickle(FIXTURES / f"{name}.pt")
    assert read.kind == "whole model"
    assert read.layout == "zip"
    assert read.modules[""].class_path == "model.RNNModel"
    assert read.modules["encoder"].class_path == "torch.nn.modules.sparse.Embedding"
    assert read.modules["decoder"].class_path == "torch.nn.modules.linear.Linear"
    assert read.modules["drop"].class_path == "torch.nn.modules.dropout.Dropout"
    assert isinstance(read.modules["rnn"], ModuleInfo)
    assert read.modules["encoder"].attributes["num_embeddings"] == 11


def test_module_attributes():
    lstm = read_torch_pickle(FIXTURES / "lstm.pt").modules
    assert lstm["rnn"].class_path == "torch.nn.modules.rnn.LSTM"
    assert lstm["rnn"].attributes["mode"] == "LSTM"
    assert lstm["rnn"].attributes["num_layers"] == 2
    assert lstm["rnn"].attributes["hidden_size"] == 5
    assert lstm[""].attributes == {
        "training": False,
        "ntoken": 11,
        "rnn_type": "LSTM",
        "nhid": 5,
        "nlayers": 2,
    }
    relu = read_torch_pickle(FIXTURES / "rnn_relu.pt").modules["rnn"]
    assert (relu.class_path, relu.attributes["nonlinearity"]) == ("torch.nn.modules.rnn.RNN", "relu")
    assert read_torch_pickle(FIXTURES / "lstm_nobias.pt").modules["rnn"].attributes["bias"] is False
    assert read_torch_pickle(FIXTURES / "lstm_proj.pt").modules["rnn"].attributes["proj_size"] == 3
    bidirectional = read_torch_pickle(FIXTURES / "gru_bidirectional.pt").modules["rnn"].attributes
    assert bidirectional["bidirectional"] is True
    assert read_torch_pickle(FIXTURES / "lstm.pt").modules["decoder"].attributes["in_features"] == 5


def test_no_bias_means_no_bias_tensors():
    names = read_torch_pickle(FIXTURES / "lstm_nobias.pt").tensors
    assert not any("bias" in n for n in names if n.startswith("rnn."))


def test_a_users_main_class_with_lists_sequentials_and_buffers():
    read = read_torch_pickle(FIXTURES / "main_net.pt")
    assert read.modules[""].class_path == "__main__.Net"
    assert read.modules[""].attributes["label"] == "net"
    assert read.modules["layers.1"].attributes["batch_first"] is True
    assert read.modules["head"].class_path == "torch.nn.modules.container.Sequential"
    assert "scale" in read.tensors and "layers.0.weight" in read.tensors and "head.2.bias" not in read.tensors


def test_tied_weights_appear_under_both_names():
    tensors = read_torch_pickle(FIXTURES / "lstm_tied.pt").tensors
    assert tensors["decoder.weight"] is tensors["encoder.weight"]
    data = zipfile.ZipFile(FIXTURES / "lstm_tied.pt").read("lstm_tied/data.pkl")
    assert data.count(b"_rebuild_parameter") == 1  # stored once: the second name comes from the memo


def test_state_dicts_checkpoints_and_layouts():
    assert read_torch_pickle(FIXTURES / "lstm_state_dict.pt").kind == "state dict"
    checkpoint = read_torch_pickle(FIXTURES / "lstm_checkpoint.pt")
    assert checkpoint.kind == "checkpoint" and checkpoint.modules == {}
    legacy = read_torch_pickle(FIXTURES / "lstm_legacy.pt")
    assert (legacy.kind, legacy.layout) == ("whole model", "legacy")
    assert legacy.modules["rnn"].attributes["mode"] == "LSTM"
    assert read_torch_pickle(FIXTURES / "lstm_legacy_state_dict.pt").layout == "legacy"


def test_stored_dtypes_and_widening():
    half = read_torch_pickle(FIXTURES / "gru_float16.pt")
    assert set(half.stored_dtypes.values()) == {"float16"}
    assert all(v.dtype == np.float32 for v in half.tensors.values())
    assert any("widened" in note for note in half.notes)
    bf16 = read_torch_pickle(FIXTURES / "gru_bfloat16.pt")
    assert set(bf16.stored_dtypes.values()) == {"bfloat16"}
    assert all(v.dtype == np.float32 for v in bf16.tensors.values())
    double = read_torch_pickle(FIXTURES / "gru_float64.pt")
    assert all(v.dtype == np.float64 for v in double.tensors.values())


def test_big_endian_storages_are_swapped():
    data = zipfile.ZipFile(FIXTURES / "gru_big_endian.pt").read("gru_big_endian/byteorder")
    assert data == b"big"
    tensors = read_torch_pickle(FIXTURES / "gru_big_endian.pt").tensors
    assert all(v.dtype.isnative for v in tensors.values())


def test_a_whole_model_inside_a_checkpoint(tmp_path):
    rnn = module(G("torch.nn.modules.rnn", "GRU"), {"weight_ih_l0": tensor()}, mode="GRU")
    root = module(G("model", "RNNModel"), modules={"rnn": rnn}, rnn_type="GRU")
    read = read_torch_pickle(forged(tmp_path, {"epoch": 3, "model": root}))
    assert read.kind == "checkpoint"
    assert read.modules["rnn"].attributes["mode"] == "GRU"
    np.testing.assert_array_equal(read.tensors["rnn.weight_ih_l0"], [[0, 1], [2, 3]])


def test_integer_tensors_are_kept_as_stored(tmp_path):
    ints = np.arange(4, dtype="<i8").tobytes()
    read = read_torch_pickle(forged(tmp_path, {"ids": tensor(storage="LongStorage")}, {"0": ints}))
    assert read.tensors["ids"].dtype == np.int64 and read.stored_dtypes["ids"] == "int64"


def test_v3_tensors_over_untyped_storages(tmp_path):
    # torch >= 2.1 writes dtypes without a typed storage (uint16, …) as bytes plus a dtype global.
    pid = P(("storage", G("torch.storage", "UntypedStorage"), "0", "cpu", 16))
    v3 = R(G("torch._utils", "_rebuild_tensor_v3"), (pid, 1, (3,), (1,), False, None, G("torch", "uint16")))
    read = read_torch_pickle(forged(tmp_path, {"u": v3}))
    expected = np.frombuffer(FOUR_FLOATS, "<u2")[1:4]
    assert read.tensors["u"].dtype == np.uint16 and read.stored_dtypes["u"] == "uint16"
    np.testing.assert_array_equal(read.tensors["u"], expected)


# ----- recognising the legacy layout -------------------------------------------------------------


def test_looks_like_torch_pickle():
    assert looks_like_torch_pickle((FIXTURES / "lstm_legacy.pt").read_bytes()[:32])
    assert looks_like_torch_pickle(pickle.dumps(MAGIC_NUMBER, protocol=4))
    assert not looks_like_torch_pickle((FIXTURES / "lstm.pt").read_bytes()[:32])
    assert not looks_like_torch_pickle(pickle.dumps(12345, protocol=2))
    assert not looks_like_torch_pickle(b"")
    # A safetensors file whose 8-byte little-endian header length happens to start 0x80 0x03.
    header = b'{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'.ljust(0x380)
    safetensors = struct.pack("<Q", len(header)) + header + b"\0" * 4
    assert safetensors[:2] == b"\x80\x03"
    assert not looks_like_torch_pickle(safetensors[:32])


def test_not_torch_files_are_refused(tmp_path):
    for name, data in {"text": b"hello world\n", "pickle": pickle.dumps([1, 2]), "empty": b""}.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(WeightsError, match="torch.save"):
            read_torch_pickle(tmp_path / name)
    with pytest.raises(WeightsError, match="cannot read"):
        read_torch_pickle(tmp_path / "missing.pt")


# ----- malicious files -----------------------------------------------------------------------


class Call:
    """Pickles, with the standard pickler, as a call of `function(*args)`: what an attacker writes."""

    def __init__(self, function: Any, *args: Any) -> None:
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def payload(function: Any, *args: Any) -> Raw:
    """The standard pickler's opcodes for the call, without PROTO and STOP, to splice into a forgery."""
    data = pickle.dumps(Call(function, *args), protocol=2)
    return Raw(data[2:-1])


def global_name(function: Any) -> str:
    module = function.__module__
    return f"{'__builtin__' if module == 'builtins' else module}.{function.__name__}"


RECONSTRUCT = getattr(np, "_core", getattr(np, "core", None)).multiarray._reconstruct
ATTACKS = {
    "os.system": lambda target: payload(os.system, f"touch {target}"),
    "builtins.eval": lambda target: payload(builtins.eval, f"open({str(target)!r}, 'w').close()"),
    "builtins.exec": lambda target: payload(builtins.exec, f"open({str(target)!r}, 'w').close()"),
    "subprocess.call": lambda target: payload(subprocess.call, ["touch", str(target)]),
    "subprocess.Popen": lambda target: payload(subprocess.Popen, ["touch", str(target)]),
    "builtins.getattr": lambda target: payload(getattr, Call(__import__, "os"), "system"),
    "numpy._reconstruct": lambda target: payload(RECONSTRUCT, np.ndarray, (0,), b"b"),
}


def test_the_payload_is_live(tmp_path):
    """Unpickled by plain pickle the payload does run: the refusals below are not vacuous."""
    target = tmp_path / "ran"
    pickle.loads(dumps({"w": ATTACKS["os.system"](target)}))
    assert target.exists()


@pytest.mark.parametrize("attack", sorted(ATTACKS))
@pytest.mark.parametrize("where", ["top", "in a state dict", "in a module", "in a parameter"])
def test_malicious_globals_are_refused_by_name(tmp_path, attack, where):
    target = tmp_path / "pwned"
    evil = ATTACKS[attack](target)
    if where == "top":
        obj = evil
    elif where == "in a state dict":
        obj = {"rnn.weight_ih_l0": tensor(), "rnn.bias": evil}
    elif where == "in a module":
        obj = module(G("model", "RNNModel"), {"w": tensor()}, rnn_type=evil)
    else:
        obj = module(G("torch.nn.modules.linear", "Linear"), {"weight": evil})
    with pytest.raises(WeightsError, match="never runs") as err:
        read_torch_pickle(forged(tmp_path, obj))
    spliced = evil.data
    assert spliced.split(b"\n")[0][1:].decode() in str(err.value)  # the module named in the GLOBAL
    assert not target.exists()


def legacy_header() -> bytes:
    """The first three pickles of a legacy file (magic number, protocol version, sys_info)."""
    buffer = io.BytesIO((FIXTURES / "lstm_legacy_state_dict.pt").read_bytes())
    for _ in range(3):
        for _ in pickletools.genops(buffer):
            pass
    return buffer.getvalue()[: buffer.tell()]


def test_malicious_globals_in_the_legacy_layout(tmp_path):
    target = tmp_path / "pwned"
    evil = dumps({"w": ATTACKS["os.system"](target)})
    path = tmp_path / "legacy.pt"
    path.write_bytes(legacy_header() + evil + b"\x80\x02]q\x00.")
    with pytest.raises(WeightsError, match="posix.system|nt.system"):
        read_torch_pickle(path)
    assert not target.exists()


@pytest.mark.parametrize(
    "obj, message",
    [
        # A user's class may stand for a module, but calling it (REDUCE) is never a module's pickle.
        (R(G("model", "build_model"), ("rm -rf",)), r"call model.build_model"),
        (R(G("torch.nn.modules.rnn", "LSTM"), (4, 5)), r"call torch.nn.modules.rnn.LSTM"),
        # A user class whose state is not an nn.Module's.
        (NewObj(G("model", "Thing"), {"x": 1}), "not an nn.Module"),
        # Torch functions other than the tensor rebuilders.
        (R(G("torch", "load"), ("x",)), "torch.load"),
        (R(G("torch._utils", "_rebuild_device_tensor_from_numpy"), ()), "_rebuild_device_tensor"),
        (R(G("copyreg", "_reconstructor"), ()), "copyreg._reconstructor"),
        (R(G("__builtin__", "getattr"), ()), "__builtin__.getattr"),
        (R(G("posix", "system"), ("touch x",)), "posix.system"),
        (R(G("os\nsystem", "x"), ()), "WeightsError|never runs|damaged|readable"),
        # Persistent ids other than storages.
        (P(("module", G("model", "RNNModel"), "f.py", "src")), "persistent id"),
        (P(("storage", G("torch", "FloatStorage"), "../../etc/passwd", "cpu", 4)), "short name"),
        (P(("storage", G("model", "Evil"), "0", "cpu", 4)), "storage type"),
        (Raw(b"Pabc\n"), "PERSID"),
        # Calling a storage type, setting state on a stand-in.
        (R(G("torch", "FloatStorage"), (4,)), "call torch.FloatStorage"),
        (Raw(b"ctorch._utils\n_rebuild_tensor_v2\n}b"), "set state"),
        (Raw(b"ctorch\nfloat32\n}b"), "set state"),
    ],
)
def test_other_refusals(tmp_path, obj, message):
    with pytest.raises(WeightsError, match=message):
        read_torch_pickle(forged(tmp_path, {"w": tensor(), "x": obj} if not isinstance(obj, NewObj) else obj))


def test_build_on_a_record_class_itself_is_refused(tmp_path):
    # BUILD on the class (not an instance) must not reach a __setstate__ we did not write, nor setattr.
    data = b"\x80\x02cmodel\nRNNModel\n}X\x0c\x00\x00\x00__setstate__cposix\nsystem\nsb."
    with pytest.raises(WeightsError, match="posix.system"):
        read_torch_pickle(write_zip(tmp_path / "x.pt", data))
    data = b"\x80\x02cmodel\nRNNModel\nN}X\x01\x00\x00\x00aK\x01s\x86b."
    with pytest.raises(WeightsError):
        read_torch_pickle(write_zip(tmp_path / "y.pt", data))


def test_a_checked_storage_cannot_be_changed_afterwards(tmp_path):
    # The storage is memoized, used by a tensor of 2**26 elements, then BUILD tries to shrink its
    # declared size to the 4 bytes stored: the view would then read far past the bytes.
    storage = Shared(P(("storage", G("torch", "FloatStorage"), "0", "cpu", 2**26)))
    big = R(G("torch._utils", "_rebuild_tensor_v2"), (storage, 0, (2**13, 2**13), (2**13, 1), False, None))
    shrink = Raw(ops(storage, {id(storage): 0}) + ops((None, {"numel": 1}), {}) + b"b")
    with pytest.raises(WeightsError, match="set state on a storage"):
        read_torch_pickle(forged(tmp_path, {"w": big, "x": shrink}, {"0": FOUR_FLOATS[:4]}))


def test_shadowed_dict_methods_are_not_called(tmp_path):
    # BUILD gives an OrderedDict instance an attribute `items`; the reader must not call it.
    params = Raw(
        ops(ordered_dict({"weight": tensor()}), {}) + ops((None, {"items": G("torch", "Size")}), {}) + b"b"
    )
    linear = NewObj(
        G("torch.nn.modules.linear", "Linear"), {"_parameters": params, "_buffers": {}, "_modules": {}}
    )
    assert list(read_torch_pickle(forged(tmp_path, linear)).tensors) == ["weight"]


# ----- tensors that do not fit their storages ------------------------------------------------


@pytest.mark.parametrize("side", [16384, 200000])
def test_a_broadcast_view_is_refused_before_any_allocation(tmp_path, side):
    one = {"0": np.ones(1, "<f4").tobytes()}
    obj = {"rnn.weight_hh_l0": tensor(numel=1, size=(side, side), stride=(0, 0))}
    path = forged(tmp_path, obj, one)
    tracemalloc.start()
    try:
        with pytest.raises(WeightsError, match=r"'rnn.weight_hh_l0' is a broadcast view of \d+ elements"):
            read_torch_pickle(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 << 20


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"numel": 4, "size": (4, 4), "stride": (1, 0)}, "broadcast view"),
        ({"numel": 4, "size": (2, 2), "stride": (2, 1), "offset": 1}, "reaches element 4"),
        ({"numel": 4, "size": (5,), "stride": (1,)}, "reaches element 4"),
        ({"numel": 4, "size": (2, 2), "stride": (-2, 1)}, "stride"),
        ({"numel": 4, "size": (2, -2), "stride": (2, 1)}, "size"),
        ({"numel": 4, "size": (2,) * 33, "stride": (0,) * 33}, "33|32"),
        ({"numel": 4, "size": (2**40, 2**40), "stride": (1, 1)}, "reaches element"),
        ({"numel": 4, "size": (2**62,), "stride": (1,)}, "not a count|more than"),
        ({"numel": 4, "size": (2, 2), "stride": (1,)}, "strides"),
        ({"numel": 4, "size": [2, 2], "stride": (2, 1)}, "tuple"),
        ({"numel": 4, "size": (2.0, 2), "stride": (2, 1)}, "count"),
        ({"numel": 4, "size": (True, 2), "stride": (2, 1)}, "count"),
    ],
)
def test_views_outside_their_storage_are_refused(tmp_path, kwargs, message):
    with pytest.raises(WeightsError, match=message):
        read_torch_pickle(forged(tmp_path, {"w": tensor(**kwargs)}))


@pytest.mark.parametrize("numel", [5, 2**40, 2**61, 3])
def test_a_storage_must_hold_what_it_declares(tmp_path, numel):
    with pytest.raises(WeightsError, match=f"declares {numel} float32 elements|more than expected"):
        read_torch_pickle(forged(tmp_path, {"w": tensor(numel=numel, size=(3,), stride=(1,))}))


def test_a_missing_storage_is_refused(tmp_path):
    with pytest.raises(WeightsError, match="no member 'archive/data/0'"):
        read_torch_pickle(forged(tmp_path, {"w": tensor()}, storages={}))


def test_legacy_storage_counts_must_match(tmp_path):
    data = bytearray((FIXTURES / "lstm_legacy_state_dict.pt").read_bytes())
    first = data.index(b"\x0b\x00\x00\x00\x00\x00\x00\x00", 1000)
    data[first] = 12
    (tmp_path / "count.pt").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="declares 11 elements but stores 12"):
        read_torch_pickle(tmp_path / "count.pt")
    (tmp_path / "short.pt").write_bytes(bytes(data[:-10]))
    with pytest.raises(WeightsError):
        read_torch_pickle(tmp_path / "short.pt")


def test_a_zip_bomb_member_is_refused(tmp_path):
    path = forged(tmp_path, {"w": tensor()})
    data = bytearray(path.read_bytes())
    # Make the central directory claim data.pkl inflates to 4 GB, far beyond what deflate can do.
    entry = data.index(b"PK\x01\x02")
    assert data[entry + 46 : entry + 62] == b"archive/data.pkl"
    data[entry + 24 : entry + 28] = struct.pack("<I", 0xFFFFFFF0)
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="impossible size"):
        read_torch_pickle(path)


def test_a_torchscript_archive_is_named(tmp_path):
    path = tmp_path / "script.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("m/data.pkl", dumps({}))
        archive.writestr("m/constants.pkl", dumps(()))
    with pytest.raises(WeightsError, match="TorchScript"):
        read_torch_pickle(path)


# ----- pickles built to exhaust the unpickler --------------------------------------------------


def deep_tuple(depth: int) -> bytes:
    # CPython hashes a tuple recursively in C with no depth check: as a dict key this one would crash it.
    return b"\x80\x02}" + b")" + b"\x85" * depth + b"K\x01s."


EXHAUSTING = {
    "marks": b"\x80\x02" + b"(" * 100_000 + b"N.",
    "nested lists": b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b".",
    "nested tuples as a key": deep_tuple(200_000),
    "just too deep": deep_tuple(MAX_NESTING + 1),
    "far memo index": b"\x80\x02Nr\xff\xff\xff\xff.",
    "far memo index, text": b"\x80\x02Np99999999999\n.",
    "memo get never put": b"\x80\x02h\x05.",
    "self-appending list": b"\x80\x02]q\x00" + b"h\x00a" * 2000 + b".",
    "huge string": b"\x80\x02X\xff\xff\xff\x7fabc.",
    "huge bytes8": b"\x80\x04\x8e" + struct.pack("<Q", 2**62) + b"x.",
    "long text int": b"\x80\x02L" + b"9" * 100_000 + b"L\n.",
    "huge long4": b"\x80\x02\x8b\xff\xff\xff\x7f\x01.",
    "frame lies": b"\x80\x04\x95" + struct.pack("<Q", 2**62) + b"N.",
}


@pytest.mark.parametrize("name", sorted(EXHAUSTING))
def test_exhausting_pickles_are_refused_quickly(tmp_path, name):
    path = write_zip(tmp_path / "x.pt", EXHAUSTING[name])
    with pytest.raises(WeightsError):
        read_torch_pickle(path)


def test_nesting_within_the_limit_still_reads(tmp_path):
    nested: Any = tensor()
    for _ in range(40):
        nested = [nested]
    read = read_torch_pickle(forged(tmp_path, {"w": tensor(), "extra": nested}))
    assert list(read.tensors) == ["w"]


# ----- fuzz ------------------------------------------------------------------------------------

OPCODE_BYTES = sorted({op.code.encode("latin1") for op in pickletools.opcodes})
GLOBALS = [
    b"cposix\nsystem\n",
    b"cbuiltins\neval\n",
    b"c__builtin__\nexec\n",
    b"csubprocess\nPopen\n",
    b"cbuiltins\ngetattr\n",
    b"cnumpy.core.multiarray\n_reconstruct\n",
    b"ctorch\nload\n",
    b"cmodel\nEvil\n",
    b"ctorch._utils\n_rebuild_tensor_v2\n",
    b"ccollections\nOrderedDict\n",
    b"ctorch\nFloatStorage\n",
]


def mutate(rng: random.Random, data: bytes, kind: str) -> bytes:
    if kind == "truncate":
        return data[: rng.randrange(len(data))]
    out = bytearray(data)
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif kind == "opcode":
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(out))
            out[at:at] = rng.choice(OPCODE_BYTES) + bytes(
                rng.randrange(256) for _ in range(rng.randint(0, 8))
            )
    elif kind == "global":
        at = rng.randrange(len(out))
        out[at:at] = rng.choice(GLOBALS) + rng.choice([b")R", b"(X\x01\x00\x00\x00xtR", b")\x81}b", b""])
    return bytes(out)


def random_tensor(rng: random.Random) -> R:
    dims = rng.randint(0, 4)
    size = tuple(rng.choice([0, 1, 2, 3, 16384, 2**31, 2**40]) for _ in range(dims))
    stride = tuple(rng.choice([0, 1, 2, 4, 2**20, 2**62]) for _ in range(dims))
    storage = rng.choice(["FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "BoolStorage"])
    numel = rng.choice([0, 1, 4, 2**20, 2**40, 2**62])
    return tensor(numel=numel, offset=rng.choice([0, 1, 3, 2**40]), size=size, stride=stride, storage=storage)


# CI (RNNVIZ_FULL_FUZZ=1, set by .ci/run) runs 4× the cases; a developer's run stays ~2,400.
SCALE = 4 if os.environ.get("RNNVIZ_FULL_FUZZ") == "1" else 1
FUZZ_TIMES: list[float] = []
FUZZ_OUTCOMES = {"read": 0, "refused": 0}


def fuzz_case(path: Path, target: Path) -> None:
    # Each case in a new file: rewriting one file in place makes ext4 flush it to disk every time.
    started = time.perf_counter()
    try:
        read = read_torch_pickle(path)
    except WeightsError:
        FUZZ_OUTCOMES["refused"] += 1
    else:
        assert isinstance(read, TorchPickle) and read.tensors
        FUZZ_OUTCOMES["read"] += 1
    FUZZ_TIMES.append(time.perf_counter() - started)
    assert not target.exists()
    path.unlink()


def test_fuzz_zip_pickles(tmp_path):
    rng = random.Random(20240603)
    target = tmp_path / "pwned"
    bases = []
    for name in ("lstm", "lstm_tied", "main_net", "gru_float16"):
        with zipfile.ZipFile(FIXTURES / f"{name}.pt") as archive:
            storages = {n.split("/data/")[1]: archive.read(n) for n in archive.namelist() if "/data/" in n}
            bases.append((archive.read(f"{name}/data.pkl"), storages))
    bases.append((dumps({"w": tensor(), "e": ATTACKS["os.system"](target)}), {"0": FOUR_FLOATS}))
    bases.append((dumps({"w": tensor(), "e": ATTACKS["subprocess.call"](target)}), {"0": FOUR_FLOATS}))
    count = 0
    for data, storages in bases:
        for kind in ("truncate", "flip", "opcode", "global"):
            for _ in range(70 * SCALE):
                fuzz_case(write_zip(tmp_path / f"{count}.pt", mutate(rng, data, kind), storages), target)
                count += 1
    for _ in range(300 * SCALE):
        obj = {f"t{k}": random_tensor(rng) for k in range(rng.randint(1, 3))}
        storages = {"0": bytes(rng.choice([0, 1, 4, 16, 64]))}
        fuzz_case(write_zip(tmp_path / f"{count}.pt", dumps(obj), storages), target)
        count += 1
    for data in EXHAUSTING.values():
        fuzz_case(write_zip(tmp_path / f"{count}.pt", data), target)
        count += 1
    assert count >= 1980 * SCALE


def test_fuzz_legacy_files(tmp_path):
    rng = random.Random(7)
    target = tmp_path / "pwned"
    count = 0
    for name in ("lstm_legacy", "lstm_legacy_state_dict"):
        data = (FIXTURES / f"{name}.pt").read_bytes()
        for kind in ("truncate", "flip", "opcode", "global"):
            for _ in range((40 if name == "lstm_legacy" else 60) * SCALE):
                path = tmp_path / f"{count}.pt"
                path.write_bytes(mutate(rng, data, kind))
                fuzz_case(path, target)
                count += 1
    assert count == 400 * SCALE


def test_fuzz_report():
    """Not a check on time (the bounds are structural): what the fuzz cases above took, for the record."""
    if not FUZZ_TIMES:
        pytest.skip("run with the fuzz tests")
    times = np.array(FUZZ_TIMES)
    print(
        f"\nfuzz: {len(times)} cases ({FUZZ_OUTCOMES['read']} read, {FUZZ_OUTCOMES['refused']} refused), "
        f"mean {times.mean() * 1e3:.2f} ms, max {times.max() * 1e3:.1f} ms"
    )
    assert len(times) >= 2000 * SCALE
