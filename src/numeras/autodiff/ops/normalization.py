"""Batch normalization: a fused training primitive and Keras's ``moments`` /
``batch_normalization`` ops.

Training (statistics of the batch, over every axis but the feature axis, N entries each):

    mean = sum(x) / N,   var = sum((x - mean)^2) / N,   xhat = (x - mean) / sqrt(var + eps)
    y = gamma * xhat + beta

Its VJP, with gradients flowing through the batch statistics:

    dbeta = sum(g),   dgamma = sum(g * xhat),
    dx = gamma / sqrt(var + eps) * (g - dbeta / N - xhat * dgamma / N)
"""

from __future__ import annotations

import math

from numeras.autodiff.ops._core import as_tensor, constant, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def _reduction_axes(ndim: int, axis: int) -> tuple[int, ...]:
    axis = axis % ndim
    return tuple(i for i in range(ndim) if i != axis)


def batch_norm_train(x, gamma=None, beta=None, axis: int = -1, epsilon: float = 1e-3):
    """Normalize ``x`` with its own batch statistics: returns ``(y, mean, variance)``, where
    ``y`` is recorded for differentiation (w.r.t. x, gamma, beta) and ``mean`` / ``variance``
    are plain arrays of shape (features,) for the moving averages (the population variance,
    as Keras)."""
    x = as_tensor(x)
    a = x.data
    if a.dtype.kind != "f":
        from numeras import backend

        a = a.astype(backend.floatx())
        x = constant(a)
    ndim = a.ndim
    axes = _reduction_axes(ndim, axis)
    count = math.prod(a.shape[i] for i in axes)
    kept = tuple(a.shape[i] if i == axis % ndim else 1 for i in range(ndim))
    mean = a.mean(axis=axes, keepdims=True)
    centred = a - mean
    variance = xp.square(centred).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / xp.sqrt(variance + xp.asarray(epsilon, dtype=a.dtype))
    xhat = centred
    xhat *= inv_std
    gamma_t = None if gamma is None else as_tensor(gamma)
    beta_t = None if beta is None else as_tensor(beta)
    y = xhat * gamma_t.data.reshape(kept) if gamma_t is not None else xhat.copy()
    if beta_t is not None:
        y += beta_t.data.reshape(kept)
    parents = tuple(t for t in (x, gamma_t, beta_t) if t is not None)
    need_x = x.requires_grad  # as recorded now (a tape's watch ends with its block)

    def vjp(g):
        dbeta = g.sum(axis=axes, keepdims=True)
        dgamma = (g * xhat).sum(axis=axes, keepdims=True)
        grads = []
        if need_x:
            scale = inv_std if gamma_t is None else inv_std * gamma_t.data.reshape(kept)
            dx = xhat * (dgamma / count)
            dx += dbeta / count
            xp.subtract(g, dx, out=dx)
            dx *= scale
            grads.append(dx)
        else:
            grads.append(None)
        if gamma_t is not None:
            grads.append(dgamma.reshape(gamma_t.data.shape))
        if beta_t is not None:
            grads.append(dbeta.reshape(beta_t.data.shape))
        return tuple(grads)

    return record(y, parents, vjp), mean.reshape(-1), variance.reshape(-1)


def moments(x, axes, keepdims: bool = False, synchronized: bool = False) -> tuple[Tensor, Tensor]:
    """Mean and (population) variance of ``x`` over ``axes``, differentiable (Keras's ``ops.moments``)."""
    from numeras.autodiff import composites as F

    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    mean = F.mean(x, axis=axes, keepdims=True)
    variance = F.mean(F.square(x - F.stop_gradient(mean)), axis=axes, keepdims=True)
    # The variance's gradient through the mean is zero (sum of centred values is 0), so stopping it is exact.
    if not keepdims:
        mean, variance = F.squeeze(mean, axis=axes), F.squeeze(variance, axis=axes)
    return mean, variance


def batch_normalization(x, mean, variance, axis: int, offset=None, scale=None, epsilon: float = 1e-3) -> Tensor:
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, with the statistics given per feature
    along ``axis`` (Keras's ``ops.batch_normalization``)."""
    from numeras.autodiff import composites as F

    x = as_tensor(x)
    ndim = x.ndim
    axis = axis % ndim

    def along_axis(v):
        v = as_tensor(v, x)
        if v.ndim == 1:
            return F.reshape(v, tuple(-1 if i == axis else 1 for i in range(ndim)))
        return v

    inv = F.divide(1.0, F.sqrt(along_axis(variance) + epsilon))
    if scale is not None:
        inv = inv * along_axis(scale)
    out = (x - along_axis(mean)) * inv
    if offset is not None:
        out = out + along_axis(offset)
    return out
