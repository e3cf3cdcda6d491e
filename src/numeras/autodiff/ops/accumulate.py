"""Running sums and products (``cumsum``, ``cumprod``) and the product reduction ``prod``.

Their VJPs are exact where inputs are zero: they never divide by x. The products of "all the
other entries" come from exclusive running products taken from both ends.
"""

from __future__ import annotations

from numeras.autodiff.ops._core import as_tensor, normalize_axis, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import standardize_dtype, xp
from numeras.backend.dtypes import sum_result_type


def _scan_input(x, axis, dtype):
    """x (flattened when ``axis`` is None) in the dtype a running sum or product keeps: its own,
    bools as int32, or ``dtype`` when given."""
    x = as_tensor(x)
    if axis is None:
        from numeras.autodiff.ops.shape import reshape

        x, axis = reshape(x, (-1,)), 0
    if dtype is not None:
        target = xp.dtype(standardize_dtype(dtype))
    elif x.data.dtype.kind == "b":
        target = xp.dtype(sum_result_type("bool"))
    else:
        target = x.data.dtype
    if target != x.data.dtype:
        from numeras.autodiff.ops.elementwise import cast

        x = cast(x, target)
    return x, axis % max(x.data.ndim, 1)


def _reverse_cumsum(g, axis: int):
    return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis)


def cumsum(x, axis=None, dtype=None) -> Tensor:
    """z_i = x_0 + ... + x_i along ``axis`` (of the flattened x when None);
    dx_i = g_i + ... + g_last (the running sum of g from the far end)."""
    x, axis = _scan_input(x, axis, dtype)
    return record(xp.cumsum(x.data, axis=axis, dtype=x.data.dtype), (x,), lambda g: (_reverse_cumsum(g, axis),))


def _exclusive_cumprod(a, axis: int):
    """e_i = x_0 * ... * x_(i-1) along ``axis`` (1 for the first), with no division."""
    out = xp.ones_like(a)
    lead = (slice(None),) * axis
    if a.shape[axis] > 1:
        xp.cumprod(a[lead + (slice(None, -1),)], axis=axis, out=out[lead + (slice(1, None),)])
    return out


def cumprod(x, axis=None, dtype=None) -> Tensor:
    """z_i = x_0 * ... * x_i along ``axis``;  dx_i = e_i * s_i with e_i = x_0 ... x_(i-1) and
    s_i = g_i + x_(i+1) s_(i+1) (s_last = g_last): the sum over j >= i of g_j times the
    product of the x_k, k <= j, other than x_i, with no division by x."""
    x, axis = _scan_input(x, axis, dtype)
    a = x.data

    def vjp(g):
        length = a.shape[axis]
        moved_g = xp.moveaxis(g, axis, 0)
        moved_a = xp.moveaxis(a, axis, 0)
        s = xp.empty_like(moved_g)
        s[length - 1] = moved_g[length - 1]
        for i in range(length - 2, -1, -1):  # one vectorised step per position along the axis
            s[i] = moved_g[i] + moved_a[i + 1] * s[i + 1]
        return (_exclusive_cumprod(a, axis) * xp.moveaxis(s, 0, axis),)

    return record(xp.cumprod(a, axis=axis, dtype=a.dtype), (x,), vjp)


def prod(x, axis=None, keepdims: bool = False, dtype=None) -> Tensor:
    """z = the product of x over ``axis``;  dx = g times the product of the other entries of
    each reduced group (exclusive running products from both ends: exact where x has zeros).
    Bools and ints narrower than 32 bits multiply in int32 (uint32), as Keras."""
    x = as_tensor(x)
    target = xp.dtype(standardize_dtype(dtype) if dtype is not None else sum_result_type(x.data.dtype))
    if target != x.data.dtype:
        from numeras.autodiff.ops.elementwise import cast

        x = cast(x, target)
    a = x.data
    axis = normalize_axis(axis, a.ndim)
    out = xp.asarray(xp.prod(a, axis=axis, keepdims=keepdims, dtype=a.dtype))
    if a.ndim == 0:
        return record(out, (x,), lambda g: (g,))
    reduced = tuple(range(a.ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    kept = tuple(i for i in range(a.ndim) if i not in reduced)

    def vjp(g):
        order = kept + reduced
        grouped = a.transpose(order).reshape([a.shape[i] for i in kept] + [-1])
        others = _exclusive_cumprod(grouped, grouped.ndim - 1)
        others *= xp.flip(_exclusive_cumprod(xp.flip(grouped, -1), grouped.ndim - 1), -1)
        g_kept = xp.reshape(g, [a.shape[i] for i in kept] + [1])
        dx = (others * g_kept).reshape([a.shape[i] for i in order])
        return (dx.transpose(xp.argsort(order)),)

    return record(out, (x,), vjp)


__all__ = ["cumsum", "cumprod", "prod"]
