"""Batch normalization: a fused training primitive and Keras's ``moments`` /
``batch_normalization`` ops.

Training (statistics of the batch, over every axis but the feature axis, N entries each):

    mean = sum(x) / N,   var = sum((x - mean)^2) / N,   xhat = (x - mean) / sqrt(var + eps)
    y = gamma * xhat + beta

Its VJP, with gradients flowing through the batch statistics:

    dbeta = sum(g),   dgamma = sum(g * xhat),
    dx = gamma / sqrt(var + eps) * (g - dbeta / N - xhat * dgamma / N)

Masked training (Keras 3's ``BatchNormalization(mask=...)``): w is 1 where the mask counts an
entry and 0 elsewhere, n = sum(w) per feature and D = n + c with c Keras's fuzz factor
(``backend.epsilon()``, 1e-7), which Keras adds so that a feature with no counted entry divides by c:

    mean = sum(w x) / D,   var = sum(w (x - mean)^2) / D,   y = gamma * xhat + beta  (every entry)

Its VJP (s = 1 / sqrt(var + eps); sum(w xhat) = s * c * mean is not zero, hence its term):

    dbeta = sum(g),   dgamma = sum(g * xhat),
    dx = gamma * s * (g - w * (xhat * dgamma / D + (dbeta - dgamma * sum(w xhat) / D) / D))
"""

from __future__ import annotations

import math

from numeras.autodiff.ops._core import as_tensor, constant, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def _reduction_axes(ndim: int, axis: int) -> tuple[int, ...]:
    axis = axis % ndim
    return tuple(i for i in range(ndim) if i != axis)


def _float_input(x) -> tuple[Tensor, object]:
    """``x`` as a tensor and its data, integers cast to floatx (then a constant: no gradient)."""
    x = as_tensor(x)
    a = x.data
    if a.dtype.kind != "f":
        from numeras import backend

        a = a.astype(backend.floatx())
        x = constant(a)
    return x, a


def _normalize(centred, variance, epsilon: float, gamma, beta, kept: tuple):
    """xhat = centred / sqrt(variance + epsilon), in place (``centred`` = x - mean becomes xhat),
    and y = gamma * xhat + beta (either optional): (xhat, inv_std, gamma tensor or None, beta
    tensor or None, y)."""
    xhat = centred
    inv_std = 1.0 / xp.sqrt(variance + xp.asarray(epsilon, dtype=centred.dtype))
    xhat *= inv_std
    gamma_t = None if gamma is None else as_tensor(gamma)
    beta_t = None if beta is None else as_tensor(beta)
    y = xhat * gamma_t.data.reshape(kept) if gamma_t is not None else xhat.copy()
    if beta_t is not None:
        y += beta_t.data.reshape(kept)
    return xhat, inv_std, gamma_t, beta_t, y


def _gradients(dx, dgamma, dbeta, gamma_t, beta_t) -> tuple:
    """The VJP's result: dx, then dgamma and dbeta for the parameters that were given."""
    grads = [dx]
    if gamma_t is not None:
        grads.append(dgamma.reshape(gamma_t.data.shape))
    if beta_t is not None:
        grads.append(dbeta.reshape(beta_t.data.shape))
    return tuple(grads)


def batch_norm_train(x, gamma=None, beta=None, axis: int = -1, epsilon: float = 1e-3):
    """Normalize ``x`` with its own batch statistics: returns ``(y, mean, variance)``, where
    ``y`` is recorded for differentiation (w.r.t. x, gamma, beta) and ``mean`` / ``variance``
    are plain arrays of shape (features,) for the moving averages (the population variance,
    as Keras)."""
    x, a = _float_input(x)
    ndim = a.ndim
    axes = _reduction_axes(ndim, axis)
    count = math.prod(a.shape[i] for i in axes)
    kept = tuple(a.shape[i] if i == axis % ndim else 1 for i in range(ndim))
    mean = a.mean(axis=axes, keepdims=True)
    centred = a - mean
    variance = xp.square(centred).mean(axis=axes, keepdims=True)
    xhat, inv_std, gamma_t, beta_t, y = _normalize(centred, variance, epsilon, gamma, beta, kept)
    parents = tuple(t for t in (x, gamma_t, beta_t) if t is not None)
    need_x = x.requires_grad  # as recorded now (a tape's watch ends with its block)

    def vjp(g):
        dbeta = g.sum(axis=axes, keepdims=True)
        dgamma = (g * xhat).sum(axis=axes, keepdims=True)
        dx = None
        if need_x:
            scale = inv_std if gamma_t is None else inv_std * gamma_t.data.reshape(kept)
            dx = xhat * (dgamma / count)
            dx += dbeta / count
            xp.subtract(g, dx, out=dx)
            dx *= scale
        return _gradients(dx, dgamma, dbeta, gamma_t, beta_t)

    return record(y, parents, vjp), mean.reshape(-1), variance.reshape(-1)


