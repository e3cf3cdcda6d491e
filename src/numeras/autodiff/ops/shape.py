"""Primitives that move entries without changing them: their VJPs move the gradient back."""

from __future__ import annotations

from collections.abc import Sequence

from numeras.autodiff.ops._core import as_tensor, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def reshape(x, newshape) -> Tensor:
    """z = x viewed with ``newshape`` (one entry may be -1);  dx = g reshaped to x's shape."""
    x = as_tensor(x)
    shape = x.data.shape
    if isinstance(newshape, int):
        newshape = (newshape,)
    newshape = tuple(-1 if n is None else int(n) for n in newshape)
    return record(x.data.reshape(newshape), (x,), lambda g: (g.reshape(shape),))


def transpose(x, axes=None) -> Tensor:
    """z = x with its axes permuted (reversed by default);  dx = g with the inverse permutation."""
    x = as_tensor(x)
    ndim = x.data.ndim
    axes = tuple(reversed(range(ndim))) if axes is None else tuple(a % ndim for a in axes)
    inverse = tuple(sorted(range(ndim), key=axes.__getitem__))
    return record(x.data.transpose(axes), (x,), lambda g: (g.transpose(inverse),))


def broadcast_to(x, shape) -> Tensor:
    """z = x repeated along broadcast axes;  dx = g, summed back by the backward pass."""
    x = as_tensor(x)
    return record(xp.broadcast_to(x.data, tuple(shape)), (x,), lambda g: (g,))


def _is_basic_index(key) -> bool:
    """Ints, slices, None and Ellipsis select each entry at most once (no scatter-add needed)."""
    keys = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in keys)


def getitem(x, key) -> Tensor:
    """z = x[key] for ints, slices, integer arrays or boolean masks;
    dx = zeros with g added at the selected positions (repeated indices add up)."""
    x = as_tensor(x)
    if isinstance(key, Tensor):
        key = key.data
    elif isinstance(key, tuple):
        key = tuple(k.data if isinstance(k, Tensor) else k for k in key)
    elif isinstance(key, list):
        key = xp.asarray(key)
    shape, dtype = x.data.shape, x.data.dtype
    basic = _is_basic_index(key)

    def vjp(g):
        dx = xp.zeros(shape, dtype=dtype)
        if basic:
            dx[key] = g
        else:
            xp.add.at(dx, key, g)
        return (dx,)

    return record(x.data[key], (x,), vjp)


def concatenate(xs: Sequence, axis: int = 0) -> Tensor:
    """z = the inputs joined along ``axis``;  dx_i = the slice of g that came from x_i."""
    tensors = tuple(as_tensor(t) for t in xs)
    if not tensors:
        raise ValueError("concatenate: `xs` must hold at least one tensor, received an empty sequence.")
    data = xp.concatenate([t.data for t in tensors], axis=axis)
    bounds = xp.cumsum([t.data.shape[axis] for t in tensors])[:-1]

    def vjp(g):
        return tuple(xp.split(g, bounds, axis=axis))

    return record(data, tensors, vjp)


def pad(x, pad_width, mode: str = "constant", constant_values=0) -> Tensor:
    """z = x surrounded by ``constant_values``;  dx = the part of g where x was placed."""
    x = as_tensor(x)
    if mode != "constant":
        raise NotImplementedError(
            f"pad: only mode='constant' is differentiable in numeras, received mode={mode!r}."
        )
    # One (before, after) pair per axis, broadcast as NumPy does: 1, (1, 2) and ((1, 2),) pad every axis.
    widths = xp.broadcast_to(xp.asarray(pad_width, dtype=int), (x.data.ndim, 2))
    inner = tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, x.data.shape))
    data = xp.pad(x.data, widths, mode="constant", constant_values=constant_values)
    return record(data, (x,), lambda g: (g[inner],))


def take_along_axis(x, indices, axis=None) -> Tensor:
    """z = entries of x picked by ``indices`` along ``axis``;  dx = g scattered back (adding)."""
    x = as_tensor(x)
    idx = indices.data if isinstance(indices, Tensor) else xp.asarray(indices)
    shape, dtype = x.data.shape, x.data.dtype

    def vjp(g):
        dx = xp.zeros(shape, dtype=dtype)
        _add_along_axis(dx, idx, g, axis)
        return (dx,)

    return record(xp.take_along_axis(x.data, idx, axis=axis), (x,), vjp)


def _add_along_axis(dx, idx, g, axis) -> None:
    if axis is None:
        xp.add.at(dx.reshape(-1), idx.reshape(-1), g.reshape(-1))
        return
    axis = axis % dx.ndim
    grids = list(xp.indices(idx.shape, sparse=True))
    grids[axis] = idx
    xp.add.at(dx, tuple(grids), g)
