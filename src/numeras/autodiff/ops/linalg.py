"""Matrix multiplication (``dot`` and ``tensordot`` build on it) and ``dense``, the affine map of a
Dense layer fused into one primitive."""

from __future__ import annotations

from numeras.autodiff.gradients import writes_into
from numeras.autodiff.ops._core import as_tensor, pair, record
from numeras.autodiff.ops.elementwise import add, relu, relu_grad
from numeras.autodiff.tensor import Tensor
from numeras.backend import kernels, xp


def matmul(x1, x2) -> Tensor:
    """z = x1 @ x2 (NumPy's matmul, batch axes broadcast);
    dx1 = g @ x2^T, dx2 = x1^T @ g, with 1-D operands treated as a row (x1) or a column (x2)."""
    x1, x2 = pair(x1, x2)
    a, b = x1.data, x2.data
    need_a, need_b = x1.requires_grad, x2.requires_grad

    @writes_into
    def vjp(g, out=(None, None)):
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # Restore the axes the 1-D operands dropped from g: the column's first, then the row's,
        # so that vector @ vector (a 0-d g) becomes a 1x1 matrix.
        if b.ndim == 1:
            g = g[..., None]
        if a.ndim == 1:
            g = g[..., None, :]
        da = db = None
        if need_a:
            da = _matmul(g, xp.swapaxes(b2, -1, -2), out[0] if a.ndim > 1 else None)
            if a.ndim == 1:
                da = da.reshape(-1, a.shape[0]).sum(axis=0)
        if need_b:
            sink = out[1] if b.ndim > 1 else None
            if a2.ndim == 2 and g.ndim == 2:
                db = _matmul(a2.T, g, sink)
            else:
                db = _matmul(xp.swapaxes(a2, -1, -2), g, sink)
            if b.ndim == 1:
                db = db.reshape(-1, b.shape[0]).sum(axis=0)
        return da, db

    return record(a @ b, (x1, x2), vjp)


def dense(x, kernel, bias=None, activation: str | None = None) -> Tensor:
    """z = x @ kernel + bias, for x of shape (..., n), kernel (n, m) and bias (m,) or None;
    dx = g @ kernel^T,  dkernel = x^T @ g,  dbias = sum of g over every axis but the last
    (x and g flattened to matrices of n and m columns). With ``activation='relu'`` the output is
    max(z, 0) and g is first masked by z > 0.

    One node instead of matmul + add (+ relu): the bias and the relu are applied in place to the
    product, and the backward pass writes dkernel and dbias straight into the caller's gradient
    buffers when it has them (``GradientTape.gradient(..., out=)``), with no broadcast to undo.
    """
    if activation not in (None, "relu"):
        raise ValueError(f"dense: `activation` must be None or 'relu', received {activation!r}.")
    x, kernel = pair(x, kernel)
    if bias is not None:
        bias = as_tensor(bias, kernel)
    a, w = x.data, kernel.data
    b = None if bias is None else bias.data
    if (
        a.ndim == 0
        or w.ndim != 2
        or a.dtype != w.dtype
        or w.dtype.kind != "f"
        or (b is not None and (b.shape != (w.shape[1],) or b.dtype != w.dtype))
    ):
        # Outside the affine map's usual shapes and dtypes the composite has the general rules.
        z = matmul(x, kernel)
        z = z if bias is None else add(z, bias)
        return z if activation is None else relu(z)
    z = a @ w
    if b is not None:
        z += b
    if activation == "relu":
        kernels.relu_inplace(z)
    need_x, need_w = x.requires_grad, kernel.requires_grad
    need_b = b is not None and bias.requires_grad

    @writes_into
    def vjp(g, out=(None, None, None)):
        if activation == "relu":
            g = relu_grad(g, z)  # relu(z) > 0 exactly where z > 0
        g2 = g.reshape(-1, g.shape[-1])
        a2 = a.reshape(-1, a.shape[-1])
        dx = dw = db = None
        if need_x:
            dx = _matmul(g2, w.T, out[0] if a.ndim == 2 else None).reshape(a.shape)
        if need_w:
            dw = _matmul(a2.T, g2, out[1])
        if need_b:
            sink = out[2]
            db = g2.sum(axis=0) if sink is None or sink.dtype != g2.dtype else g2.sum(axis=0, out=sink)
        return dx, dw, db

    parents = (x, kernel) if bias is None else (x, kernel, bias)
    return record(z, parents, vjp)


def _matmul(x, y, out):
    """x @ y, written into ``out`` when that is an array of exactly the result's shape and dtype
    (a caller-owned gradient buffer); otherwise a new array. Broadcast batch axes that ``out``
    lacks are summed by the backward pass, so they never go into ``out`` here."""
    if out is not None and out.dtype == x.dtype == y.dtype and out.shape == _matmul_shape(x.shape, y.shape):
        return xp.matmul(x, y, out=out)
    return x @ y


def _matmul_shape(x_shape: tuple, y_shape: tuple) -> tuple:
    if len(x_shape) == 2 and len(y_shape) == 2:
        return (x_shape[0], y_shape[1])
    batch = xp.broadcast_shapes(x_shape[:-2], y_shape[:-2])
    return (*batch, x_shape[-2], y_shape[-1])
