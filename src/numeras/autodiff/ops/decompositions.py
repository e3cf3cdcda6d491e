"""Linear-algebra primitives over the last two axes (batched over the others): ``solve``,
``inv``, ``det``, ``slogdet``, ``cholesky`` and ``eigh`` with their standard VJPs.

Ints and bools compute in floatx, as Keras's linalg ops do. Symmetric inputs (``cholesky``,
``eigh``) get symmetric gradients, as in JAX: only the symmetric part of a perturbation keeps the
input symmetric.
"""

from __future__ import annotations

from numeras.autodiff.ops._core import constant, float_operand, pair, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def _mT(a):
    return xp.swapaxes(a, -1, -2)


def _symmetric_part(a):
    return (a + _mT(a)) * 0.5


def _square(x: Tensor, where: str) -> None:
    shape = x.data.shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(
            f"{where}: `x` must be a square matrix or a batch of them (shape (..., n, n)), received shape {shape}."
        )


def inv(x) -> Tensor:
    """Z = A^-1;  dA = -Z^T g Z^T."""
    x = float_operand(x)
    _square(x, "inv")
    z = xp.linalg.inv(x.data)
    return record(z, (x,), lambda g: (-_mT(z) @ g @ _mT(z),))


def solve(a, b) -> Tensor:
    """X with A X = B (B a matrix (..., n, k), or a vector (n,));
    dB = A^-T g,  dA = -dB X^T."""
    a, b = pair(float_operand(a), float_operand(b))
    _square(a, "solve")
    A, B = a.data, b.data
    vector = B.ndim == 1
    z = xp.linalg.solve(A, B[:, None] if vector else B)
    need_a = a.requires_grad

    def vjp(g):
        g2 = g[:, None] if vector else g
        db = xp.linalg.solve(_mT(A), g2)
        da = -db @ _mT(z) if need_a else None
        return da, (db[:, 0] if vector else db)

    return record(z[:, 0] if vector else z, (a, b), vjp)


def det(x) -> Tensor:
    """d = det A;  dA = g d A^-T (A must be invertible for the gradient)."""
    x = float_operand(x)
    _square(x, "det")
    a = x.data
    d = xp.linalg.det(a)

    def vjp(g):
        return ((g * d)[..., None, None] * _mT(xp.linalg.inv(a)),)

    return record(xp.asarray(d), (x,), vjp)


def slogdet(x) -> tuple[Tensor, Tensor]:
    """(sign, log|det A|);  the sign is piecewise constant, d log|det A| = g A^-T."""
    x = float_operand(x)
    _square(x, "slogdet")
    a = x.data
    sign, logabsdet = xp.linalg.slogdet(a)

    def vjp(g):
        return (g[..., None, None] * _mT(xp.linalg.inv(a)),)

    return constant(xp.asarray(sign)), record(xp.asarray(logabsdet), (x,), vjp)


def _lower_half_diagonal(a):
    """The lower triangle of a with its diagonal halved (Phi in Murray's derivation)."""
    out = xp.tril(a)
    diagonal = xp.einsum("...ii->...i", out)
    diagonal *= 0.5
    return out


def cholesky(x, upper: bool = False) -> Tensor:
    """L lower-triangular with L L^T = A (A symmetric positive definite; its lower triangle is
    read), or L^T when ``upper``;  with P = Phi(L^T gL) (lower triangle, diagonal halved),
    dA = sym(L^-T P L^-1), sym(M) = (M + M^T) / 2 (Murray 2016, 'Differentiation of the
    Cholesky decomposition')."""
    x = float_operand(x)
    _square(x, "cholesky")
    try:
        lower = xp.linalg.cholesky(x.data)
    except xp.linalg.LinAlgError as error:
        raise ValueError(f"cholesky: `x` must be symmetric positive definite ({error}).") from None

    def vjp(g):
        gl = _mT(g) if upper else g
        phi = _lower_half_diagonal(_mT(lower) @ gl)
        # L^-T phi L^-1 by two triangular solves (general solves: NumPy has no triangular one).
        inner = xp.linalg.solve(_mT(lower), phi)
        grad = _mT(xp.linalg.solve(_mT(lower), _mT(inner)))
        return (_symmetric_part(grad),)

    return record(_mT(lower).copy() if upper else lower, (x,), vjp)


def eigh(x) -> tuple[Tensor, Tensor]:
    """(w, V): the eigenvalues (ascending) and orthonormal eigenvectors of symmetric A (lower
    triangle read);  dA = sym(V (diag(gw) + F o (V^T gV)) V^T) with F_ij = 1 / (w_j - w_i) off
    the diagonal and 0 on it (eigenvalues must be distinct for the eigenvector gradient)."""
    x = float_operand(x)
    _square(x, "eigh")
    w, v = xp.linalg.eigh(x.data)
    from numeras.autodiff.ops.shape import getitem

    # One node holding both results (its vjp takes the gradient of the packed pair); w and V are
    # read out of it, so a loss of either or both differentiates through this one VJP.
    packed = xp.concatenate([w[..., None, :], v], axis=-2)

    def vjp(g):
        gw, gv = g[..., 0, :], g[..., 1:, :]
        gaps = w[..., None, :] - w[..., :, None]
        off_diagonal = gaps != 0
        f = xp.where(off_diagonal, 1 / xp.where(off_diagonal, gaps, 1), 0)
        inner = f * (_mT(v) @ gv)
        diagonal = xp.einsum("...ii->...i", inner)
        diagonal += gw
        return (_symmetric_part(v @ inner @ _mT(v)),)

    both = record(packed, (x,), vjp)
    return getitem(both, (Ellipsis, 0, slice(None))), getitem(both, (Ellipsis, slice(1, None), slice(None)))


__all__ = ["inv", "solve", "det", "slogdet", "cholesky", "eigh"]


def singular_values(x) -> Tensor:
    """s: the singular values of A, descending;  dA = U diag(g) V^T over the first min(m, n)
    singular vectors (distinct singular values needed for a meaningful gradient)."""
    x = float_operand(x)
    if x.data.ndim < 2:
        raise ValueError(f"singular_values: `x` must be a matrix or a batch of them, received shape {x.data.shape}.")
    u, s, vt = xp.linalg.svd(x.data, full_matrices=False)
    return record(s, (x,), lambda g: ((u * g[..., None, :]) @ vt,))


__all__ += ["singular_values"]
