"""rnnviz's own safetensors reader agrees with the safetensors package on every valid file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from safetensors.numpy import load_file, save_file

from rnnviz.io.formats.safetensors_file import read_safetensors

DTYPES = st.sampled_from(
    [np.float64, np.float32, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_]
)
ARRAYS = DTYPES.flatmap(
    lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
)


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tensors=st.dictionaries(st.text(min_size=1, max_size=12), ARRAYS, max_size=5),
       metadata=st.dictionaries(st.text(max_size=5), st.text(max_size=10), max_size=3))  # fmt: skip
def test_reader_matches_the_safetensors_package(tmp_path: Path, tensors, metadata):
    path = tmp_path / "x.safetensors"
    save_file(tensors, str(path), metadata=metadata or None)
    ours, theirs = read_safetensors(path), load_file(str(path))
    assert ours.metadata == metadata
    assert sorted(ours.tensors) == sorted(theirs)
    for name, value in theirs.items():
        got = ours.tensors[name]
        if value.dtype == np.float16:  # widened on reading, exactly
            assert got.dtype == np.float32 and ours.stored_dtypes[name] == "float16"
            value = value.astype(np.float32)
        np.testing.assert_array_equal(got, value)
        assert got.shape == value.shape and got.dtype == value.dtype


def test_bfloat16_bits_become_the_top_half_of_float32(tmp_path):
    values = np.array([1.0, -2.5, 3.140625, 0.0, np.inf], dtype=np.float32)
    top_halves = (values.view(np.uint32) >> 16).astype("<u2")
    header = b'{"x":{"dtype":"BF16","shape":[5],"data_offsets":[0,10]}}'
    path = tmp_path / "b.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + top_halves.tobytes())
    found = read_safetensors(path)
    np.testing.assert_array_equal(found.tensors["x"], values)
    assert found.stored_dtypes["x"] == "bfloat16"
