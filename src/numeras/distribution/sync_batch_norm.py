"""Batch normalization whose statistics are those of the global batch (synchronised across
the processes of a ``DataParallel`` run), so a model with BatchNormalization trains on several
processes as it would on one with the whole batch.

Process r holds ``n_r`` of the ``N`` rows of the global batch and weighs ``w_r = n_r / N`` in
the global loss ``L = Σ_r w_r L_r`` (its gradients are averaged with these weights).

Forward (two small ``Allreduce`` calls, two-pass like the one-process op)::

    mean = Σ_all x / N,   var = Σ_all (x - mean)^2 / N,   xhat = (x - mean) / sqrt(var + eps)
    y = gamma * xhat + beta

VJP (one ``Allreduce`` of 2·features numbers). With ``g_r = ∂L_r/∂y_r`` the local upstream::

    dbeta_r = Σ_local g,   dgamma_r = Σ_local g * xhat            (local, then averaged with w_r)
    Dβ = Σ_r w_r dbeta_r,  Dγ = Σ_r w_r dgamma_r                   (the global-loss sums)
    dx_r = gamma / sqrt(var + eps) * (g_r - Dβ / n_r - xhat * Dγ / n_r)

``dx_r`` is ``∂L/∂x_r`` divided by ``w_r`` (so the layers below keep producing local-loss
gradients, which the optimizer's weighted average combines); with one process it is the
ordinary batch-norm VJP.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from numeras.autodiff.ops._core import as_tensor, constant, record
from numeras.backend import xp


def sync_batch_norm_train(x: Any, gamma: Any, beta: Any, axis: int, epsilon: float, comm: Any, weight: float | None) -> tuple:
    """``(y, mean, variance)`` like ``autodiff.ops.normalization.batch_norm_train``, with the
    moments of the global batch. ``weight`` is this process's share ``n_r / N`` of the global
    batch (``None``: equal shares)."""
    from numeras.distribution._mpi import mpi

    in_place = mpi().IN_PLACE
    x = as_tensor(x)
    a = x.data
    if a.dtype.kind != "f":
        from numeras import backend

        a = a.astype(backend.floatx())
        x = constant(a)
    ndim = a.ndim
    axis = axis % ndim
    axes = tuple(i for i in range(ndim) if i != axis)
    local_count = math.prod(a.shape[i] for i in axes)
    kept = tuple(a.shape[i] if i == axis else 1 for i in range(ndim))
    features = a.shape[axis]

    # Pass 1: global sums and count (float64: a count must stay exact).
    totals = np.empty(features + 1, dtype=np.float64)
    totals[:features] = a.sum(axis=axes, dtype=np.float64)
    totals[features] = local_count
    comm.Allreduce(in_place, totals)
    count = totals[features]
    mean = (totals[:features] / count).astype(a.dtype).reshape(kept)
    centred = a - mean
    # Pass 2: global sum of squared deviations from the global mean.
    squares = xp.square(centred).sum(axis=axes, dtype=np.float64)
    comm.Allreduce(in_place, squares)
    variance = (squares / count).astype(a.dtype).reshape(kept)
    inv_std = 1.0 / xp.sqrt(variance + xp.asarray(epsilon, dtype=a.dtype))
    xhat = centred
    xhat *= inv_std
    gamma_t = None if gamma is None else as_tensor(gamma)
    beta_t = None if beta is None else as_tensor(beta)
    y = xhat * gamma_t.data.reshape(kept) if gamma_t is not None else xhat.copy()
    if beta_t is not None:
        y += beta_t.data.reshape(kept)
    parents = tuple(t for t in (x, gamma_t, beta_t) if t is not None)
    need_x = x.requires_grad
    share = (1.0 / comm.size) if weight is None else float(weight)

    def vjp(g):
        dbeta = g.sum(axis=axes, keepdims=True)
        dgamma = (g * xhat).sum(axis=axes, keepdims=True)
        grads = []
        if need_x:
            sums = np.empty(2 * features, dtype=np.float64)
            sums[:features] = dbeta.reshape(-1)
            sums[features:] = dgamma.reshape(-1)
            sums *= share
            comm.Allreduce(in_place, sums)
            total_dbeta = (sums[:features] / local_count).astype(g.dtype).reshape(kept)
            total_dgamma = (sums[features:] / local_count).astype(g.dtype).reshape(kept)
            scale = inv_std if gamma_t is None else inv_std * gamma_t.data.reshape(kept)
            dx = xhat * total_dgamma
            dx += total_dbeta
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
