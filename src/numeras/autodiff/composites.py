"""Composite ops: built from primitives only, so their gradients come for free.

Together with the primitives this is the whole op set; ``numeras.ops`` exposes it under
Keras 3's names and signatures.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence

from numeras import backend
from numeras.autodiff.ops import *  # noqa: F403 - the primitives are part of this namespace
from numeras.autodiff.ops import (
    abs,
    as_tensor,
    cast,
    clip,
    concatenate,
    constant,
    divide,
    erf,
    exp,
    getitem,
    log,
    log1p,
    matmul,
    max,
    minimum,
    multiply,
    negative,
    reshape,
    sigmoid,
    sqrt,
    stop_gradient,
    sum,
    tanh,
    transpose,
    where,
)
from numeras.autodiff.ops import broadcast_to as broadcast_to
from numeras.autodiff.tensor import Tensor, convert_to_tensor  # noqa: F401 - re-exported as an op
from numeras.backend import xp

absolute = abs


def square(x) -> Tensor:
    """x * x."""
    x = as_tensor(x)
    return multiply(x, x)


def reciprocal(x) -> Tensor:
    return divide(1.0, x)


def true_divide(x1, x2) -> Tensor:
    return divide(x1, x2)


def _reduced_count(x: Tensor, axis) -> int:
    if axis is None:
        return x.data.size
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return math.prod(x.data.shape[a] for a in axes)


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    """sum(x) / count over ``axis``."""
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        x = cast(x, backend.floatx())
    return divide(sum(x, axis=axis, keepdims=keepdims), _reduced_count(x, axis))


def min(x, axis=None, keepdims: bool = False, initial=None) -> Tensor:  # noqa: A001
    """-max(-x)."""
    return negative(max(negative(x), axis=axis, keepdims=keepdims, initial=None if initial is None else -initial))


def var(x, axis=None, keepdims: bool = False) -> Tensor:
    """mean((x - mean(x))^2), the population variance (ddof = 0), as Keras."""
    x = as_tensor(x)
    centred = x - mean(x, axis=axis, keepdims=True)
    return mean(square(centred), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims: bool = False) -> Tensor:
    """sqrt(var(x))."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))), shifted by the (constant) maximum so it never overflows."""
    x = as_tensor(x)
    shift = stop_gradient(max(x, axis=axis, keepdims=True))
    out = log(sum(exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else squeeze(out, axis=axis)


def expand_dims(x, axis) -> Tensor:
    """x with a new axis of length 1 at ``axis`` (an int or a tuple)."""
    x = as_tensor(x)
    if isinstance(axis, list):
        axis = tuple(axis)
    return reshape(x, xp.expand_dims(x.data, axis).shape)


def squeeze(x, axis=None) -> Tensor:
    """x without its length-1 axes (or just those in ``axis``)."""
    x = as_tensor(x)
    if isinstance(axis, list):
        axis = tuple(axis)
    return reshape(x, xp.squeeze(x.data, axis=axis).shape)


def ravel(x) -> Tensor:
    return reshape(x, (-1,))


def stack(x: Sequence, axis: int = 0) -> Tensor:
    """The tensors joined along a new axis."""
    return concatenate([expand_dims(t, axis) for t in x], axis=axis)


def split(x, indices_or_sections, axis: int = 0) -> list[Tensor]:
    """x cut along ``axis`` into equal sections or at the given indices."""
    x = as_tensor(x)
    n = x.data.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of length {n} cannot be cut into {indices_or_sections} equal "
                "sections; pass a list of split indices instead."
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], n]
    lead = (slice(None),) * (axis % x.data.ndim)
    return [getitem(x, lead + (slice(lo, hi),)) for lo, hi in zip(bounds[:-1], bounds[1:])]


