"""Layer normalization as one fused primitive (Ba et al., 2016), Keras 3's ``ops.layer_normalization``.

Each sample is normalized over the ``axes`` (N entries), with its own statistics:

    mean = sum(x) / N,   var = sum((x - mean)^2) / N,   inv = 1 / sqrt(var + eps)
    u = (x - mean) * inv                       (u = x * inv with Keras's deprecated rms_scaling)
    y = gamma * u + beta

The VJP, gradients flowing through the sample's statistics (gx = g * gamma, means over the axes):

    dbeta  = sum of g over the other axes,    dgamma = sum of g * u over the other axes
    dx     = inv * (gx - mean(gx) - xhat * mean(gx * xhat))       xhat = (x - mean) * inv
    dx     = inv * (gx - xhat * mean(gx * u))                     with rms_scaling (x not centred)
"""

from __future__ import annotations

import math

from numeras.autodiff.ops._core import as_tensor, constant, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def normalized_axes(axis, ndim: int) -> tuple[int, ...]:
    """``axis`` (an int or a sequence of ints, negative counting from the end) as sorted,
    non-negative axes of an ``ndim``-dimensional input; a clear error when one is out of range."""
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    for a in axes:
        if not isinstance(a, int) or isinstance(a, bool) or not -ndim <= a < ndim:
            raise ValueError(
                f"layer_normalization: `axis` must hold ints in [{-ndim}, {ndim}) for an input of rank "
                f"{ndim}, received axis={axis!r}."
            )
    return tuple(sorted({a % ndim for a in axes}))


def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon: float = 1e-3, rms_scaling: bool = False) -> Tensor:
    """Normalize ``x`` over ``axis`` (one or several axes) per sample, then scale by ``gamma`` and
    shift by ``beta`` (each None or of the normalized axes' shape). Computes in at least float32
    and returns ``x``'s dtype, as Keras; with ``rms_scaling`` there is no centring and no beta."""
    x = as_tensor(x)
    a = x.data
    original_dtype = a.dtype
    if a.dtype.kind != "f" or a.dtype.itemsize < 4:
        a = a.astype(xp.float32)
        x = constant(a) if original_dtype.kind != "f" else x
    ndim = a.ndim
    axes = normalized_axes(axis, ndim)
    other_axes = tuple(i for i in range(ndim) if i not in axes)
    count = math.prod(a.shape[i] for i in axes)
    kept = tuple(a.shape[i] if i in axes else 1 for i in range(ndim))
    param_shape = tuple(a.shape[i] for i in axes)
    gamma_t = None if gamma is None else as_tensor(gamma)
    beta_t = None if beta is None or rms_scaling else as_tensor(beta)
    for label, param in (("gamma", gamma_t), ("beta", beta_t)):
        if param is not None and param.data.size != count:
            raise ValueError(
                f"layer_normalization: `{label}` must have the normalized axes' shape {param_shape}, "
                f"received shape {tuple(param.data.shape)}."
            )

    mean = a.mean(axis=axes, keepdims=True)
    xhat = a - mean
    variance = xp.square(xhat).mean(axis=axes, keepdims=True)
    inv = variance
    inv += xp.asarray(epsilon, dtype=a.dtype)
    xp.sqrt(inv, out=inv)
    xp.divide(1.0, inv, out=inv)
    xhat *= inv
    normalized = a * inv if rms_scaling else xhat
    gamma_b = None if gamma_t is None else gamma_t.data.astype(a.dtype, copy=False).reshape(kept)
    y = normalized * gamma_b if gamma_b is not None else normalized.copy()
    if beta_t is not None:
        y += beta_t.data.astype(a.dtype, copy=False).reshape(kept)
    if y.dtype != original_dtype and original_dtype.kind == "f":
        y = y.astype(original_dtype)
    parents = tuple(t for t in (x, gamma_t, beta_t) if t is not None)
    need_x = x.requires_grad  # as recorded now (a tape's watch ends with its block)

    def vjp(g):
        g = g.astype(a.dtype, copy=False)
        grads = []
        if need_x:
            gx = g * gamma_b if gamma_b is not None else g.copy()
            projection = (gx * normalized).sum(axis=axes, keepdims=True)
            projection /= count
            if not rms_scaling:
                gx -= gx.sum(axis=axes, keepdims=True) / count
            gx -= xhat * projection
            gx *= inv
            grads.append(gx.astype(original_dtype, copy=False) if original_dtype.kind == "f" else gx)
        else:
            grads.append(None)
        if gamma_t is not None:
            dgamma = (g * normalized).sum(axis=other_axes) if other_axes else g * normalized
            grads.append(dgamma.reshape(gamma_t.data.shape).astype(gamma_t.data.dtype, copy=False))
        if beta_t is not None:
            dbeta = g.sum(axis=other_axes) if other_axes else g
            grads.append(dbeta.reshape(beta_t.data.shape).astype(beta_t.data.dtype, copy=False))
        return tuple(grads)

    return record(y, parents, vjp)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs) -> Tensor:
    """Keras 3's ``ops.layer_normalization``: ``layer_norm`` with ``epsilon`` defaulting to the
    fuzz factor ``numeras.backend.epsilon()`` (1e-7), and the deprecated ``rms_scaling`` keyword."""
    rms_scaling = bool(kwargs.pop("rms_scaling", False))
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected keyword argument(s) {sorted(kwargs)}.")
    if epsilon is None:
        from numeras import backend

        epsilon = backend.epsilon()
    return layer_norm(x, gamma, beta, axis=axis, epsilon=epsilon, rms_scaling=rms_scaling)
