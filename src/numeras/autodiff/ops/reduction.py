"""Reductions with their own VJPs: ``sum`` and ``max`` (``min``, ``mean``, ``var`` are composites)."""

from __future__ import annotations

from numeras.autodiff.ops._core import as_tensor, constant, normalize_axis, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp
from numeras.backend.dtypes import sum_result_type


def _kept_shape(shape: tuple, axis) -> tuple:
    """``shape`` with the reduced axes set to 1, so a reduced gradient broadcasts back."""
    if axis is None:
        return (1,) * len(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def sum(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """z = sum of x over ``axis``;  dx = g broadcast back over the summed axes."""
    x = as_tensor(x)
    a = x.data
    axis = normalize_axis(axis, a.ndim)
    shape, kept = a.shape, _kept_shape(a.shape, axis)
    if a.dtype.kind in "f":
        out = a.sum(axis=axis, keepdims=keepdims)
    else:  # bools and narrow ints add up in int32 (uint32), as in Keras
        out = a.sum(axis=axis, keepdims=keepdims, dtype=sum_result_type(a.dtype))

    def vjp(g):
        return (_spread(g.reshape(kept), shape),)

    return record(xp.asarray(out), (x,), vjp)


def _spread(g, shape: tuple):
    """``g`` broadcast to ``shape``: a read-only view for large shapes; a small array filled in
    two C calls for small ones (``broadcast_to`` costs ~3 us of Python, once per loss)."""
    if _size(shape) > 65536:
        return xp.broadcast_to(g, shape)
    out = xp.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


def _size(shape: tuple) -> int:
    n = 1
    for k in shape:
        n *= k
    return n


def max(x, axis=None, keepdims: bool = False, initial=None) -> Tensor:  # noqa: A001
    """z = max of x over ``axis``;  dx = g shared equally among the entries equal to the maximum."""
    x = as_tensor(x)
    a = x.data
    axis = normalize_axis(axis, a.ndim)
    kept_out = a.max(axis=axis, keepdims=True, initial=initial)
    if keepdims:
        out = kept_out
    else:
        out = kept_out.reshape(()) if axis is None else xp.squeeze(kept_out, axis=axis)

    def vjp(g):
        is_max = a == kept_out
        # With an `initial` above every entry nothing is the maximum: divide by 1, not 0.
        share = is_max / xp.maximum(is_max.sum(axis=axis, keepdims=True), 1)
        return (g.reshape(kept_out.shape) * share.astype(a.dtype, copy=False),)

    return record(xp.asarray(out), (x,), vjp)


def argmax(x, axis=None, keepdims: bool = False) -> Tensor:
    """Index (int32, as Keras) of the largest entry along ``axis`` (not differentiable)."""
    return constant(xp.argmax(as_tensor(x).data, axis=axis, keepdims=keepdims).astype(xp.int32))


def argmin(x, axis=None, keepdims: bool = False) -> Tensor:
    """Index (int32, as Keras) of the smallest entry along ``axis`` (not differentiable)."""
    return constant(xp.argmin(as_tensor(x).data, axis=axis, keepdims=keepdims).astype(xp.int32))
