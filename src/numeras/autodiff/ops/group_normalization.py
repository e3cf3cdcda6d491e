"""Group normalization (Wu and He, 2018) as one fused primitive.

The C channels on ``axis`` are split into G groups of C / G; each sample's group is normalized
with its own statistics (over the group's channels and every other non-batch axis, N entries):

    mean = sum(x) / N,   var = sum((x - mean)^2) / N,   xhat = (x - mean) / sqrt(var + eps)
    y = gamma * xhat + beta            (gamma, beta: one per channel)

Its VJP, with gradients flowing through the statistics (sums over the same N entries):

    dbeta = sum over batch and positions of g,   dgamma = the same sum of g * xhat,
    dxhat = g * gamma,   dx = (dxhat - sum(dxhat) / N - xhat * sum(dxhat * xhat) / N) / sqrt(var + eps)
"""

from __future__ import annotations

from numeras.autodiff.ops._core import as_tensor, constant, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def group_norm(x, gamma=None, beta=None, groups: int = 32, axis: int = -1, epsilon: float = 1e-3) -> Tensor:
    """Normalize ``x`` per sample and per group of ``groups`` along ``axis`` (the channels), then
    scale by ``gamma`` and shift by ``beta`` (each of shape (channels,), or None).

    Differentiable w.r.t. x, gamma and beta. ``groups`` must divide the number of channels;
    ``axis`` must not be the batch axis 0.
    """
    x = as_tensor(x)
    a = x.data
    if a.dtype.kind != "f":
        from numeras import backend

        a = a.astype(backend.floatx())
        x = constant(a)
    ndim = a.ndim
    axis = axis % ndim
    if axis == 0:
        raise ValueError("group_norm: `axis` is the channel axis and cannot be the batch axis 0, received axis=0.")
    channels = a.shape[axis]
    if channels % groups:
        raise ValueError(
            f"group_norm: `groups` ({groups}) must divide the number of channels ({channels}) on axis {axis}."
        )
    # Grouped layout: the channel axis becomes (groups, channels // groups) at (axis, axis + 1).
    grouped_shape = (*a.shape[:axis], groups, channels // groups, *a.shape[axis + 1 :])
    statistic_axes = tuple(i for i in range(1, ndim + 1) if i != axis)
    channel_axes = tuple(i for i in range(ndim + 1) if i not in (axis, axis + 1))
    parameter_shape = tuple(
        groups if i == axis else channels // groups if i == axis + 1 else 1 for i in range(ndim + 1)
    )

    grouped = a.reshape(grouped_shape)
    mean = grouped.mean(axis=statistic_axes, keepdims=True)
    xhat = grouped - mean
    variance = xp.square(xhat).mean(axis=statistic_axes, keepdims=True)
    inv_std = 1.0 / xp.sqrt(variance + xp.asarray(epsilon, dtype=a.dtype))
    xhat *= inv_std
    gamma_t = None if gamma is None else as_tensor(gamma, x)
    beta_t = None if beta is None else as_tensor(beta, x)
    gamma_b = None if gamma_t is None else gamma_t.data.reshape(parameter_shape)
    y = xhat * gamma_b if gamma_b is not None else xhat.copy()
    if beta_t is not None:
        y += beta_t.data.reshape(parameter_shape)
    parents = tuple(t for t in (x, gamma_t, beta_t) if t is not None)
    need_x = x.requires_grad

    def vjp(g):
        g = g.reshape(grouped_shape)
        grads = []
        if need_x:
            dxhat = g * gamma_b if gamma_b is not None else g.copy()
            mean_dxhat = dxhat.mean(axis=statistic_axes, keepdims=True)
            mean_dxhat_xhat = (dxhat * xhat).mean(axis=statistic_axes, keepdims=True)
            dxhat -= mean_dxhat
            dxhat -= xhat * mean_dxhat_xhat
            dxhat *= inv_std
            grads.append(dxhat.reshape(a.shape))
        else:
            grads.append(None)
        if gamma_t is not None:
            grads.append((g * xhat).sum(axis=channel_axes).reshape(gamma_t.data.shape))
        if beta_t is not None:
            grads.append(g.sum(axis=channel_axes).reshape(beta_t.data.shape))
        return tuple(grads)

    return record(y.reshape(a.shape), parents, vjp)
