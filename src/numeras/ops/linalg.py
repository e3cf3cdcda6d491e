"""Keras 3's ``keras.ops.linalg``: decompositions, solves and norms of matrices (the last two
axes; leading axes are a batch).

``solve``, ``inv``, ``det``, ``cholesky``, ``eigh`` and the singular values are primitives with
VJPs (numeras.autodiff.ops.decompositions); ``solve_triangular``, ``cholesky_inverse`` and
``norm`` are composed from them. ``qr``, ``svd`` (with vectors), ``eig``, ``lu_factor``,
``lstsq``, ``pinv`` and ``matrix_rank`` are computed by NumPy and are not differentiable.
"""

from __future__ import annotations

from numeras.autodiff.composites import (
    abs,
    as_tensor,
    cast,
    constant,
    count_nonzero,
    expand_dims,
    matmul,
    max,
    min,
    power,
    sqrt,
    sum,
    swapaxes,
    tril,
    triu,
    where,
)
from numeras.autodiff.ops._core import float_operand
from numeras.autodiff.ops.decompositions import cholesky, det, eigh, inv, singular_values, slogdet, solve
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def solve_triangular(a, b, lower: bool = False) -> Tensor:
    """X with A X = B for triangular A (only its lower or upper triangle is read);
    differentiable (a solve of the masked A)."""
    a = as_tensor(a)
    return solve(tril(a) if lower else triu(a), b)


def cholesky_inverse(x, upper: bool = False) -> Tensor:
    """(L L^T)^-1 from a Cholesky factor L (or U^T U from U when ``upper``)."""
    x = as_tensor(x)
    product = matmul(swapaxes(x, -1, -2), x) if upper else matmul(x, swapaxes(x, -1, -2))
    return inv(product)


