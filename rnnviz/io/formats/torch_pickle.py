"""Read files written by `torch.save` without torch, and without running anything the file asks for.

Two layouts exist:
  zip (torch >= 1.6): `<archive>/data.pkl` is the pickled object; each storage is a member
    `<archive>/data/<key>` of raw bytes; `<archive>/byteorder` says "little" or "big" (absent: little);
    `version` / `.format_version` and other records are not needed.
  legacy (torch < 1.6, or `_use_new_zipfile_serialization=False`): five pickles back to back (the magic
    number 0x1950a86a20f9469cfc6c, the protocol version 1001, a sys_info dict, the object, the sorted list
    of storage keys), then for each key in that order an int64 element count and the storage's bytes,
    always little-endian.
In both, a storage is pickled as a persistent id ('storage', <storage type>, key, location, numel), the
legacy one with a sixth item (a view of an older storage, None since torch 0.4), and a tensor as
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
A whole model (`torch.save(model)`) pickles each nn.Module as its class (NEWOBJ) and its `__dict__`
(BUILD); the legacy layout also names each module class in a persistent id ('module', class, file, source).

What the unpickler allows: the tensor rebuild functions, storage types, dtypes, `torch.Size`,
`torch.device`, `collections.OrderedDict`, `set`, and inert `ModuleRecord`s standing in for nn.Module
classes (torch's own, or a user's `model.RNNModel`), which only keep the state BUILD gives them. Every other
global is refused by name. Before unpickling, every pickle is walked opcode by opcode (no object is made) to
bound its length, memo indices and nesting, since CPython itself can crash on a deeply nested tuple.
Tensors become NumPy arrays only after their views are checked against their storages.
"""

from __future__ import annotations

import collections
import io
import pickle
import pickletools
import re
import struct
import sys
import warnings
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from rnnviz.errors import WeightsError, first_line

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001
_MAGIC_BYTES = MAGIC_NUMBER.to_bytes(10, "little")

MAX_PICKLE_BYTES = 64 << 20  # data.pkl holds no tensor data; even huge models need a few MB
MAX_OPCODES = 4_000_000
MAX_NESTING = 1000  # CPython hashes nested tuples recursively in C, with no depth check
MAX_MODULE_DEPTH = 100
MAX_DIMS = 32
MAX_TENSOR_ELEMENTS = 1 << 34
# Deflate cannot expand more than ~1032:1; a member claiming more is damaged or a zip bomb.
MAX_EXPANSION = 1100
NESTED_KEYS = ("state_dict", "model_state_dict", "model", "net", "module")

# torch dtype name → (NumPy dtype without byte order, item size). bfloat16 is read as its raw 16 bits.
_DTYPES = {
    "float64": ("f8", 8),
    "float32": ("f4", 4),
    "float16": ("f2", 2),
    "bfloat16": ("u2", 2),
    "int64": ("i8", 8),
    "int32": ("i4", 4),
    "int16": ("i2", 2),
    "int8": ("i1", 1),
    "uint8": ("u1", 1),
    "uint16": ("u2", 2),
    "uint32": ("u4", 4),
    "uint64": ("u8", 8),
    "bool": ("?", 1),
}
_DTYPE_ALIASES = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "long": "int64",
    "int": "int32",
    "short": "int16",
}
_STORAGE_TYPES = {
    "DoubleStorage": "float64",
    "FloatStorage": "float32",
    "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16",
    "LongStorage": "int64",
    "IntStorage": "int32",
    "ShortStorage": "int16",
    "CharStorage": "int8",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
}
# Opcodes torch.save never writes and that reach further than plain data: INST/OBJ instantiate classes
# the protocol-0 way, EXT* consult copyreg's registry, PERSID takes a text id, the buffer ones
# take out-of-band data.
_REFUSED_OPCODES = {"INST", "OBJ", "EXT1", "EXT2", "EXT4", "PERSID", "NEXT_BUFFER", "READONLY_BUFFER"}
_PUT = {"PUT", "BINPUT", "LONG_BINPUT"}
_GET = {"GET", "BINGET", "LONG_BINGET"}
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")
# Roots never holding a user's module class: refused at once, with the global's name.
_NEVER_USER = {"torch", "numpy", "builtins", "__builtin__", "dill", "cloudpickle", "joblib", "IPython"}
_NEVER_USER |= {"pip", "setuptools", "pkg_resources", "pytest", "_pytest", "rnnviz", "pandas", "scipy"}
# Every exception the pickle machinery, zipfile and struct raise on damaged input.
_DAMAGE = (
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    LookupError,
    struct.error,
    UnicodeDecodeError,
    OverflowError,
    ArithmeticError,
    RecursionError,
    MemoryError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
)


