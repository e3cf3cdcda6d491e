"""Row gathering: ``take_rows(table, indices)`` picks rows of a matrix (an embedding lookup).

The backward pass scatters the output gradient back into the rows that were read, adding the
gradients of rows read more than once. It never forms a one-hot matrix: for a lookup of
128 x 500 indices into a 10000 x 32 table, one ``np.bincount`` per column takes ~6 ms where
``np.add.at`` takes ~20 ms and a sort + ``np.add.reduceat`` ~25 ms (benchmarks/embedding_scatter.py;
``np.add.at`` is kept for lookups much smaller than the table, where ``bincount``'s
full-length output would cost more than the scatter itself).
"""

from __future__ import annotations

from numeras.autodiff.ops._core import as_tensor, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def take_rows(table, indices) -> Tensor:
    """z = table[indices] (rows along axis 0; z has shape indices.shape + table.shape[1:]);
    d table = scatter-add of g into the rows named by ``indices`` (zero for rows never read);
    ``indices`` is an integer array and gets no gradient.

    ``indices`` must already lie in [0, len(table)): callers validate them (Embedding does, with
    an error naming the layer); a negative index would silently read from the end.
    """
    table = as_tensor(table)
    index_array = indices.data if isinstance(indices, Tensor) else xp.asarray(indices)
    if index_array.dtype.kind not in "iu":
        raise TypeError(
            f"take_rows: `indices` must be an integer array, received dtype {index_array.dtype}. "
            "Cast the indices to int32/int64 first."
        )
    data = table.data
    out = xp.take(data, index_array, axis=0)
    table_shape, table_dtype = data.shape, data.dtype

    def vjp(g):
        return (scatter_add_rows(g, index_array, table_shape, table_dtype),)

    return record(out, (table,), vjp)


def scatter_add_rows(updates, indices, table_shape: tuple, dtype) -> xp.ndarray:
    """A zero array of ``table_shape`` with ``updates[i]`` added to row ``indices[i]`` (repeated
    indices accumulate). ``updates`` has shape indices.shape + table_shape[1:]."""
    num_rows = table_shape[0]
    flat_indices = indices.reshape(-1)
    row_size = 1
    for n in table_shape[1:]:
        row_size *= n
    flat_updates = updates.reshape(flat_indices.size, row_size)
    if flat_indices.size * 4 < num_rows:
        # Few rows touched: bincount's per-column outputs (num_rows long) would dominate.
        out = xp.zeros((num_rows, row_size), dtype=dtype)
        xp.add.at(out, flat_indices, flat_updates)
        return out.reshape(table_shape)
    out = xp.empty((num_rows, row_size), dtype=dtype)
    for j in range(row_size):  # one vectorised pass per column (row_size is the embedding width)
        out[:, j] = xp.bincount(flat_indices, weights=flat_updates[:, j], minlength=num_rows)
    return out.reshape(table_shape)
