"""Row gathering: ``take_rows(table, indices)`` picks rows of a matrix (an embedding lookup).

The backward pass scatters the output gradient back into the rows that were read, adding the
gradients of rows read more than once (``kernels.scatter_add_rows``: compiled, or NumPy's
``bincount`` per column). It never forms a one-hot matrix.
"""

from __future__ import annotations

from numeras.autodiff.ops._core import as_tensor, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import kernels, xp


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
    flat_indices = indices.reshape(-1)
    row_size = 1
    for n in table_shape[1:]:
        row_size *= n
    flat_updates = updates.reshape(flat_indices.size, row_size).astype(dtype, copy=False)
    out = xp.empty((table_shape[0], row_size), dtype=dtype)
    kernels.scatter_add_rows(flat_updates, flat_indices, out)
    return out.reshape(table_shape)