@dataclass
class ModuleInfo:
    """One module of a whole pickled model: its class path and its plain attributes."""

    class_path: str  # e.g. "torch.nn.modules.rnn.LSTM", "model.RNNModel"
    attributes: dict[str, Any] = field(default_factory=dict)  # str/int/float/bool/None and tuples of those


@dataclass
class TorchPickle:
    """What a `torch.save` file holds, as NumPy arrays under `state_dict()` names."""

    tensors: dict[str, np.ndarray]
    modules: dict[str, ModuleInfo]  # module path ("" for the root) → info; empty unless a whole model
    kind: str  # "whole model" | "state dict" | "checkpoint"
    stored_dtypes: dict[str, str] = field(default_factory=dict)  # name → torch dtype in the file
    notes: list[str] = field(default_factory=list)
    layout: str = "zip"  # "zip" | "legacy"


def looks_like_torch_pickle(head: bytes) -> bool:
    """Whether `head` starts a legacy `torch.save` file: a pickle of the magic number, nothing looser.

    A bare 0x80 0x0N start is not enough: a safetensors header length can begin with those bytes.
    """
    if len(head) < 2 or head[0] != 0x80 or not 2 <= head[1] <= 5:
        return False
    rest = head[2:]
    if rest[:1] == b"\x95":  # protocol 4+ opens with a FRAME and its 8-byte length
        rest = rest[9:]
    return rest.startswith(b"\x8a\x0a" + _MAGIC_BYTES)


