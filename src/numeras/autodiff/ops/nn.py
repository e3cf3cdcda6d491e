"""Primitives for network outputs, each fused because the composite would be slow or unstable:
softmax, log_softmax, and the cross-entropies taken straight from logits."""

from __future__ import annotations

from numeras.autodiff.ops._core import as_tensor, float_operand, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import kernels, xp


def softmax(x, axis: int = -1) -> Tensor:
    """z = e^x / sum(e^x) along ``axis`` (shifted by the max, so it never overflows);
    dx = z * (g - sum(g * z)).

    The output remembers its logits so categorical cross-entropy can use the fused, exact
    gradient, as Keras's TensorFlow backend does.
    """
    x = float_operand(x)
    z = kernels.softmax(x.data, axis)

    def vjp(g):
        return (kernels.softmax_grad(z, g, axis),)

    out = record(z, (x,), vjp)
    out._from_logits = ("softmax", x)
    return out


def log_softmax(x, axis: int = -1) -> Tensor:
    """z = x - logsumexp(x) along ``axis``;  dx = g - softmax(x) * sum(g)."""
    x = float_operand(x)
    z = kernels.log_softmax(x.data, axis)

    def vjp(g):
        return (g - xp.exp(z) * g.sum(axis=axis, keepdims=True),)

    return record(z, (x,), vjp)


def softmax_cross_entropy(target, logits, axis: int = -1) -> Tensor:
    """loss = -sum(target * log_softmax(logits)) along ``axis``, one value per sample;
    dlogits = g * (softmax(logits) * sum(target) - target),  dtarget = -g * log_softmax(logits)."""
    target, logits = as_tensor(target), as_tensor(logits)
    t = target.data
    if t.dtype != logits.data.dtype:
        t = t.astype(logits.data.dtype)
    log_p, loss = kernels.softmax_cross_entropy(logits.data, t, axis)
    need_target = target.requires_grad

    def vjp(g):
        dlogits = kernels.softmax_cross_entropy_grad(log_p, t, g, axis)
        if not need_target:
            return None, dlogits
        gk = g[..., None] if axis in (-1, log_p.ndim - 1) else xp.expand_dims(g, axis)
        return -gk * log_p, dlogits

    return record(loss, (target, logits), vjp)


def sparse_softmax_cross_entropy(target, logits, axis: int = -1) -> Tensor:
    """loss = -log_softmax(logits)[target] for integer class ids;
    dlogits = g * (softmax(logits) - one_hot(target))."""
    logits = as_tensor(logits)
    labels = target.data if isinstance(target, Tensor) else xp.asarray(target)
    labels = labels.astype(xp.intp, copy=False)
    log_p = kernels.log_softmax(logits.data, axis)
    moved = xp.moveaxis(log_p, axis, -1)
    picked = xp.take_along_axis(moved, labels[..., None], axis=-1)[..., 0]
    loss = -picked

    def vjp(g):
        d = xp.ascontiguousarray(xp.exp(moved))
        flat = d.reshape(-1, d.shape[-1])
        flat[xp.arange(flat.shape[0]), labels.reshape(-1)] -= 1
        d *= g[..., None]
        return (xp.moveaxis(d, -1, axis),)

    return record(loss, (logits,), vjp)


def sigmoid_cross_entropy(target, logits) -> Tensor:
    """loss = max(x, 0) - x * t + log(1 + e^-|x|), element-wise, for logits x and targets t;
    dx = g * (sigmoid(x) - t),  dt = -g * x."""
    target, logits = as_tensor(target), as_tensor(logits)
    x = logits.data
    t = target.data if target.data.dtype == x.dtype else target.data.astype(x.dtype)
    loss = xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))
    need_target = target.requires_grad

    def vjp(g):
        p = xp.tanh(x * 0.5)
        p += 1
        p *= 0.5
        return (-g * x if need_target else None), g * (p - t)

    return record(loss, (target, logits), vjp)