def qr(x, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """(Q, R) with x = Q R: ``mode`` 'reduced' (Q m x k) or 'complete' (Q m x m). Not differentiable."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: `mode` must be 'reduced' or 'complete', received {mode!r}.")
    q, r = xp.linalg.qr(float_operand(x).data, mode=mode)
    return constant(q), constant(r)


def svd(x, full_matrices: bool = True, compute_uv: bool = True):
    """(U, s, V^T) with x = U diag(s) V^T, or just s (differentiable) without ``compute_uv``."""
    if not compute_uv:
        return singular_values(x)
    u, s, vt = xp.linalg.svd(float_operand(x).data, full_matrices=full_matrices)
    return constant(u), constant(s), constant(vt)


def eig(x) -> tuple[Tensor, Tensor]:
    """(w, V) of a general square matrix (complex in general, as numpy.linalg.eig). Not differentiable."""
    w, v = xp.linalg.eig(float_operand(x).data)
    return constant(w), constant(v)


def lu_factor(x) -> tuple[Tensor, Tensor]:
    """(LU, pivots) of a square matrix (or batch) with partial pivoting, as scipy.linalg.lu_factor:
    L (unit diagonal, below) and U (on and above) packed in one matrix; pivots (int32): row i was
    swapped with row pivots[i]. Not differentiable."""
    a = float_operand(x).data.copy()
    n = a.shape[-1]
    if a.ndim < 2 or a.shape[-2] != n:
        raise ValueError(f"lu_factor: `x` must be square (shape (..., n, n)), received shape {a.shape}.")
    batch = a.reshape(-1, n, n)
    pivots = xp.zeros((batch.shape[0], n), dtype=xp.int32)
    rows = xp.arange(batch.shape[0])
    for k in range(n):  # one vectorised elimination step per column, over the whole batch
        p = k + xp.argmax(xp.abs(batch[:, k:, k]), axis=1)
        pivots[:, k] = p
        swap = batch[rows, p].copy()
        batch[rows, p] = batch[:, k]
        batch[:, k] = swap
        pivot = batch[:, k, k : k + 1]
        safe = xp.where(pivot == 0, 1, pivot)
        batch[:, k + 1 :, k] /= safe
        batch[:, k + 1 :, k + 1 :] -= batch[:, k + 1 :, k : k + 1] * batch[:, k : k + 1, k + 1 :]
    return constant(batch.reshape(a.shape)), constant(pivots.reshape(a.shape[:-1]))


def lstsq(a, b, rcond=None) -> Tensor:
    """The least-squares solution X of A X = B. Not differentiable."""
    solution = xp.linalg.lstsq(float_operand(a).data, float_operand(b).data, rcond=rcond)[0]
    return constant(solution)


def pinv(x, rcond=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse. Not differentiable."""
    data = float_operand(x).data
    return constant(xp.linalg.pinv(data) if rcond is None else xp.linalg.pinv(data, rcond=rcond))


def matrix_rank(x, tol=None) -> Tensor:
    """The number of singular values above ``tol`` (int32)."""
    return constant(xp.asarray(xp.linalg.matrix_rank(float_operand(x).data, tol=tol), dtype=xp.int32))


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A002 - Keras's name
    """Vector norms over one axis, matrix norms over two, as numpy.linalg.norm (ints in floatx).

    One axis: ``ord`` None/2 (Euclidean), inf, -inf, 0 (number of nonzeros), or any p
    ((sum |x|^p)^(1/p)). Two axes: None/'fro', 'nuc' (sum of singular values), inf, -inf, 1, -1
    (largest/smallest row or column sum of |x|), 2, -2 (largest/smallest singular value).
    ``axis=None`` takes every axis: one is a vector norm, two a matrix norm, more (with ord None)
    the Euclidean norm of all entries. Differentiable where the norm is.
    """
    x = float_operand(x)
    ndim = x.data.ndim
    axes = tuple(range(ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(a % ndim for a in axes)
    if len(axes) == 1 or (ord is None and len(axes) != 2) or (ord in (None, "fro") and len(axes) == 2):
        if ord is None or ord == "fro" or ord == 2:
            return _euclidean(x, axes, keepdims)
        if len(axes) != 1:
            raise ValueError(f"norm: ord={ord!r} needs one axis (a vector norm) or two (a matrix norm), received axis={axis}.")
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) != 2:
        raise ValueError(f"norm: `axis` must name one or two axes, received axis={axis}.")
    return _matrix_norm(x, ord, axes, keepdims)


def _euclidean(x: Tensor, axes: tuple, keepdims: bool) -> Tensor:
    """sqrt(sum x^2) over ``axes``; its gradient at a zero vector is 0 (a subgradient), not the
    0/0 the plain formula gives."""
    squares = sum(x * x, axis=axes, keepdims=keepdims)
    positive = squares.data > 0
    return where(positive, sqrt(where(positive, squares, 1.0)), 0.0)


def _vector_norm(x: Tensor, ord, axis: int, keepdims: bool) -> Tensor:  # noqa: A002
    if ord == float("inf"):
        return max(abs(x), axis=axis, keepdims=keepdims)
    if ord == float("-inf"):
        return min(abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        counts = count_nonzero(x, axis=axis)
        counts = cast(counts, x.data.dtype)
        return expand_dims(counts, axis) if keepdims else counts
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; a vector norm takes a number.")
    if ord == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    return power(sum(power(abs(x), float(ord)), axis=axis, keepdims=keepdims), 1.0 / float(ord))


def _matrix_norm(x: Tensor, ord, axes: tuple, keepdims: bool) -> Tensor:  # noqa: A002
    row_axis, col_axis = axes
    if ord in (1, -1, float("inf"), float("-inf")):
        # 1: the largest column sum (sum over rows); inf: the largest row sum.
        summed_axis, reduced_axis = (row_axis, col_axis) if ord in (1, -1) else (col_axis, row_axis)
        sums = sum(abs(x), axis=summed_axis, keepdims=True)
        out = (max if ord in (1, float("inf")) else min)(sums, axis=reduced_axis, keepdims=True)
    elif ord in (2, -2, "nuc"):
        rest = [a for a in range(x.data.ndim) if a not in axes]
        from numeras.autodiff.composites import transpose

        values = singular_values(transpose(x, rest + [row_axis, col_axis]))
        reduce = {2: max, -2: min, "nuc": sum}[ord]
        out = reduce(values, axis=-1)
        for a in sorted(axes):
            out = expand_dims(out, a)
    else:
        raise ValueError(f"norm: ord={ord!r} is not a matrix norm; use None, 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2.")
    if keepdims:
        return out
    from numeras.autodiff.composites import squeeze

    return squeeze(out, axis=axes)


__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "lstsq", "lu_factor",
    "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd",
]
