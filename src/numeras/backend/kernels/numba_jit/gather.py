"""Compiled row scatter-add (the embedding lookup's backward pass): one pass over the updates,
each added to its row in place, instead of one ``np.bincount`` pass per column (float64 sums cast
back) in the NumPy reference. 128 x 500 indices into a 10000 x 32 float32 table: ~1 ms against
~6 ms (benchmarks/embedding_scatter.py). Sums stay in the table's dtype, as Keras's
segment sums do."""

from __future__ import annotations

from numeras.backend.kernels.numba_jit import compiled_float, jit
from numeras.backend.kernels.numpy_ref import gather as reference


@jit
def _scatter_add_rows(updates, indices, out):  # pragma: no cover - compiled
    rows, width = out.shape
    for r in range(rows):
        for j in range(width):
            out[r, j] = 0
    for i in range(indices.size):
        r = indices[i]
        if r < 0 or r >= rows:  # never write outside the table (the reference fails on these too)
            raise IndexError("scatter_add_rows: an index lies outside [0, rows)")
        for j in range(width):
            out[r, j] += updates[i, j]


def scatter_add_rows(updates, indices, out):
    if not compiled_float(out.dtype) or updates.dtype != out.dtype or indices.dtype.kind not in "iu":
        reference.scatter_add_rows(updates, indices, out)  # float16 tables and other dtypes
        return
    _scatter_add_rows(updates, indices, out)
