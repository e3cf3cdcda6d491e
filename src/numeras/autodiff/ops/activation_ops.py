"""Activation primitives: one pass forward and one backward where the composite of generic ops
would make several temporaries (ELU, CELU, PReLU), and sparsemax, whose output needs a sort.

Each forward works on raw arrays and its ``vjp`` keeps only what the gradient formula needs.
Broadcasting (PReLU's ``alpha`` shared over axes) is undone by the backward pass, not here.
Gradients at the kinks follow JAX's rules, so they equal Keras's (JAX backend) element for element.
"""

from __future__ import annotations

from numeras.autodiff.ops._core import as_tensor, constant, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def _as_float(x) -> Tensor:
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        from numeras import backend

        return constant(x.data.astype(backend.floatx()))
    return x


def elu(x, alpha: float = 1.0) -> Tensor:
    """z = x for x > 0, alpha (e^x - 1) otherwise;  dx = g for x > 0, g (z + alpha) otherwise
    (alpha at x = 0, as JAX's ``nn.elu``)."""
    x = _as_float(x)
    a = x.data
    positive = a > 0
    z = xp.expm1(xp.minimum(a, 0))
    z *= alpha
    xp.copyto(z, a, where=positive)

    def vjp(g):
        dx = z + alpha
        dx *= g
        xp.copyto(dx, g, where=positive)
        return (dx,)

    return record(z, (x,), vjp)


def celu(x, alpha: float = 1.0) -> Tensor:
    """z = max(x, 0) + alpha (e^(min(x, 0) / alpha) - 1);
    dx = g for x > 0, g (z / alpha + 1) = g e^(x / alpha) otherwise (continuous: 1 at x = 0)."""
    x = _as_float(x)
    a = x.data
    positive = a > 0
    z = xp.expm1(xp.minimum(a, 0) / alpha)
    z *= alpha
    xp.copyto(z, a, where=positive)

    def vjp(g):
        dx = z / alpha
        dx += 1
        dx *= g
        xp.copyto(dx, g, where=positive)
        return (dx,)

    return record(z, (x,), vjp)


def prelu(x, alpha) -> Tensor:
    """Parametric ReLU, Keras's ``relu(x) - alpha * relu(-x)``: z = x for x > 0, alpha x for x < 0.

    ``alpha`` broadcasts against ``x`` (a per-feature slope, 1 along shared axes).
    dx = g for x > 0, g alpha for x < 0, 0 at x = 0 (ReLU's gradient is 0 at 0 on both sides);
    dalpha = g min(x, 0), summed over the axes ``alpha`` is broadcast along.
    """
    x = _as_float(x)
    alpha = as_tensor(alpha, x)
    a, slope = x.data, alpha.data
    negative_part = xp.minimum(a, 0)
    z = xp.maximum(a, 0)
    z += slope * negative_part
    need_alpha = alpha.requires_grad

    def vjp(g):
        dx = xp.where(a < 0, slope, 0).astype(g.dtype, copy=False)
        dx += a > 0
        dx *= g
        return dx, (g * negative_part if need_alpha else None)

    return record(z, (x, alpha), vjp)


def sparsemax(x, axis: int = -1) -> Tensor:
    """The Euclidean projection of each slice along ``axis`` onto the probability simplex
    (Martins and Astudillo, 2016): z = max(x - tau, 0) with tau chosen so that sum(z) = 1.

    With the slice sorted descending (s_1 >= s_2 >= ...), the support size is the largest k with
    1 + k s_k > s_1 + ... + s_k, and tau = (s_1 + ... + s_k - 1) / k.
    dx = g - mean of g over the support, on the support; 0 off it.
    """
    x = _as_float(x)
    a = x.data
    axis = axis % a.ndim if a.ndim else 0
    moved = xp.moveaxis(a, axis, -1)
    ordered = -xp.sort(-moved, axis=-1)
    running_sums = xp.cumsum(ordered, axis=-1)
    ranks = xp.arange(1, moved.shape[-1] + 1, dtype=a.dtype)
    support_size = xp.count_nonzero(1 + ranks * ordered > running_sums, axis=-1)[..., None]
    tau = xp.take_along_axis(running_sums, support_size - 1, axis=-1)
    tau -= 1
    tau /= support_size.astype(a.dtype)
    z = xp.maximum(moved - tau, 0)
    z = xp.ascontiguousarray(xp.moveaxis(z, -1, axis))

    def vjp(g):
        on_support = z > 0
        g_on_support = xp.where(on_support, g, 0)
        support_size = xp.count_nonzero(on_support, axis=axis, keepdims=True).astype(g.dtype)
        mean = g_on_support.sum(axis=axis, keepdims=True)
        mean /= support_size
        g_on_support -= mean
        g_on_support *= on_support
        return (g_on_support,)

    return record(z, (x,), vjp)