def _weighted_sum(values, weights, axes: tuple[int, ...], kept: tuple[int, ...]):
    """sum(weights * values) over ``axes``, shaped ``kept``; ``weights`` broadcasts against
    ``values``. Features last with one weight per position (the usual mask): one matrix-vector
    product, without a (positions, features) temporary."""
    if len(axes) == values.ndim - 1 and axes == tuple(range(values.ndim - 1)) and weights.shape[-1] == 1:
        positions = xp.broadcast_to(weights, values.shape[:-1] + (1,)).reshape(-1)
        return (positions @ values.reshape(positions.shape[0], values.shape[-1])).reshape(kept)
    return xp.multiply(values, weights).sum(axis=axes, keepdims=True)


def masked_batch_norm_train(x, mask, gamma=None, beta=None, axis: int = -1, epsilon: float = 1e-3,
                            count_epsilon: float = 1e-7):
    """``batch_norm_train`` with the statistics taken over the entries where ``mask`` is true
    (Keras 3's masked moments; every entry is still normalized). ``mask``: an array of x's rank
    that broadcasts against ``x`` (nonzero counts); it is not differentiated. ``count_epsilon``
    is added to each feature's count before dividing (Keras's ``backend.epsilon()``). Returns
    ``(y, mean, variance)`` as ``batch_norm_train``; the formulas are in the module docstring."""
    x, a = _float_input(x)
    ndim = a.ndim
    mask = xp.asarray(mask)
    if mask.ndim != ndim or xp.broadcast_shapes(mask.shape, a.shape) != a.shape:
        raise ValueError(
            f"masked_batch_norm_train: `mask` must have the rank of `x` and broadcast against it, "
            f"received mask of shape {mask.shape} for x of shape {a.shape}. Give the mask a size-1 "
            "axis where it is the same for every entry (e.g. mask[..., None] for features last)."
        )
    weights = (mask if mask.dtype == bool else mask != 0).astype(a.dtype)
    axes = _reduction_axes(ndim, axis)
    feature_axis = axis % ndim
    kept = tuple(a.shape[i] if i == feature_axis else 1 for i in range(ndim))
    # Entries counted per feature: the mask's own sum, times the axes it is broadcast along.
    count = weights.sum(axis=axes, keepdims=True)
    count *= math.prod(a.shape[i] for i in axes if weights.shape[i] == 1)
    count = xp.broadcast_to(count, kept)
    denominator = count + xp.asarray(count_epsilon, dtype=a.dtype)
    mean = _weighted_sum(a, weights, axes, kept) / denominator
    centred = a - mean
    variance = _weighted_sum(xp.square(centred), weights, axes, kept) / denominator
    xhat, inv_std, gamma_t, beta_t, y = _normalize(centred, variance, epsilon, gamma, beta, kept)
    parents = tuple(t for t in (x, gamma_t, beta_t) if t is not None)
    need_x = x.requires_grad  # as recorded now (a tape's watch ends with its block)

    def vjp(g):
        dbeta = g.sum(axis=axes, keepdims=True)
        dgamma = (g * xhat).sum(axis=axes, keepdims=True)
        dx = None
        if need_x:
            scale = inv_std if gamma_t is None else inv_std * gamma_t.data.reshape(kept)
            # d mean / d x = w / D and d var / d x = 2 w (x - mean) / D, plus var's dependence on mean.
            xhat_coefficient = dgamma / denominator
            # sum(w xhat) is s * c * mean in exact arithmetic; summing the xhat the forward computed
            # keeps it consistent with them (one counted entry: xhat is all rounding, and cancels).
            counted_xhat = _weighted_sum(xhat, weights, axes, kept)
            offset = (dbeta - dgamma * counted_xhat / denominator) / denominator
            dx = xhat * xhat_coefficient
            dx += offset
            dx *= weights
            xp.subtract(g, dx, out=dx)
            dx *= scale
        return _gradients(dx, dgamma, dbeta, gamma_t, beta_t)

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