def take(x, indices, axis=None) -> Tensor:
    """Entries of x at integer ``indices`` along ``axis`` (of the flattened x when None)."""
    x = as_tensor(x)
    idx = indices.data if isinstance(indices, Tensor) else xp.asarray(indices)
    if idx.dtype.kind not in "iu":
        idx = idx.astype(xp.intp)
    if axis is None:
        return getitem(reshape(x, (-1,)), idx)
    axis = axis % x.data.ndim
    return getitem(x, (slice(None),) * axis + (idx,))


def tile(x, repeats) -> Tensor:
    """x repeated ``repeats[i]`` times along axis i, as numpy.tile."""
    x = as_tensor(x)
    reps = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    ndim = builtins.max(x.data.ndim, len(reps))
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - x.data.ndim) + x.data.shape
    interleaved = tuple(v for n in shape for v in (1, n))
    stretched = tuple(v for r, n in zip(reps, shape) for v in (r, n))
    out = broadcast_to(reshape(x, interleaved), stretched)
    return reshape(out, tuple(r * n for r, n in zip(reps, shape)))


def repeat(x, repeats, axis=None) -> Tensor:
    """Each entry repeated ``repeats`` times along ``axis`` (flattened when None), as numpy.repeat."""
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = axis % x.data.ndim
    if isinstance(repeats, int):
        shape = x.data.shape
        inserted = shape[: axis + 1] + (1,) + shape[axis + 1 :]
        stretched = shape[: axis + 1] + (repeats,) + shape[axis + 1 :]
        out = broadcast_to(reshape(x, inserted), stretched)
        return reshape(out, shape[:axis] + (shape[axis] * repeats,) + shape[axis + 1 :])
    index = xp.repeat(xp.arange(x.data.shape[axis]), xp.asarray(repeats))
    return take(x, index, axis=axis)


def one_hot(x, num_classes: int, axis: int = -1, dtype=None, sparse: bool = False) -> Tensor:
    """Integer class ids as rows of zeros with a one at the id (not differentiable)."""
    labels = x.data if isinstance(x, Tensor) else xp.asarray(x)
    out = (labels[..., None] == xp.arange(num_classes)).astype(backend.standardize_dtype(dtype))
    if axis != -1:
        out = xp.moveaxis(out, -1, axis)
    return constant(out)


def dot(x1, x2) -> Tensor:
    """numpy.dot: a product over the last axis of x1 and the second-to-last of x2."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    if x1.data.ndim == 0 or x2.data.ndim == 0:
        return multiply(x1, x2)
    if x2.data.ndim <= 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, axes=([x1.data.ndim - 1], [x2.data.ndim - 2]))


def tensordot(x1, x2, axes=2) -> Tensor:
    """Sum of products over ``axes`` (an int: the last n of x1 with the first n of x2; or two lists),
    computed as one matmul after moving the summed axes together."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    if isinstance(axes, int):
        axes_a = list(range(x1.data.ndim - axes, x1.data.ndim))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
    axes_a = [a % x1.data.ndim for a in axes_a]
    axes_b = [b % x2.data.ndim for b in axes_b]
    free_a = [i for i in range(x1.data.ndim) if i not in axes_a]
    free_b = [i for i in range(x2.data.ndim) if i not in axes_b]
    size = math.prod(x1.data.shape[a] for a in axes_a)
    out_shape = tuple(x1.data.shape[i] for i in free_a) + tuple(x2.data.shape[i] for i in free_b)
    a = reshape(transpose(x1, free_a + axes_a), (-1, size))
    b = reshape(transpose(x2, axes_b + free_b), (size, -1))
    return reshape(matmul(a, b), out_shape)


def softplus(x) -> Tensor:
    """log(1 + e^x), as max(x, 0) + log1p(e^(min(x, 0) - max(x, 0))) so e^ never overflows.

    The two halves are selected with ``where`` rather than relu/abs, whose gradients vanish at 0,
    so that the gradient is sigmoid(x) everywhere, including 1/2 at x = 0.
    """
    x = as_tensor(x)
    positive = x.data > 0
    positive_part = where(positive, x, 0.0)
    negative_part = where(positive, 0.0, x)
    return positive_part + log1p(exp(negative_part - positive_part))


