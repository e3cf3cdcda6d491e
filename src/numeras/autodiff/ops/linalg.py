"""Matrix multiplication, the one linear-algebra primitive (``dot`` and ``tensordot`` build on it)."""

from __future__ import annotations

from numeras.autodiff.ops._core import pair, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def matmul(x1, x2) -> Tensor:
    """z = x1 @ x2 (NumPy's matmul, batch axes broadcast);
    dx1 = g @ x2^T, dx2 = x1^T @ g, with 1-D operands treated as a row (x1) or a column (x2)."""
    x1, x2 = pair(x1, x2)
    a, b = x1.data, x2.data
    need_a, need_b = x1.requires_grad, x2.requires_grad

    def vjp(g):
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
            da = g @ xp.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                da = da.reshape(-1, a.shape[0]).sum(axis=0)
        if need_b:
            if a2.ndim == 2 and g.ndim == 2:
                db = a2.T @ g
            else:
                db = xp.swapaxes(a2, -1, -2) @ g
            if b.ndim == 1:
                db = db.reshape(-1, b.shape[0]).sum(axis=0)
        return da, db

    return record(a @ b, (x1, x2), vjp)