def read_torch_pickle(path: Path) -> TorchPickle:
    """Read a `torch.save` file (zip or legacy layout); WeightsError for anything damaged or unsafe."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(512)  # a tar header ends at 512
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return _read_zip(path)
        if looks_like_torch_pickle(head):
            return _read_legacy(path.read_bytes())
    except WeightsError:
        raise
    except OSError as err:
        raise WeightsError(f"cannot read the file ({err.strerror or err})") from None
    except _DAMAGE as err:
        raise WeightsError(
            f"not a readable PyTorch file ({type(err).__name__}: {first_line(err)[:120]})"
        ) from None
    if head.startswith(b"\x80") or head[257:262] == b"ustar":
        raise WeightsError(
            "not a torch.save file rnnviz reads (a plain pickle, or torch's pre-0.4 tar format?)"
        )
    raise WeightsError("not a torch.save file: neither a zip archive nor a legacy torch pickle")


# ----- stand-ins the unpickler hands out instead of real globals ---------------------------------


class _Inert:
    """A named callable that runs only the function of ours it wraps; it takes no state."""

    __slots__ = ("path", "function")

    def __init__(self, path: str, function: Callable[..., Any]) -> None:
        self.path = path
        self.function = function

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)

    def __setstate__(self, state: Any) -> None:
        raise WeightsError(f"the file tries to set state on {self.path}: not a torch.save file")

    def __repr__(self) -> str:
        return f"<{self.path}>"


class _DType:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __setstate__(self, state: Any) -> None:
        raise WeightsError(f"the file tries to set state on torch.{self.name}: not a torch.save file")


class _StorageType:
    """torch.FloatStorage and kin (dtype = its element type), or UntypedStorage (dtype None: bytes)."""

    __slots__ = ("path", "dtype")

    def __init__(self, path: str, dtype: str | None) -> None:
        self.path = path
        self.dtype = dtype

    def __call__(self, *args: Any) -> Any:
        raise WeightsError(f"the file asks to call {self.path}, which torch.save never does")

    def __setstate__(self, state: Any) -> None:
        raise WeightsError(f"the file tries to set state on {self.path}: not a torch.save file")


class _Storage:
    """A storage named by a persistent id: its bytes are read only once a tensor in the output needs them."""

    __slots__ = ("key", "dtype", "numel", "location")

    def __init__(self, key: str, dtype: str, numel: int, location: str) -> None:
        self.key, self.dtype, self.numel, self.location = key, dtype, numel, location

    def __setstate__(self, state: Any) -> None:
        # Without this, BUILD could set the slots (numel, dtype) after a tensor was checked against them.
        raise WeightsError("the file tries to set state on a storage: not a torch.save file")

    @property
    def nbytes(self) -> int:
        return self.numel * _DTYPES[self.dtype][1]


class _Tensor:
    """A view (offset, size, stride, in elements of `dtype`) of a storage, already checked against it.

    `problem` says why it cannot be a weights tensor; it is raised with the tensor's name if the tensor
    ends up in the output, so a broken tensor elsewhere (an optimizer's state, say) costs nothing.
    """

    __slots__ = ("storage", "dtype", "offset", "size", "stride", "numel", "problem")

    def __init__(self, storage: Any, dtype: str, offset: Any, size: Any, stride: Any) -> None:
        if not isinstance(storage, _Storage):
            raise WeightsError("a tensor in the file is rebuilt from something other than a storage")
        self.storage, self.dtype = storage, dtype
        self.offset = _count(offset, "storage offset")
        self.size = _counts(size, "size")
        self.stride = _counts(stride, "stride")  # negative strides are refused here with the rest
        if len(self.size) != len(self.stride):
            raise WeightsError(f"a tensor has {len(self.size)} sizes but {len(self.stride)} strides")
        self.numel = 1
        for n in self.size:
            self.numel *= n
        self.problem = self._check()

    def _check(self) -> str | None:
        """Bounds, in Python ints so nothing overflows, before any array exists."""
        if self.dtype not in _DTYPES:
            return f"has dtype {self.dtype}, which NumPy cannot hold"
        if self.numel == 0:
            return None
        itemsize = _DTYPES[self.dtype][1]
        if self.storage.nbytes % itemsize:
            return f"is {self.dtype} over a storage of {self.storage.nbytes} bytes, not whole elements"
        elements = self.storage.nbytes // itemsize
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride, strict=True))
        if last >= elements:
            return f"reaches element {last} of a storage of {elements}"
        if self.numel > elements:
            return (
                f"is a broadcast view of {self.numel} elements over a storage of {elements}: "
                "not a weights tensor"
            )
        if self.numel > MAX_TENSOR_ELEMENTS:
            return f"declares {self.numel} elements, more than rnnviz reads in one tensor"
        return None

    def __setstate__(self, state: Any) -> None:
        raise WeightsError("the file tries to set state on a tensor: not a torch.save file")


def _count(value: Any, what: str) -> int:
    if type(value) is not int or not 0 <= value < 1 << 62:
        raise WeightsError(f"a tensor's {what} is {_short(value)}, not a count")
    return value


def _counts(values: Any, what: str) -> tuple[int, ...]:
    if not isinstance(values, tuple) or len(values) > MAX_DIMS:
        raise WeightsError(f"a tensor's {what} is not a tuple of at most {MAX_DIMS} counts")
    return tuple(_count(v, what) for v in values)


def _short(value: Any) -> str:
    return type(value).__name__ if not isinstance(value, int | float | str) else repr(value)[:40]


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any) -> _Tensor:
    dtype = storage.dtype if isinstance(storage, _Storage) else "?"
    return _Tensor(storage, dtype, offset, size, stride)


def _rebuild_tensor_v2(
    storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any, hooks: Any, metadata: Any = None
) -> _Tensor:
    return _rebuild_tensor(storage, offset, size, stride)


def _rebuild_tensor_v3(
    storage: Any,
    offset: Any,
    size: Any,
    stride: Any,
    requires_grad: Any,
    hooks: Any,
    dtype: Any,
    metadata: Any = None,
) -> _Tensor:
    # v3 pairs an untyped (byte) storage with the tensor's dtype, for dtypes with no typed storage.
    if not isinstance(dtype, _DType):
        raise WeightsError("a tensor's dtype in the file is not a torch dtype")
    return _Tensor(storage, dtype.name, offset, size, stride)


def _rebuild_parameter(data: Any, requires_grad: Any, hooks: Any, state: Any = None) -> _Tensor:
    # A Parameter is its tensor, as far as weights go.
    if not isinstance(data, _Tensor):
        raise WeightsError("a Parameter in the file wraps something other than a tensor")
    return data


def _rebuild_from_type(function: Any, new_type: Any, args: Any, state: Any) -> Any:
    # torch._tensor._rebuild_from_type_v2: a tensor subclass, rebuilt by one of our functions.
    if function not in _TENSOR_REBUILDERS or new_type not in _TENSOR_TYPES or not isinstance(args, tuple):
        raise WeightsError("the file rebuilds a tensor subclass in a way torch.save never writes")
    return function(*args)


def _size(dims: Any = ()) -> tuple[int, ...]:
    return _counts(tuple(dims) if isinstance(dims, list | tuple) else dims, "size")


def _device(*args: Any) -> str:
    if not all(isinstance(a, str | int) and not isinstance(a, bool) for a in args):
        raise WeightsError("torch.device in the file is given something other than a name")
    return ":".join(str(a) for a in args)


def _set(items: Any = ()) -> set[Any]:
    if not isinstance(items, list | tuple):
        raise WeightsError("set() in the file is given something other than a list")
    return set(items)


def _frozenset(items: Any = ()) -> frozenset[Any]:
    return frozenset(_set(items))


def _refuse_call(path: str) -> Callable[..., Any]:
    def refuse(*args: Any) -> Any:
        raise WeightsError(f"the file asks to call {path}, which torch.save never does")

    return refuse


_TENSOR_REBUILDERS_BY_PATH = {
    "torch._utils._rebuild_tensor": _Inert("torch._utils._rebuild_tensor", _rebuild_tensor),
    "torch._utils._rebuild_tensor_v2": _Inert("torch._utils._rebuild_tensor_v2", _rebuild_tensor_v2),
    "torch._utils._rebuild_tensor_v3": _Inert("torch._utils._rebuild_tensor_v3", _rebuild_tensor_v3),
}
_TENSOR_REBUILDERS = set(_TENSOR_REBUILDERS_BY_PATH.values())
_TENSOR_TYPES_BY_PATH = {
    path: _Inert(path, _refuse_call(path))
    for path in ("torch.nn.parameter.Parameter", "torch.Tensor", "torch._tensor.Tensor")
}
_TENSOR_TYPES = set(_TENSOR_TYPES_BY_PATH.values())
_ALLOWED: dict[str, Any] = {
    **_TENSOR_REBUILDERS_BY_PATH,
    **_TENSOR_TYPES_BY_PATH,
    "torch._utils._rebuild_parameter": _Inert("torch._utils._rebuild_parameter", _rebuild_parameter),
    "torch._utils._rebuild_parameter_with_state": _Inert(
        "torch._utils._rebuild_parameter_with_state", _rebuild_parameter
    ),
    "torch._tensor._rebuild_from_type_v2": _Inert("torch._tensor._rebuild_from_type_v2", _rebuild_from_type),
    "torch.Size": _Inert("torch.Size", _size),
    "torch.device": _Inert("torch.device", _device),
    "torch.storage.UntypedStorage": _StorageType("torch.storage.UntypedStorage", None),
    "torch.UntypedStorage": _StorageType("torch.UntypedStorage", None),
    "builtins.set": _Inert("builtins.set", _set),
    "__builtin__.set": _Inert("__builtin__.set", _set),
    "builtins.frozenset": _Inert("builtins.frozenset", _frozenset),
    "__builtin__.frozenset": _Inert("__builtin__.frozenset", _frozenset),
    # The real class: it only ever builds a dict from the pairs pickle hands it.
    "collections.OrderedDict": collections.OrderedDict,
}
for _name, _dtype in _STORAGE_TYPES.items():
    for _module in ("torch", "torch.cuda"):
        _ALLOWED[f"{_module}.{_name}"] = _StorageType(f"{_module}.{_name}", _dtype)
for _name in [*_DTYPES, *_DTYPE_ALIASES]:
    _ALLOWED[f"torch.{_name}"] = _DType(_DTYPE_ALIASES.get(_name, _name))


class _RecordMeta(type):
    """Classes standing in for module classes: NEWOBJ makes instances through __new__; calling is refused."""

    class_path: str

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise WeightsError(
            f"the file asks to call {cls.class_path}(...), which rnnviz never runs; "
            "torch.save writes a module as its class and its state, never as a call"
        )


class ModuleRecord(metaclass=_RecordMeta):
    """An inert stand-in for a pickled nn.Module: its class path and the `__dict__` BUILD gave it."""

    __slots__ = ("state",)
    class_path: ClassVar[str] = "?"

    def __new__(cls, *args: Any, **kwargs: Any) -> ModuleRecord:
        if args or kwargs:
            raise WeightsError(f"the file makes a {cls.class_path} with arguments, as no nn.Module pickles")
        record = object.__new__(cls)
        record.state = None
        return record

    def __setstate__(self, state: Any) -> None:
        # Only ever stores: the class's own __setstate__ is never looked up, let alone called.
        if not isinstance(state, dict) or self.state is not None:
            raise WeightsError(f"the file gives a {self.class_path} a state no nn.Module pickles")
        self.state = state

    def __repr__(self) -> str:
        return f"<ModuleRecord {self.class_path}>"


class _Unpickler(pickle.Unpickler):
    """find_class hands out stand-ins only; persistent_load turns storage ids into _Storage records."""

    def __init__(self, file: io.BytesIO, legacy: bool) -> None:
        super().__init__(file, encoding="utf-8")
        self.legacy = legacy
        self.records: dict[str, type[ModuleRecord]] = {}  # fresh per file: nothing leaks between files
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        path = f"{module}.{name}"
        if not (_IDENTIFIER.match(module) and _IDENTIFIER.match(name)):
            raise WeightsError(f"the file asks for a global named {path[:80]!r}: not a torch.save file")
        if path in _ALLOWED:
            return _ALLOWED[path]
        root = module.split(".")[0]
        is_torch_module = module == "torch.nn" or module.startswith("torch.nn.")
        if not is_torch_module and (root in _NEVER_USER or root in sys.stdlib_module_names):
            raise WeightsError(
                f"the file asks for {path}, which rnnviz never runs; it is either not a weights file "
                "or holds more than tensors and modules (malicious, perhaps)"
            )
        # A module class, torch's or the user's: an inert record class, which must later show the
        # state of an nn.Module to be used as one.
        if path not in self.records:
            record = _RecordMeta(name.split(".")[-1], (ModuleRecord,), {"__slots__": (), "class_path": path})
            self.records[path] = record
        return self.records[path]

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid:
            raise WeightsError("a persistent id in the file is not a tuple: not a torch.save file")
        if pid[0] == "module" and self.legacy and len(pid) == 4:
            # Legacy files name each module class once, with its source for torch to compare; we only
            # need the class, which find_class already turned into a record class.
            if not (isinstance(pid[1], type) and issubclass(pid[1], ModuleRecord)):
                raise WeightsError("a legacy module id in the file names no module class")
            return pid[1]
        size = 6 if self.legacy else 5
        if pid[0] != "storage" or len(pid) != size:
            raise WeightsError(f"the file has a persistent id {_short(pid[0])} torch.save never writes")
        storage_type, key, location, numel = pid[1:5]
        if self.legacy and pid[5] is not None:
            raise WeightsError("the file holds storage views (torch < 0.4), which rnnviz does not read")
        if not isinstance(storage_type, _StorageType):
            raise WeightsError("a storage in the file has a type that is not a torch storage type")
        if (
            not isinstance(key, str)
            or not re.fullmatch(r"[\w.-]{1,64}", key)
            or not isinstance(location, str)
        ):
            raise WeightsError("a storage in the file has a key or location that is not a short name")
        dtype = storage_type.dtype or "uint8"
        storage = _Storage(key, dtype, _count(numel, "storage size"), location)
        known = self.storages.setdefault(key, storage)
        if (known.dtype, known.numel) != (dtype, storage.numel):
            raise WeightsError(f"storage {key!r} is declared twice, differently")
        return known


# ----- bounding a pickle before it is unpickled --------------------------------------------------


def _prescan(buffer: io.BytesIO) -> None:
    """Walk one pickle's opcodes from the buffer's position, making no objects, and refuse it if it
    is long, reaches far into the memo, or nests deeper than MAX_NESTING (tracked per object, through the
    memo, since containers grow after they are made). Leaves the buffer where it was."""
    start = buffer.tell()
    mark = object()
    stack: list[Any] = []  # [depth] cells, shared by every copy of one object, or `mark`
    memo: dict[int, list[int]] = {}

    def pop() -> list[int]:
        if not stack or stack[-1] is mark:
            raise WeightsError("the pickle takes from an empty stack: damaged")
        return stack.pop()

    def pop_to_mark() -> list[list[int]]:
        items = []
        while stack:
            item = stack.pop()
            if item is mark:
                return items
            items.append(item)
        raise WeightsError("the pickle has no mark where one is needed: damaged")

    def deepen(target: list[int], items: list[list[int]]) -> None:
        target[0] = max([target[0], *(item[0] + 1 for item in items)])
        if target[0] > MAX_NESTING:
            raise WeightsError(f"the pickle nests objects more than {MAX_NESTING} deep")

    for count, (opcode, arg, _) in enumerate(pickletools.genops(buffer)):
        name = opcode.name
        if count >= MAX_OPCODES:
            raise WeightsError(f"the pickle has more than {MAX_OPCODES} opcodes")
        if name in _REFUSED_OPCODES:
            raise WeightsError(f"the pickle uses opcode {name}, which torch.save never writes")
        if name == "MARK":
            stack.append(mark)
        elif name in _PUT or name == "MEMOIZE":
            index = len(memo) if name == "MEMOIZE" else arg
            # A pickler numbers memo entries in order; a far index would make CPython grow its memo array.
            if not isinstance(index, int) or not 0 <= index <= count:
                raise WeightsError("the pickle puts into a memo slot no pickler would use: damaged")
            if not stack or stack[-1] is mark:
                raise WeightsError("the pickle memoizes from an empty stack: damaged")
            memo[index] = stack[-1]
        elif name in _GET:
            if arg not in memo:
                raise WeightsError("the pickle reads a memo slot never filled: damaged")
            stack.append(memo[arg])
        elif name == "DUP":
            stack.append(stack[-1] if stack and stack[-1] is not mark else pop())
        elif name == "APPEND" or name == "BUILD":
            item = pop()
            deepen(stack[-1] if stack and stack[-1] is not mark else pop(), [item])
        elif name == "SETITEM":
            items = [pop(), pop()]
            deepen(stack[-1] if stack and stack[-1] is not mark else pop(), items)
        elif name in ("APPENDS", "SETITEMS", "ADDITEMS"):
            items = pop_to_mark()
            deepen(stack[-1] if stack and stack[-1] is not mark else pop(), items)
        else:
            before = opcode.stack_before
            taken: list[list[int]] = []
            if pickletools.markobject in before:
                taken += pop_to_mark()
                taken += [pop() for _ in range(before.index(pickletools.markobject))]
            else:
                taken += [pop() for _ in before]
            for _ in opcode.stack_after:
                cell = [0]
                deepen(cell, taken)
                stack.append(cell)
    buffer.seek(start)


def _unpickle(buffer: io.BytesIO, legacy: bool, storages: dict[str, _Storage] | None = None) -> Any:
    """One pickle from the buffer's position, bounded first, through the restricted unpickler."""
    unpickler = _Unpickler(buffer, legacy)
    if storages is not None:
        unpickler.storages = storages
    # Python 2 string opcodes with bad escapes warn (DeprecationWarning); damage is not the caller's to see.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _prescan(buffer)
        return unpickler.load()


# ----- the two layouts ---------------------------------------------------------------------------


def _read_zip(path: Path) -> TorchPickle:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
            raise WeightsError("a TorchScript archive (torch.jit.save): rnnviz reads torch.save files")
        if len(pickles) != 1:
            raise WeightsError("a zip archive that is not a torch.save file (no single <archive>/data.pkl)")
        prefix = pickles[0][: -len("data.pkl")]
        budget = _Budget(path.stat().st_size)
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = _member(archive, prefix + "byteorder", 16).decode("ascii", "replace")
            if byteorder not in ("little", "big"):
                raise WeightsError(f"the file's byteorder record says {byteorder[:16]!r}, not little or big")
        storages: dict[str, _Storage] = {}
        root = _unpickle(io.BytesIO(_member(archive, pickles[0], MAX_PICKLE_BYTES)), False, storages)

        def storage_bytes(storage: _Storage) -> bytes:
            data = _member(archive, f"{prefix}data/{storage.key}", budget.left(storage.nbytes))
            if len(data) != storage.nbytes:
                raise WeightsError(
                    f"storage {storage.key!r} declares {storage.numel} {storage.dtype} elements "
                    f"({storage.nbytes} bytes) but holds {len(data)} bytes"
                )
            return data

        result = _interpret(root, _Materializer(storage_bytes, byteorder, budget))
    if prefix + "byteorder" not in names:
        result.notes.append("the file has no byteorder record (torch < 1.12?): read as little-endian")
    return result


def _member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """One member's bytes, its declared sizes checked before reading, its CRC while reading."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise WeightsError(f"the archive has no member {name!r}") from None
    if info.file_size > MAX_EXPANSION * info.compress_size + 1024:
        raise WeightsError(f"member {name!r} claims an impossible size ({info.file_size} bytes)")
    if info.file_size > limit:
        raise WeightsError(f"member {name!r} is {info.file_size} bytes, more than expected ({limit})")
    return archive.read(info)


def _read_legacy(data: bytes) -> TorchPickle:
    buffer = io.BytesIO(data)
    if _unpickle(buffer, True) != MAGIC_NUMBER:
        raise WeightsError("not a legacy torch file: wrong magic number")
    version = _unpickle(buffer, True)
    if version != LEGACY_PROTOCOL_VERSION:
        raise WeightsError(f"a legacy torch file of protocol {_short(version)}; rnnviz reads 1001")
    sys_info = _unpickle(buffer, True)
    if not isinstance(sys_info, dict):
        raise WeightsError("a legacy torch file whose header is damaged")
    storages: dict[str, _Storage] = {}
    root = _unpickle(buffer, True, storages)
    keys = _unpickle(buffer, True)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise WeightsError("a legacy torch file whose list of storages is damaged")
    # Storages follow in the order of that list, each as an int64 element count and its bytes.
    spans: dict[str, tuple[int, int]] = {}
    offset = buffer.tell()
    for key in keys:
        if key not in storages or key in spans:
            raise WeightsError(f"the legacy file stores {key!r}, which its pickle never declares once")
        storage = storages[key]
        if offset + 8 > len(data):
            raise WeightsError(f"the legacy file ends before storage {key!r}")
        (numel,) = struct.unpack_from("<q", data, offset)
        if numel != storage.numel:
            raise WeightsError(f"storage {key!r} declares {storage.numel} elements but stores {numel}")
        spans[key] = (offset + 8, offset + 8 + storage.nbytes)
        offset = spans[key][1]
        if offset > len(data):
            raise WeightsError(f"storage {key!r} declares {storage.numel} elements; the file ends first")

    def storage_bytes(storage: _Storage) -> bytes:
        if storage.key not in spans:
            raise WeightsError(f"the legacy file never stores storage {storage.key!r}")
        begin, end = spans[storage.key]
        return data[begin:end]

    result = _interpret(root, _Materializer(storage_bytes, "little", _Budget(len(data))))
    result.layout = "legacy"
    return result


# ----- from unpickled records to arrays ----------------------------------------------------------


class _Budget:
    """Bytes the arrays may take altogether: a few times the file, so no view multiplies memory."""

    def __init__(self, file_size: int) -> None:
        self.remaining = 4 * file_size + (64 << 20)

    def left(self, wanted: int) -> int:
        return min(wanted, self.remaining)

    def spend(self, nbytes: int, name: str) -> None:
        if nbytes > self.remaining:
            raise WeightsError(f"tensor {name!r} would take the arrays past 4 times the file's size")
        self.remaining -= nbytes


class _Materializer:
    """Makes each checked tensor an array once (tied weights share it), storages read on demand."""

    def __init__(self, storage_bytes: Callable[[_Storage], bytes], byteorder: str, budget: _Budget) -> None:
        self.storage_bytes = storage_bytes
        self.order = "<" if byteorder == "little" else ">"
        self.budget = budget
        self.raw: dict[str, bytes] = {}
        self.arrays: dict[int, np.ndarray] = {}
        self.keep: list[_Tensor] = []  # keeps ids in `arrays` from being reused

    def array(self, name: str, tensor: _Tensor) -> np.ndarray:
        if tensor.problem is not None:
            raise WeightsError(f"tensor {name!r} {tensor.problem}")
        if id(tensor) in self.arrays:
            return self.arrays[id(tensor)]
        # Checked again here, where it matters: nothing may have changed the records since they were made.
        if tensor._check() is not None:
            raise WeightsError(f"tensor {name!r} {tensor._check()}")
        code, itemsize = _DTYPES[tensor.dtype]
        widened = 4 if tensor.dtype in ("float16", "bfloat16") else itemsize
        self.budget.spend(tensor.numel * widened, name)
        storage = tensor.storage
        if storage.key not in self.raw:
            self.raw[storage.key] = self.storage_bytes(storage)
        dtype = np.dtype(code).newbyteorder(self.order) if itemsize > 1 else np.dtype(code)
        raw = self.raw[storage.key]
        if len(raw) != storage.nbytes:
            raise WeightsError(f"storage {storage.key!r} is declared with two sizes")
        flat = np.frombuffer(raw, dtype=dtype, count=storage.nbytes // itemsize)
        if tensor.numel == 0:
            view = np.zeros(tensor.size, dtype=dtype)
        else:
            view = np.lib.stride_tricks.as_strided(
                flat[tensor.offset :],
                tensor.size,
                tuple(s * itemsize for s in tensor.stride),
                writeable=False,
            )
        if tensor.dtype == "bfloat16":
            # bfloat16 is the top half of a float32.
            out = (view.astype(np.uint32) << 16).view(np.float32)
        elif tensor.dtype == "float16":
            out = view.astype(np.float32)
        else:
            out = np.array(view, dtype=dtype.newbyteorder("="))
        self.arrays[id(tensor)] = out
        self.keep.append(tensor)
        return out


def _interpret(root: Any, materializer: _Materializer) -> TorchPickle:
    """Whole model, state dict or checkpoint: find the tensors and name them as state_dict() would."""
    result = TorchPickle({}, {}, "state dict")
    found: dict[str, _Tensor] = {}
    if isinstance(root, ModuleRecord):
        result.kind = "whole model"
        _walk_module(root, "", found, result.modules, ())
    elif isinstance(root, dict):
        # dict.items(x), not x.items(): BUILD can give an OrderedDict instance attributes shadowing methods.
        tensors = {k: v for k, v in dict.items(root) if isinstance(v, _Tensor)}
        inner_key = next((k for k in NESTED_KEYS if _holds_weights(dict.get(root, k))), None)
        if tensors and len(tensors) == len(root):
            found = _named(tensors)
        elif inner_key is not None:
            result.kind = "checkpoint"
            result.notes.append(f"a checkpoint: the weights are under {inner_key!r}")
            inner = dict.get(root, inner_key)
            if isinstance(inner, ModuleRecord):
                _walk_module(inner, "", found, result.modules, ())
            else:
                found = _named({k: v for k, v in dict.items(inner) if isinstance(v, _Tensor)})
        elif tensors:
            found = _named(tensors)
            skipped = len(root) - len(tensors)
            result.notes.append(f"skipped {skipped} entries of the dict that are not tensors")
        else:
            raise WeightsError("the file holds a dict with no tensors, nor a state dict under the usual keys")
    else:
        raise WeightsError(
            f"the file holds a {type(root).__name__}, not a model, state dict or checkpoint"
            if not isinstance(root, _Tensor)
            else "the file holds a single tensor, not a model or state dict"
        )
    if not found:
        raise WeightsError("the file holds no tensors")
    widened = 0
    for name, tensor in found.items():
        result.tensors[name] = materializer.array(name, tensor)
        result.stored_dtypes[name] = tensor.dtype
        widened += tensor.dtype in ("float16", "bfloat16")
    if widened:
        result.notes.append(f"widened {widened} float16/bfloat16 tensors to float32")
    return result


def _holds_weights(value: Any) -> bool:
    if isinstance(value, ModuleRecord):
        return True
    return isinstance(value, dict) and any(isinstance(v, _Tensor) for v in dict.values(value))


def _named(tensors: Mapping[Any, _Tensor]) -> dict[str, _Tensor]:
    if not all(isinstance(k, str) for k in tensors):
        raise WeightsError("the file's dict of tensors has keys that are not names")
    return dict(tensors)


def _walk_module(
    record: ModuleRecord, prefix: str, found: dict[str, _Tensor], modules: dict[str, ModuleInfo], path: tuple
) -> None:
    """state_dict() naming: own parameters, then persistent buffers, then each child under `name.`."""
    where = prefix.rstrip(".")
    if len(path) > MAX_MODULE_DEPTH or any(r is record for r in path):
        raise WeightsError(f"module {where!r} nests too deep, or in itself")
    state = record.state
    if not isinstance(state, dict) or not all(
        isinstance(dict.get(state, k), dict) for k in ("_parameters", "_buffers", "_modules")
    ):
        raise WeightsError(
            f"the file holds a {record.class_path} at {where or 'the top'!r} that is not an nn.Module "
            "(no _parameters, _buffers and _modules); rnnviz never runs the file's classes"
        )
    attributes = {k: v for k, v in dict.items(state) if _is_attribute(k, v)}
    modules[where] = ModuleInfo(record.class_path, attributes)
    hidden = dict.get(state, "_non_persistent_buffers_set")
    hidden = hidden if isinstance(hidden, set | frozenset) else set()
    for group in ("_parameters", "_buffers"):
        for name, tensor in dict.items(dict.get(state, group)):
            if tensor is None or (group == "_buffers" and name in hidden):
                continue  # e.g. an LSTM without bias has no bias parameters at all
            if not isinstance(name, str) or not isinstance(tensor, _Tensor):
                raise WeightsError(f"module {where!r} has a {group[1:-1]} that is not a named tensor")
            found[prefix + name] = tensor
    for name, child in dict.items(dict.get(state, "_modules")):
        if child is None:
            continue
        if not isinstance(name, str) or not isinstance(child, ModuleRecord):
            raise WeightsError(f"module {where!r} has a submodule that is not a module")
        _walk_module(child, f"{prefix}{name}.", found, modules, (*path, record))


def _is_attribute(key: Any, value: Any, depth: int = 0) -> bool:
    """Plain values only: what a module's constructor took (mode, hidden_size, rnn_type, …)."""
    if depth == 0 and (not isinstance(key, str) or key.startswith("_")):
        return False
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, tuple | list) and depth < 4 and len(value) <= 64:
        return all(_is_attribute(None, v, depth + 1) for v in value)
    return False
