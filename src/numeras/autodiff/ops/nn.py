"""Primitives for network outputs, each fused because the composite would be slow or unstable:
softmax, log_softmax, and the cross-entropies taken straight from logits."""

from __future__ import annotations

from numeras.autodiff.ops import _accelerated, _compiled_rows
from numeras.autodiff.ops._core import as_tensor, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def _row_max(a, axis: int):
    """``a.max(axis, keepdims=True)``. For a matrix's rows it is read at the argmax: NumPy's max
    over a short last axis costs ~6 us for 128 x 10, argmax and a gather ~2 us (NaN propagates
    alike: argmax points at the first NaN)."""
    if a.ndim == 2 and axis in (1, -1) and a.shape[1] and a.dtype.kind == "f":
        picked = a.argmax(axis=1)
        return a[xp.arange(a.shape[0]), picked][:, None]
    return a.max(axis=axis, keepdims=True)


def _row_kernels(a, axis: int, *others):
    """The compiled row kernels when they apply: a C-contiguous float32/float64 matrix reduced
    along its last axis (and ``others`` of its shape and dtype, C-contiguous), numba available."""
    dtype = a.dtype
    if not (
        a.ndim == 2 and axis in (1, -1) and a.shape[1] and dtype.kind == "f" and dtype.itemsize in (4, 8)
        and type(a) is xp.ndarray and a.flags.c_contiguous and _accelerated.available()
    ):
        return None
    for other in others:
        if type(other) is not xp.ndarray or other.dtype != dtype or other.shape != a.shape or not other.flags.c_contiguous:
            return None
    return _compiled_rows.kernels()


def _log_softmax_array(a, axis: int):
    shifted = a - _row_max(a, axis)
    shifted -= xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def softmax(x, axis: int = -1) -> Tensor:
    """z = e^x / sum(e^x) along ``axis`` (shifted by the max, so it never overflows);
    dx = z * (g - sum(g * z)).

    The output remembers its logits so categorical cross-entropy can use the fused, exact
    gradient, as Keras's TensorFlow backend does.
    """
    x = as_tensor(x)
    kernels = _row_kernels(x.data, axis)
    if kernels is not None:
        z = xp.empty_like(x.data)
        kernels.softmax_rows(x.data, z)
    else:
        z = x.data - _row_max(x.data, axis)
        xp.exp(z, out=z)
        z /= z.sum(axis=axis, keepdims=True)

    def vjp(g):
        gz = g * z
        gz -= z * gz.sum(axis=axis, keepdims=True)
        return (gz,)

    out = record(z, (x,), vjp)
    out._logits = x
    out._logits_kind = "softmax"
    return out


def log_softmax(x, axis: int = -1) -> Tensor:
    """z = x - logsumexp(x) along ``axis``;  dx = g - softmax(x) * sum(g)."""
    x = as_tensor(x)
    z = _log_softmax_array(x.data, axis)

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
    kernels = _row_kernels(logits.data, axis, t)
    if kernels is not None:
        log_p = xp.empty_like(t)
        loss = xp.empty(t.shape[0], dtype=t.dtype)
        kernels.cross_entropy_rows(logits.data, t, log_p, loss)
    else:
        log_p = _log_softmax_array(logits.data, axis)
        loss = -(t * log_p).sum(axis=axis)
    need_target = target.requires_grad

    def vjp(g):
        gk = g[..., None] if axis in (-1, log_p.ndim - 1) else xp.expand_dims(g, axis)
        if kernels is not None and g.dtype == t.dtype:
            dlogits = xp.empty_like(t)
            kernels.cross_entropy_grad_rows(log_p, t, xp.ascontiguousarray(g), dlogits)
            return (-gk * log_p if need_target else None), dlogits
        dlogits = xp.exp(log_p)
        dlogits *= t.sum(axis=axis, keepdims=True)
        dlogits -= t
        dlogits *= gk
        return (-gk * log_p if need_target else None), dlogits

    return record(loss, (target, logits), vjp)


def sparse_softmax_cross_entropy(target, logits, axis: int = -1) -> Tensor:
    """loss = -log_softmax(logits)[target] for integer class ids;
    dlogits = g * (softmax(logits) - one_hot(target))."""
    logits = as_tensor(logits)
    labels = target.data if isinstance(target, Tensor) else xp.asarray(target)
    labels = labels.astype(xp.intp, copy=False)
    log_p = _log_softmax_array(logits.data, axis)
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
