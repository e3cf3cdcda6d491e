"""The row scatter-add kernel (an embedding lookup's backward pass): the compiled one gives the NumPy
reference's table, for both of the reference's paths, and never writes outside the table."""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np
import pytest

from numeras.backend.kernels.numpy_ref import gather as reference

needs_numba = pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")


def scatter(module, updates, indices, rows):
    out = np.full((rows, updates.shape[1]), np.nan, updates.dtype)  # every entry must be written
    module.scatter_add_rows(updates, indices, out)
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("index_dtype", ["int32", "int64"])
@pytest.mark.parametrize("count", [3, 400], ids=["few-rows-add-at", "many-rows-bincount"])
def test_reference_scatter_adds_every_update_into_its_row(dtype, index_dtype, count):
    rng = np.random.default_rng(count)
    rows = 50
    indices = rng.integers(0, rows, count).astype(index_dtype)
    indices[:2] = 7  # a repeated row
    updates = rng.standard_normal((count, 3)).astype(dtype)
    want = np.zeros((rows, 3))
    for i, r in enumerate(indices):
        want[r] += updates[i]
    got = scatter(reference, updates, indices, rows)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("index_dtype", ["int32", "int64"])
@pytest.mark.parametrize("count", [3, 400], ids=["few-rows", "many-rows"])
def test_compiled_matches_reference(dtype, index_dtype, count):
    compiled = importlib.import_module("numeras.backend.kernels.numba_jit.gather")
    rng = np.random.default_rng(10 + count)
    rows = 50
    indices = rng.integers(0, rows, count).astype(index_dtype)
    updates = rng.standard_normal((count, 5)).astype(dtype)
    got = scatter(compiled, updates, indices, rows)
    want = scatter(reference, updates, indices, rows)
    assert got.dtype == np.dtype(dtype)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


@needs_numba
@pytest.mark.parametrize("bad", [-1, 50])
def test_compiled_refuses_an_index_outside_the_table(bad):
    compiled = importlib.import_module("numeras.backend.kernels.numba_jit.gather")
    indices = np.array([0, bad, 3])
    with pytest.raises(IndexError, match="outside"):
        scatter(compiled, np.ones((3, 2)), indices, 50)


@needs_numba
def test_compiled_hands_float16_to_the_reference():
    compiled = importlib.import_module("numeras.backend.kernels.numba_jit.gather")
    updates = np.ones((6, 2), np.float16)
    got = scatter(compiled, updates, np.array([1, 1, 2, 2, 2, 0]), 4)
    np.testing.assert_array_equal(got, np.array([[1, 1], [2, 2], [3, 3], [0, 0]], np.float16))
