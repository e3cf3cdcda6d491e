"""The MPI collectives data-parallel training needs, each shaped so a step pays as little as
possible: gradients summed with one ``Allreduce`` on one contiguous buffer per dtype (in place
when the gradients already live in one flat buffer, as the trainer's do), metric state summed
before a result is read, weights broadcast from rank 0, predictions gathered back into the
input's order, and each process's contiguous slice of a global batch.

Why one buffer: an ``Allreduce`` costs a latency ``α`` (tens of microseconds between machines)
plus ``n·β`` for its bytes. One call per variable pays ``α`` per variable; one call on the
concatenation pays it once. PyTorch DDP splits that buffer into ~25 MB buckets to overlap the
reduction with the backward pass; numeras's backward is one NumPy thread of work and the seed
models' gradients are a few hundred kilobytes, so a bucket would add calls without hiding any
(see BENCHMARKS.md, "Data-parallel training").
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def shard_bounds(length: int, rank: int, size: int) -> tuple[int, int]:
    """The contiguous rows ``[start, stop)`` of a global batch of ``length`` rows that process
    ``rank`` of ``size`` takes: sizes differ by at most one, lower ranks take the extra rows."""
    base, extra = divmod(length, size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def batch_length(batch: Any) -> int:
    """The number of samples in a packed batch (the length of its first array)."""
    if isinstance(batch, Mapping):
        for key in batch:
            found = batch_length(batch[key])
            if found >= 0:
                return found
        return -1
    if isinstance(batch, (list, tuple)):
        for item in batch:
            found = batch_length(item)
            if found >= 0:
                return found
        return -1
    if batch is None:
        return -1
    return len(batch)


def slice_batch(batch: Any, start: int, stop: int) -> Any:
    """``batch`` with every array cut to rows ``[start, stop)`` (views, no copy), structure kept."""
    if batch is None:
        return None
    if isinstance(batch, Mapping):
        return {key: slice_batch(value, start, stop) for key, value in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(slice_batch(item, start, stop) for item in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(slice_batch(item, start, stop) for item in batch)
    return batch[start:stop]


class GradientReducer:
    """Sums lists of arrays over the processes of ``comm``, each scaled first by ``scale``:
    ``Σ_ranks scale_r · arrays_r``. One ``Allreduce`` per dtype present (one in practice).

    Fast path: when the arrays are consecutive views of one flat 1-D buffer (the trainer's
    gradient buffers are), that buffer is scaled and reduced in place: no copy at all. Otherwise
    they are copied (scaled on the way) into a flat buffer kept between calls. ``seconds`` and
    ``calls`` add up the time spent inside ``Allreduce``, for the benchmark.
    """

    def __init__(self, comm: Any) -> None:
        self.comm = comm
        self.seconds = 0.0
        self.calls = 0
        self._layout_key: tuple | None = None
        self._buffers: dict = {}
        self._views: list = []

    def reduce(self, arrays: Sequence[Any], scale: float = 1.0) -> list:
        """The reduced arrays (``None`` entries stay ``None``). The result may share memory with
        the input (fast path) or with this reducer's buffer (valid until the next call)."""
        flat = _common_flat_base(arrays)
        if flat is not None:
            if scale != 1.0:
                np.multiply(flat, flat.dtype.type(scale), out=flat)
            self._allreduce(flat)
            return list(arrays)
        views = self._layout(arrays)
        scale_by = None if scale == 1.0 else scale
        for array, view in zip(arrays, views):
            if array is None:
                continue
            if scale_by is None:
                np.copyto(view, array, casting="unsafe")
            else:
                np.multiply(array, view.dtype.type(scale_by), out=view, casting="unsafe")
        for buffer in self._buffers.values():
            self._allreduce(buffer)
        return [None if array is None else view for array, view in zip(arrays, views)]

    def _allreduce(self, buffer: np.ndarray) -> None:
        from numeras.distribution._mpi import mpi

        started = time.perf_counter()
        self.comm.Allreduce(mpi().IN_PLACE, buffer)
        self.seconds += time.perf_counter() - started
        self.calls += 1

    def _layout(self, arrays: Sequence[Any]) -> list:
        key = tuple(None if a is None else (a.shape, a.dtype.str) for a in arrays)
        if key == self._layout_key:
            return self._views
        sizes: dict = {}
        for entry in key:
            if entry is not None:
                dtype = np.dtype(entry[1])
                sizes[dtype] = sizes.get(dtype, 0) + int(np.prod(entry[0], dtype=np.int64))
        self._buffers = {dtype: np.zeros(size, dtype=dtype) for dtype, size in sizes.items()}
        offsets = dict.fromkeys(self._buffers, 0)
        views = []
        for entry in key:
            if entry is None:
                views.append(None)
                continue
            shape, dtype = entry[0], np.dtype(entry[1])
            size = int(np.prod(shape, dtype=np.int64))
            start = offsets[dtype]
            offsets[dtype] = start + size
            views.append(self._buffers[dtype][start : start + size].reshape(shape))
        self._layout_key, self._views = key, views
        return views


