"""Writing into tensors without mutating them: ``scatter``, ``scatter_update`` and
``slice_update`` return new tensors; their VJPs route g back to what was written and to what
was kept."""

from __future__ import annotations

from numeras.autodiff.ops._core import as_tensor, promote, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def _index_tuple(indices, where: str) -> tuple:
    """Keras's (N, k) integer ``indices`` (each row a position in the first k axes) as a NumPy
    index tuple of k arrays."""
    idx = indices.data if isinstance(indices, Tensor) else xp.asarray(indices)
    if idx.dtype.kind not in "iu" or idx.ndim < 1:
        raise TypeError(
            f"{where}: `indices` must be an integer array of shape (num_updates, k), each row the "
            f"position of one update; received dtype {idx.dtype} and shape {idx.shape}."
        )
    if idx.ndim == 1:
        idx = idx[:, None]
    return tuple(idx[..., i] for i in range(idx.shape[-1]))


def scatter(indices, values, shape) -> Tensor:
    """z = zeros of ``shape`` with values[i] added at position indices[i] (repeated positions add
    up, as in Keras);  dvalues = g read at the positions."""
    values = as_tensor(values)
    key = _index_tuple(indices, "scatter")
    out = xp.zeros(tuple(int(n) for n in shape), dtype=values.data.dtype)
    xp.add.at(out, key, values.data)
    return record(out, (values,), lambda g: (g[key],))


def scatter_update(inputs, indices, updates) -> Tensor:
    """z = inputs with updates[i] written at position indices[i] (the positions should be
    distinct: with repeats, one write wins);  dinputs = g with the written positions zeroed,
    dupdates = g read at the positions. Updates take the inputs' dtype."""
    inputs = as_tensor(inputs)
    updates = promote(as_tensor(updates), inputs.data.dtype)
    key = _index_tuple(indices, "scatter_update")
    out = inputs.data.copy()
    out[key] = updates.data

    def vjp(g):
        kept = g.copy()
        kept[key] = 0
        return kept, g[key]

    return record(out, (inputs, updates), vjp)


def slice_update(inputs, start_indices, updates) -> Tensor:
    """z = inputs with the block of ``updates``'s shape starting at ``start_indices`` replaced by
    updates;  dinputs = g with that block zeroed, dupdates = g's block."""
    inputs = as_tensor(inputs)
    updates = promote(as_tensor(updates), inputs.data.dtype)
    starts = [int(s) for s in (start_indices.data if isinstance(start_indices, Tensor) else start_indices)]
    if len(starts) != inputs.data.ndim or updates.data.ndim != inputs.data.ndim:
        raise ValueError(
            "slice_update: `start_indices` needs one start per axis of `inputs` and `updates` the "
            f"same rank; received inputs of shape {inputs.data.shape}, start_indices {starts} and "
            f"updates of shape {updates.data.shape}."
        )
    # Starts are clipped so the block fits, as in Keras (jax.lax.dynamic_update_slice).
    starts = [min(max(s, 0), n - u) for s, n, u in zip(starts, inputs.data.shape, updates.data.shape)]
    block = tuple(slice(s, s + u) for s, u in zip(starts, updates.data.shape))
    out = inputs.data.copy()
    out[block] = updates.data

    def vjp(g):
        kept = g.copy()
        kept[block] = 0
        return kept, g[block]

    return record(out, (inputs, updates), vjp)


__all__ = ["scatter", "scatter_update", "slice_update"]