def softsign(x) -> Tensor:
    """x / (1 + |x|)."""
    return divide(x, abs(x) + 1.0)


def elu(x, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha * (e^x - 1) otherwise (exp taken of min(x, 0) so it cannot overflow)."""
    x = as_tensor(x)
    negative_part = multiply(exp(minimum(x, 0.0)) - 1.0, alpha)
    return where(x.data > 0, x, negative_part)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    return multiply(elu(x, _SELU_ALPHA), _SELU_SCALE)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(x, approximate: bool = True) -> Tensor:
    """x * Phi(x): with ``approximate`` the tanh form, else 0.5 x (1 + erf(x / sqrt 2))."""
    x = as_tensor(x)
    if approximate:
        inner = multiply(x + multiply(x * x * x, 0.044715), _SQRT_2_OVER_PI)
        return multiply(x, tanh(inner) + 1.0) * 0.5
    return multiply(x, erf(multiply(x, 1.0 / math.sqrt(2.0))) + 1.0) * 0.5


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """x for x >= 0, negative_slope * x otherwise."""
    x = as_tensor(x)
    return where(x.data >= 0, x, multiply(x, negative_slope))


def silu(x) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    x = as_tensor(x)
    return multiply(x, sigmoid(x))


swish = silu


def relu6(x) -> Tensor:
    return clip(x, 0.0, 6.0)


def hard_sigmoid(x) -> Tensor:
    """clip(x / 6 + 0.5, 0, 1), Keras 3's definition."""
    return clip(multiply(x, 1.0 / 6.0) + 0.5, 0.0, 1.0)


def hard_silu(x) -> Tensor:
    x = as_tensor(x)
    return multiply(x, hard_sigmoid(x))


# -- non-differentiable helpers with Keras's names ------------------------------------
def equal(x1, x2) -> Tensor:
    return constant(xp.equal(_raw(x1), _raw(x2)))


def not_equal(x1, x2) -> Tensor:
    return constant(xp.not_equal(_raw(x1), _raw(x2)))


def greater(x1, x2) -> Tensor:
    return constant(xp.greater(_raw(x1), _raw(x2)))


def greater_equal(x1, x2) -> Tensor:
    return constant(xp.greater_equal(_raw(x1), _raw(x2)))


def less(x1, x2) -> Tensor:
    return constant(xp.less(_raw(x1), _raw(x2)))


def less_equal(x1, x2) -> Tensor:
    return constant(xp.less_equal(_raw(x1), _raw(x2)))


def zeros(shape, dtype=None) -> Tensor:
    return constant(xp.zeros(shape, dtype=backend.standardize_dtype(dtype)))


def ones(shape, dtype=None) -> Tensor:
    return constant(xp.ones(shape, dtype=backend.standardize_dtype(dtype)))


def zeros_like(x, dtype=None) -> Tensor:
    return constant(xp.zeros_like(_raw(x), dtype=dtype))


def ones_like(x, dtype=None) -> Tensor:
    return constant(xp.ones_like(_raw(x), dtype=dtype))


def arange(start, stop=None, step=1, dtype=None) -> Tensor:
    return constant(xp.arange(start, stop, step, dtype=dtype))


def shape(x) -> tuple:
    return tuple(_raw(x).shape)


def ndim(x) -> int:
    return _raw(x).ndim


def convert_to_numpy(x):
    return xp.asarray(_raw(x))


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


_NOT_OPS = {
    "annotations", "builtins", "math", "Sequence", "backend", "xp", "Tensor", "PRIMITIVES",
    "as_tensor", "constant", "record", "elementwise", "linalg", "nn", "reduction",
}
__all__ = [name for name in dir() if not name.startswith("_") and name not in _NOT_OPS]