def _common_flat_base(arrays: Sequence[Any]) -> np.ndarray | None:
    """The 1-D contiguous buffer that ``arrays`` exactly tile, in order, or ``None``."""
    if not arrays or any(type(a) is not np.ndarray for a in arrays):
        return None
    base = arrays[0].base
    if base is None or type(base) is not np.ndarray or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    if not base.flags.writeable or base.dtype.kind != "f":
        return None
    address = base.__array_interface__["data"][0]
    itemsize = base.itemsize
    for array in arrays:
        if array.base is not base or array.dtype != base.dtype or not array.flags.c_contiguous:
            return None
        if array.__array_interface__["data"][0] != address:
            return None
        address += array.size * itemsize
    if address != base.__array_interface__["data"][0] + base.size * itemsize:
        return None
    return base


def reduce_metric_state(comm: Any, variables: Sequence[Any]) -> list:
    """Sum the state Variables of metrics over the processes, in place; returns the local values
    to put back with ``restore_metric_state``. Every Keras metric keeps additive state (totals,
    counts, confusion counts), so the sum is the state of one metric that saw every sample; the
    sum is taken in float64 so counts stay exact."""
    from numeras.distribution._mpi import mpi

    local = [v.data.copy() for v in variables]
    if not variables:
        return local
    flat = np.concatenate([np.asarray(v.data, dtype=np.float64).ravel() for v in variables])
    comm.Allreduce(mpi().IN_PLACE, flat)
    offset = 0
    for v in variables:
        size = v.data.size
        np.copyto(v.data, flat[offset : offset + size].reshape(v.data.shape), casting="unsafe")
        offset += size
    return local


def restore_metric_state(variables: Sequence[Any], local: Sequence[np.ndarray]) -> None:
    for v, value in zip(variables, local):
        np.copyto(v.data, value)


def broadcast_arrays(comm: Any, arrays: Sequence[np.ndarray], root: int = 0) -> None:
    """Overwrite ``arrays`` on every process with root's values, in place. Arrays of one dtype
    travel together in one ``Bcast``."""
    by_dtype: dict = {}
    for array in arrays:
        by_dtype.setdefault(array.dtype, []).append(array)
    for group in by_dtype.values():
        flat = np.concatenate([a.ravel() for a in group]) if comm.rank == root else np.empty(
            sum(a.size for a in group), dtype=group[0].dtype
        )
        comm.Bcast(flat, root=root)
        offset = 0
        for array in group:
            array[...] = flat[offset : offset + array.size].reshape(array.shape)
            offset += array.size


def gather_in_order(comm: Any, local: np.ndarray, batch_lengths: Sequence[int]) -> np.ndarray:
    """Rows every process computed for its slices of the global batches (``batch_lengths``, in
    order), put back in the order of the global data, on every process."""
    pieces = comm.allgather(local)
    total = int(sum(batch_lengths))
    out = np.empty((total, *local.shape[1:]), dtype=local.dtype)
    size = comm.size
    for rank, piece in enumerate(pieces):
        position = 0
        batch_start = 0
        for length in batch_lengths:
            start, stop = shard_bounds(length, rank, size)
            count = stop - start
            out[batch_start + start : batch_start + stop] = piece[position : position + count]
            position += count
            batch_start += length
    return out
