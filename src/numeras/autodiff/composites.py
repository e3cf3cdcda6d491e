"""Composite ops: built from primitives only, so their gradients come for free.

Together with the primitives this is the whole op set; ``numeras.ops`` exposes it under
Keras 3's names and signatures.

Length: far over the house's ~700 lines because it is a flat table of Keras 3's composite ops,
most a few lines each, in ``keras.ops``'s order; the primitives (``ops/``) and the namespaces
(``numeras/ops/``) hold the rest.
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
    elementary,
    erf,
    exp,
    getitem,
    log,
    log1p,
    matmul,
    max,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    reshape,
    scatter,
    sigmoid,
    sqrt,
    stop_gradient,
    sum,
    take_along_axis,
    tanh,
    transpose,
    where,
)
from numeras.autodiff.ops import broadcast_to as broadcast_to
from numeras.autodiff.ops import pad as _pad_constant
from numeras.autodiff.ops.accumulate import cumprod, cumsum, prod
from numeras.autodiff.ops.reduction import argmax, argmin
from numeras.autodiff.tensor import Tensor, convert_to_tensor  # noqa: F401 - re-exported as an op
from numeras.backend import xp

absolute = abs


def square(x) -> Tensor:
    """x * x (bools count as int32, as Keras)."""
    x = as_tensor(x)
    if x.data.dtype.kind == "b":
        x = cast(x, backend.result_type(bool, int))
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
    return constant(xp.zeros(_shape_tuple(shape), dtype=backend.standardize_dtype(dtype)))


def ones(shape, dtype=None) -> Tensor:
    return constant(xp.ones(_shape_tuple(shape), dtype=backend.standardize_dtype(dtype)))


def empty(shape, dtype=None) -> Tensor:
    """A tensor of ``shape`` (zeros here: an uninitialised array would make results irreproducible)."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None) -> Tensor:
    """``shape`` filled with ``fill_value``, in ``dtype`` (floatx by default, as Keras, even
    for an int fill value)."""
    return constant(xp.full(_shape_tuple(shape), _raw(fill_value), dtype=backend.standardize_dtype(dtype)))


def _like_dtype(x, dtype):
    return as_tensor(x).data.dtype if dtype is None else backend.standardize_dtype(dtype)


def zeros_like(x, dtype=None) -> Tensor:
    """Zeros of x's shape, in x's dtype unless ``dtype`` is given."""
    return constant(xp.zeros(xp.shape(_raw(x)), dtype=_like_dtype(x, dtype)))


def ones_like(x, dtype=None) -> Tensor:
    """Ones of x's shape, in x's dtype unless ``dtype`` is given."""
    return constant(xp.ones(xp.shape(_raw(x)), dtype=_like_dtype(x, dtype)))


def empty_like(x, dtype=None) -> Tensor:
    return zeros_like(x, dtype)


def full_like(x, fill_value, dtype=None) -> Tensor:
    """x's shape filled with ``fill_value``, in x's dtype unless ``dtype`` is given."""
    return constant(xp.full(xp.shape(_raw(x)), _raw(fill_value), dtype=_like_dtype(x, dtype)))


def _scalar_kind(value):
    """The Python type (int or float) a number, tensor or array stands for in promotion."""
    raw = _raw(value)
    if isinstance(raw, xp.ndarray) or isinstance(raw, xp.generic):
        return raw.dtype
    return float if isinstance(raw, float) else int


def arange(start, stop=None, step=None, dtype=None) -> Tensor:
    """Evenly spaced values in [start, stop): int32 for Python ints, floatx if any bound or the
    step is a float, as Keras."""
    if dtype is None:
        bounds = [b for b in (start, stop, step) if b is not None]
        dtype = backend.result_type(*(_scalar_kind(b) for b in bounds))
    values = [_raw(b) for b in (start, stop)]
    return constant(xp.arange(values[0], values[1], 1 if step is None else _raw(step), dtype=backend.standardize_dtype(dtype)))


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype=None, axis: int = 0):
    """``num`` evenly spaced values from start to stop (floatx unless ``dtype``); with
    ``retstep`` also the spacing."""
    if dtype is None:
        dtype = backend.result_type(_scalar_kind(start), _scalar_kind(stop), float)
    values, step = xp.linspace(_raw(start), _raw(stop), int(num), endpoint=endpoint, retstep=True, axis=axis)
    out = constant(values.astype(backend.standardize_dtype(dtype)))
    return (out, constant(xp.asarray(step, dtype=out.data.dtype))) if retstep else out


def logspace(start, stop, num: int = 50, endpoint: bool = True, base=10, dtype=None, axis: int = 0) -> Tensor:
    """base ** linspace(start, stop, num)."""
    exponents = linspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    return constant((float(base) ** exponents.data).astype(exponents.data.dtype))


def eye(N, M=None, k: int = 0, dtype=None) -> Tensor:  # noqa: N803 - Keras's argument names
    """An N x M matrix with ones on the k-th diagonal (floatx by default)."""
    return constant(xp.eye(int(N), None if M is None else int(M), int(k), dtype=backend.standardize_dtype(dtype)))


def identity(n, dtype=None) -> Tensor:
    """The n x n identity matrix (floatx by default)."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k: int = 0, dtype=None) -> Tensor:  # noqa: N803 - Keras's argument names
    """An N x M matrix with ones at and below the k-th diagonal (floatx by default)."""
    return constant(xp.tri(int(N), None if M is None else int(M), int(k), dtype=backend.standardize_dtype(dtype)))


def _shape_tuple(shape) -> tuple:
    return (int(shape),) if isinstance(shape, int) else tuple(int(n) for n in shape)


def shape(x) -> tuple:
    return tuple(_raw(x).shape)


def ndim(x) -> int:
    return _raw(x).ndim


def convert_to_numpy(x):
    return xp.asarray(_raw(x))


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


# -- logic and tests (bool results, no gradient) -----------------------------------
def logical_and(x1, x2) -> Tensor:
    return constant(xp.logical_and(_raw(x1), _raw(x2)))


def logical_or(x1, x2) -> Tensor:
    return constant(xp.logical_or(_raw(x1), _raw(x2)))


def logical_xor(x1, x2) -> Tensor:
    return constant(xp.logical_xor(_raw(x1), _raw(x2)))


def logical_not(x) -> Tensor:
    return constant(xp.logical_not(_raw(x)))


def isnan(x) -> Tensor:
    return constant(xp.isnan(_raw(x)))


def isinf(x) -> Tensor:
    return constant(xp.isinf(_raw(x)))


def isfinite(x) -> Tensor:
    return constant(xp.isfinite(_raw(x)))


def isclose(x1, x2, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    return constant(xp.isclose(_raw(x1), _raw(x2), rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(x1, x2, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    return constant(xp.asarray(xp.allclose(_raw(x1), _raw(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)))


def any(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Whether any entry along ``axis`` is nonzero (bool)."""
    return constant(xp.asarray(xp.any(_raw(x), axis=_axis(axis), keepdims=keepdims)))


def all(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Whether every entry along ``axis`` is nonzero (bool)."""
    return constant(xp.asarray(xp.all(_raw(x), axis=_axis(axis), keepdims=keepdims)))


def count_nonzero(x, axis=None) -> Tensor:
    """The number of nonzero entries along ``axis`` (int32, as Keras)."""
    return constant(xp.asarray(xp.count_nonzero(_raw(x), axis=_axis(axis)), dtype=xp.int32))


def nonzero(x) -> tuple:
    """The indices of the nonzero entries, one int32 tensor per axis."""
    return tuple(constant(i.astype(xp.int32)) for i in xp.nonzero(_raw(x)))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


# -- sorting and selection -------------------------------------------------------------
def argsort(x, axis: int = -1) -> Tensor:
    """The indices (int32) that sort x along ``axis``; a stable sort (ties keep their order), as
    Keras on JAX. ``axis=None`` sorts the flattened x."""
    return constant(xp.argsort(_raw(as_tensor(x)), axis=axis, kind="stable").astype(xp.int32))


def sort(x, axis: int = -1) -> Tensor:
    """x sorted along ``axis`` (flattened when None);  the gradient goes back to each entry's
    place (``take_along_axis`` of the sorting indices)."""
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), -1
    return take_along_axis(x, xp.argsort(x.data, axis=axis, kind="stable"), axis=axis)


def unique(x, sorted: bool = True, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False, axis=None, size=None, fill_value=None):  # noqa: A002
    """The distinct entries of x (sorted), as numpy.unique; with ``return_*`` also the int32
    first indices, inverse indices and counts. ``size`` pads (with ``fill_value``, by default the
    smallest entry) or truncates the result to a fixed length."""
    data = _raw(as_tensor(x))
    values, index, inverse, counts = xp.unique(data, return_index=True, return_inverse=True, return_counts=True, axis=axis)
    if size is not None:
        size = int(size)
        pad_value = values.min() if fill_value is None and values.size else (0 if fill_value is None else fill_value)
        values = _fixed_length(values, size, pad_value)
        index, counts = _fixed_length(index, size, 0), _fixed_length(counts, size, 0)
    outputs = [constant(values)]
    for wanted, extra in ((return_index, index), (return_inverse, inverse), (return_counts, counts)):
        if wanted:
            outputs.append(constant(extra.astype(xp.int32)))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _fixed_length(values, size: int, pad_value):
    if len(values) >= size:
        return values[:size]
    return xp.concatenate([values, xp.full((size - len(values),) + values.shape[1:], pad_value, dtype=values.dtype)])


def flip(x, axis=None) -> Tensor:
    """x reversed along ``axis`` (every axis when None)."""
    x = as_tensor(x)
    axes = range(x.data.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    key = [slice(None)] * x.data.ndim
    for a in axes:
        key[a % x.data.ndim] = slice(None, None, -1)
    return getitem(x, tuple(key))


def fliplr(x) -> Tensor:
    return flip(x, axis=1)


def flipud(x) -> Tensor:
    return flip(x, axis=0)


def roll(x, shift, axis=None) -> Tensor:
    """x shifted by ``shift`` places along ``axis`` (the flattened x when None), entries that
    fall off one end coming back at the other."""
    x = as_tensor(x)
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, axis=0), x.data.shape)
    shifts = (shift,) if isinstance(shift, int) else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    for s, a in zip(shifts, axes):
        n = x.data.shape[a]
        if n:
            x = take(x, xp.roll(xp.arange(n), int(s)), axis=a)
    return x


def moveaxis(x, source, destination) -> Tensor:
    """x with the axes ``source`` moved to positions ``destination``, the others in order."""
    x = as_tensor(x)
    permutation = list(range(x.data.ndim))
    sources = [source] if isinstance(source, int) else list(source)
    destinations = [destination] if isinstance(destination, int) else list(destination)
    sources = [s % x.data.ndim for s in sources]
    destinations = [d % x.data.ndim for d in destinations]
    rest = [a for a in permutation if a not in sources]
    for d, src in sorted(zip(destinations, sources)):
        rest.insert(d, src)
    return transpose(x, rest)


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    x = as_tensor(x)
    order = list(range(x.data.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(x, order)


def _triangle_mask(shape: tuple, k: int, lower: bool):
    rows, cols = shape[-2], shape[-1]
    return xp.tri(rows, cols, k, dtype=bool) if lower else ~xp.tri(rows, cols, k - 1, dtype=bool)


def tril(x, k: int = 0) -> Tensor:
    """x with the entries above the k-th diagonal (of the last two axes) set to 0."""
    x = as_tensor(x)
    return where(_triangle_mask(x.data.shape, int(k), lower=True), x, zeros((), x.data.dtype))


def triu(x, k: int = 0) -> Tensor:
    """x with the entries below the k-th diagonal (of the last two axes) set to 0."""
    x = as_tensor(x)
    return where(_triangle_mask(x.data.shape, int(k), lower=False), x, zeros((), x.data.dtype))


def diagonal(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The ``offset`` diagonal of the matrices on axes (axis1, axis2), as a new last axis."""
    x = as_tensor(x)
    ndim = x.data.ndim
    axis1, axis2 = axis1 % ndim, axis2 % ndim
    rest = [a for a in range(ndim) if a not in (axis1, axis2)]
    moved = transpose(x, rest + [axis1, axis2])
    rows, cols = x.data.shape[axis1], x.data.shape[axis2]
    start_row, start_col = (0, offset) if offset >= 0 else (-offset, 0)
    length = builtins.max(0, builtins.min(rows - start_row, cols - start_col))
    steps = xp.arange(length)
    return getitem(moved, (Ellipsis, start_row + steps, start_col + steps))


def diag(x, k: int = 0) -> Tensor:
    """For a vector: the square matrix with x on its k-th diagonal; for a matrix: its k-th
    diagonal. Differentiable both ways."""
    x = as_tensor(x)
    if x.data.ndim == 2:
        return diagonal(x, offset=k)
    if x.data.ndim != 1:
        raise ValueError(f"diag: `x` must be 1-D or 2-D, received shape {x.data.shape}.")
    n = x.data.shape[0] + builtins.abs(k)
    steps = xp.arange(x.data.shape[0])
    positions = xp.stack([steps + builtins.max(-k, 0), steps + builtins.max(k, 0)], axis=-1)
    return scatter(positions, x, (n, n))


def diagflat(x, k: int = 0) -> Tensor:
    return diag(reshape(x, (-1,)), k)


def trace(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The sum of the ``offset`` diagonal (bools and narrow ints sum in int32, as Keras)."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def meshgrid(*x, indexing: str = "xy") -> list:
    """Coordinate grids from 1-D tensors: ``'xy'`` (Cartesian: the first two axes swapped) or
    ``'ij'`` (matrix) indexing; differentiable (broadcasts of the inputs)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: `indexing` must be 'xy' or 'ij', received {indexing!r}.")
    tensors = [reshape(as_tensor(t), (-1,)) for t in x]
    sizes = [t.data.shape[0] for t in tensors]
    if indexing == "xy" and len(tensors) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, t in enumerate(tensors):
        axis = i
        if indexing == "xy" and len(tensors) >= 2 and i < 2:
            axis = 1 - i
        shape = [1] * len(tensors)
        shape[axis] = sizes[axis]
        grids.append(broadcast_to(reshape(t, tuple(shape)), tuple(sizes)))
    return grids


def outer(x1, x2) -> Tensor:
    """The outer product of the flattened x1 and x2."""
    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def inner(x1, x2) -> Tensor:
    """The sum of products over the last axes of x1 and x2."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    if x1.data.ndim == 0 or x2.data.ndim == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([x1.data.ndim - 1], [x2.data.ndim - 1]))


def vdot(x1, x2) -> Tensor:
    return sum(multiply(ravel(x1), ravel(x2)))


def append(x1, x2, axis=None) -> Tensor:
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([x1, x2], axis=axis)


def hstack(xs) -> Tensor:
    tensors = [as_tensor(t) for t in xs]
    return concatenate(tensors, axis=0 if tensors[0].data.ndim == 1 else 1)


def vstack(xs) -> Tensor:
    return concatenate([reshape(t, (1, -1)) if as_tensor(t).data.ndim == 1 else t for t in xs], axis=0)


def diff(a, n: int = 1, axis: int = -1) -> Tensor:
    """The n-th discrete difference along ``axis``."""
    a = as_tensor(a)
    axis = axis % a.data.ndim
    lead = (slice(None),) * axis
    for _ in range(n):
        a = getitem(a, lead + (slice(1, None),)) - getitem(a, lead + (slice(None, -1),))
    return a


def average(x, axis=None, weights=None) -> Tensor:
    """The mean along ``axis``, weighted by ``weights`` (x's shape, or 1-D along ``axis``)."""
    if weights is None:
        return mean(x, axis=axis)
    x, weights = _float(x), as_tensor(weights)
    if weights.data.ndim == 1 and x.data.ndim > 1 and axis is not None:
        shape = [1] * x.data.ndim
        shape[axis] = -1
        weights = reshape(weights, tuple(shape))
    weights = broadcast_to(weights, x.data.shape)
    return divide(sum(multiply(x, weights), axis=axis), sum(weights, axis=axis))


def amax(x, axis=None, keepdims: bool = False) -> Tensor:
    return max(x, axis=axis, keepdims=keepdims)


def amin(x, axis=None, keepdims: bool = False) -> Tensor:
    return min(x, axis=axis, keepdims=keepdims)


def nan_to_num(x, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """x with NaN and infinities replaced;  the gradient passes where x was finite."""
    x = as_tensor(x)
    data = x.data
    replaced = xp.nan_to_num(data, nan=nan, posinf=posinf, neginf=neginf)
    return where(xp.isfinite(data), x, constant(replaced))


def deg2rad(x) -> Tensor:
    return multiply(_float(x), math.pi / 180.0)


def rad2deg(x) -> Tensor:
    return multiply(_float(x), 180.0 / math.pi)


def exp2(x) -> Tensor:
    return power(2.0, _float(x))


def logaddexp(x1, x2) -> Tensor:
    """log(e^x1 + e^x2), without overflow: max + log1p(e^-|x1 - x2|)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    return maximum(x1, x2) + log1p(exp(negative(abs(x1 - x2))))


def hypot(x1, x2) -> Tensor:
    return sqrt(square(_float(x1)) + square(_float(x2)))


def _float(x) -> Tensor:
    x = as_tensor(x)
    return x if x.data.dtype.kind == "f" else cast(x, backend.result_type(x.data.dtype, float))


def pad(x, pad_width, mode: str = "constant", constant_values=None) -> Tensor:
    """x padded by ``pad_width`` ((before, after) per axis, or one pair / one int for all) in
    numpy.pad's ``mode``: 'constant' (with ``constant_values``, 0 by default), or 'reflect',
    'symmetric', 'edge', 'wrap', which repeat entries of x: those read each entry through a
    padded index array, so the gradient of a repeated entry adds up."""
    x = as_tensor(x)
    if mode == "constant":
        return _pad_constant(x, pad_width, constant_values=0 if constant_values is None else constant_values)
    if mode not in ("reflect", "symmetric", "edge", "wrap"):
        raise ValueError(
            f"pad: `mode` must be one of 'constant', 'reflect', 'symmetric', 'edge', 'wrap', received {mode!r}."
        )
    if constant_values is not None:
        raise ValueError(f"pad: `constant_values` only applies to mode='constant', received mode={mode!r}.")
    widths = xp.broadcast_to(xp.asarray(pad_width, dtype=int), (x.data.ndim, 2))
    positions = xp.pad(xp.arange(x.data.size).reshape(x.data.shape), widths, mode=mode)
    return getitem(reshape(x, (-1,)), positions)


# -- more of keras.ops.numpy ----------------------------------------------------------
def copy(x) -> Tensor:
    """x itself as a new tensor (tensors are immutable, so no data is copied)."""
    x = as_tensor(x)
    return reshape(x, x.data.shape)


def array(x, dtype=None) -> Tensor:
    return convert_to_tensor(x, dtype=dtype)


def size(x) -> int:
    return int(xp.size(_raw(x)))


def get_item(x, key) -> Tensor:
    return getitem(x, key)


def divide_no_nan(x1, x2) -> Tensor:
    """x1 / x2, and 0 where x2 is 0 (no NaN, no infinity; the gradient there is 0 too)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    zero = x2.data == 0
    safe = where(zero, constant(xp.ones((), dtype=x2.data.dtype)), x2)
    return where(zero, 0.0, divide(x1, safe))


def fabs(x) -> Tensor:
    """|x| as a float (floatx for ints)."""
    return abs(_float(x))


def fmod(x1, x2) -> Tensor:
    """The remainder of x1 / x2 with x1's sign (C's fmod);  dx1 = g, dx2 = -g trunc(x1 / x2)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    from numeras.autodiff.ops._core import pair

    x1, x2 = pair(x1, x2)
    if x1.data.dtype.kind != "f":
        return constant(xp.fmod(x1.data, x2.data))
    quotient = constant(xp.trunc(x1.data / x2.data))
    return x1 - quotient * x2


def isin(x1, x2, assume_unique: bool = False, invert: bool = False) -> Tensor:
    return constant(xp.isin(_raw(x1), _raw(x2), assume_unique=assume_unique, invert=invert))


def isneginf(x) -> Tensor:
    return constant(xp.isneginf(_raw(x)))


def isposinf(x) -> Tensor:
    return constant(xp.isposinf(_raw(x)))


def signbit(x) -> Tensor:
    return constant(xp.signbit(_raw(x)))


def isreal(x) -> Tensor:
    return constant(xp.isreal(_raw(x)))


def real(x) -> Tensor:
    """The real part: x itself for the real tensors numeras computes with."""
    return as_tensor(x)


def imag(x) -> Tensor:
    """The imaginary part: zeros for real tensors."""
    return zeros_like(x)


def conjugate(x) -> Tensor:
    return as_tensor(x)


conj = conjugate


def angle(x) -> Tensor:
    """The argument of x as a complex number: pi for negative reals, 0 otherwise (floatx)."""
    x = _float(x)
    return constant(xp.where(x.data < 0, xp.pi, 0.0).astype(x.data.dtype))


def ptp(x, axis=None, keepdims: bool = False) -> Tensor:
    """max - min along ``axis``."""
    return max(x, axis=axis, keepdims=keepdims) - min(x, axis=axis, keepdims=keepdims)


_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """The q-th quantiles (q in [0, 1], a number or 1-D) along ``axis``, as numpy.quantile with
    ``method`` linear, lower, higher, midpoint or nearest; q's axis (if any) comes first.
    Differentiable: the sorted entries are interpolated."""
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"quantile: `method` must be one of {_QUANTILE_METHODS}, received {method!r}.")
    x = _float(x)
    ndim = x.data.ndim
    axes = tuple(range(ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(a % ndim for a in axes)
    kept = [a for a in range(ndim) if a not in axes]
    grouped = reshape(transpose(x, kept + list(axes)), tuple(x.data.shape[a] for a in kept) + (-1,))
    ordered = sort(grouped, axis=-1)
    n = ordered.data.shape[-1]
    levels = xp.asarray(_raw(q), dtype=xp.float64)
    position = levels * (n - 1)
    lower = xp.floor(position).astype(xp.intp)
    upper = xp.minimum(lower + 1, n - 1)
    fraction = position - lower
    if method == "lower":
        upper, fraction = lower, xp.zeros_like(fraction)
    elif method == "higher":
        lower = xp.ceil(position).astype(xp.intp)
        upper, fraction = lower, xp.zeros_like(fraction)
    elif method == "nearest":
        lower = xp.round(position).astype(xp.intp)
        upper, fraction = lower, xp.zeros_like(fraction)
    elif method == "midpoint":
        fraction = xp.where(upper > lower, 0.5, 0.0) * (position != lower)
    low_values = take(ordered, lower.reshape(-1), axis=-1)
    high_values = take(ordered, upper.reshape(-1), axis=-1)
    weight = constant(fraction.reshape(-1).astype(x.data.dtype))
    out = low_values + (high_values - low_values) * weight  # (..., len(q))
    out = moveaxis(out, -1, 0)
    if levels.ndim == 0:
        out = reshape(out, out.data.shape[1:])
    if keepdims:
        for a in sorted(axes):
            out = expand_dims(out, a + (1 if levels.ndim else 0))
    return out


def percentile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """quantile(x, q / 100)."""
    return quantile(x, xp.asarray(_raw(q), dtype=xp.float64) / 100.0, axis=axis, method=method, keepdims=keepdims)


def median(x, axis=None, keepdims: bool = False) -> Tensor:
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def select(condlist, choicelist, default=0) -> Tensor:
    """The entry of the first choice whose condition holds, ``default`` where none does."""
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"select: `condlist` and `choicelist` must have the same length, received {len(condlist)} and {len(choicelist)}."
        )
    out = as_tensor(default)
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        out = where(_raw(condition), choice, out)
    return out


def searchsorted(sorted_sequence, values, side: str = "left") -> Tensor:
    """Where each value would be inserted to keep the 1-D ``sorted_sequence`` sorted (int32)."""
    return constant(xp.searchsorted(_raw(sorted_sequence), _raw(values), side=side).astype(xp.int32))


def digitize(x, bins) -> Tensor:
    """The index (int32) of the bin each entry falls in, as numpy.digitize."""
    return constant(xp.digitize(_raw(x), _raw(bins)).astype(xp.int32))


def bincount(x, weights=None, minlength: int = 0, sparse: bool = False) -> Tensor:
    """Occurrences of each non-negative int in the 1-D x (int32), or the sums of ``weights``."""
    values = xp.asarray(_raw(x)).astype(xp.intp)
    if weights is None:
        return constant(xp.bincount(values, minlength=minlength).astype(xp.int32))
    w = _raw(as_tensor(weights))
    return constant(xp.bincount(values, weights=w, minlength=minlength).astype(w.dtype))


def rot90(array, k: int = 1, axes=(0, 1)) -> Tensor:
    """``array`` rotated by 90 degrees k times in the plane of ``axes`` (first towards second)."""
    x = as_tensor(array)
    a, b = axes
    k %= 4
    if k == 1:
        return swapaxes(flip(x, axis=b), a, b)
    if k == 2:
        return flip(flip(x, axis=a), axis=b)
    if k == 3:
        return flip(swapaxes(x, a, b), axis=b)
    return x


def kron(x1, x2) -> Tensor:
    """The Kronecker product: each entry of x1 times a block x2 (differentiable)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    ndim = builtins.max(x1.data.ndim, x2.data.ndim)
    a = reshape(x1, (1,) * (ndim - x1.data.ndim) + x1.data.shape)
    b = reshape(x2, (1,) * (ndim - x2.data.ndim) + x2.data.shape)
    interleaved_a = tuple(v for n in a.data.shape for v in (n, 1))
    interleaved_b = tuple(v for n in b.data.shape for v in (1, n))
    product = multiply(reshape(a, interleaved_a), reshape(b, interleaved_b))
    return reshape(product, tuple(m * n for m, n in zip(a.data.shape, b.data.shape)))


def cross(x1, x2, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None) -> Tensor:
    """The cross product of 3-vectors (2-vectors are taken with a zero third component)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(as_tensor(x1), axisa, -1), moveaxis(as_tensor(x2), axisb, -1)
    a, b = _three_components(a), _three_components(b)
    a0, a1, a2 = (getitem(a, (Ellipsis, i)) for i in range(3))
    b0, b1, b2 = (getitem(b, (Ellipsis, i)) for i in range(3))
    out = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(out, -1, axisc)


def _three_components(v: Tensor) -> Tensor:
    if v.data.shape[-1] == 3:
        return v
    if v.data.shape[-1] != 2:
        raise ValueError(f"cross: vectors must have 2 or 3 components, received {v.data.shape[-1]}.")
    return _pad_constant(v, [(0, 0)] * (v.data.ndim - 1) + [(0, 1)])


def sinc(x) -> Tensor:
    """sin(pi x) / (pi x), 1 at 0 (whose gradient, 0, comes out right)."""
    x = _float(x)
    zero = x.data == 0
    safe = where(zero, constant(xp.ones((), dtype=x.data.dtype)), x)
    scaled = multiply(safe, math.pi)
    return where(zero, constant(xp.ones((), dtype=x.data.dtype)), divide(elementary.sin(scaled), scaled))


def heaviside(x1, x2) -> Tensor:
    """0 where x1 < 0, 1 where x1 > 0, x2 where x1 == 0 (floats; no gradient)."""
    x1, x2 = _float(x1), as_tensor(x2)
    return constant(xp.heaviside(x1.data, x2.data.astype(x1.data.dtype)))


def logaddexp2(x1, x2) -> Tensor:
    """log2(2^x1 + 2^x2), without overflow."""
    x1, x2 = _float(x1), _float(x2)
    return maximum(x1, x2) + divide(log1p(exp2(negative(abs(x1 - x2)))), math.log(2.0))


def ldexp(x1, x2) -> Tensor:
    """x1 * 2**x2."""
    return multiply(_float(x1), exp2(x2))


def array_split(x, indices_or_sections, axis: int = 0) -> list:
    """x cut along ``axis`` into near-equal sections (the first ones one longer), or at indices."""
    x = as_tensor(x)
    if isinstance(indices_or_sections, int):
        n = x.data.shape[axis]
        sections = indices_or_sections
        sizes = [n // sections + (1 if i < n % sections else 0) for i in range(sections)]
        indices_or_sections = list(xp.cumsum(sizes)[:-1])
    return split(x, indices_or_sections, axis=axis)


def hsplit(x, indices_or_sections) -> list:
    return split(x, indices_or_sections, axis=1 if as_tensor(x).data.ndim > 1 else 0)


def vsplit(x, indices_or_sections) -> list:
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections) -> list:
    return split(x, indices_or_sections, axis=2)


def dstack(xs) -> Tensor:
    tensors = [as_tensor(t) for t in xs]
    tensors = [reshape(t, (1, -1, 1)) if t.data.ndim == 1 else (expand_dims(t, -1) if t.data.ndim == 2 else t) for t in tensors]
    return concatenate(tensors, axis=2)


def trapezoid(y, x=None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """The integral of y along ``axis`` by the trapezoidal rule (samples at x, or dx apart)."""
    y = _float(y)
    axis = axis % y.data.ndim
    lead = (slice(None),) * axis
    pairs = getitem(y, lead + (slice(1, None),)) + getitem(y, lead + (slice(None, -1),))
    if x is None:
        return multiply(sum(pairs, axis=axis), dx / 2.0)
    widths = diff(x, axis=-1 if as_tensor(x).data.ndim == 1 else axis)
    if widths.data.ndim == 1 and y.data.ndim > 1:
        shape = [1] * y.data.ndim
        shape[axis] = -1
        widths = reshape(widths, tuple(shape))
    return multiply(sum(multiply(pairs, widths), axis=axis), 0.5)


def vander(x, N=None, increasing: bool = False) -> Tensor:  # noqa: N803 - Keras's argument name
    """Columns of powers of the 1-D x (decreasing unless ``increasing``)."""
    x = as_tensor(x)
    n = x.data.shape[0] if N is None else int(N)
    exponents = range(n) if increasing else range(n - 1, -1, -1)
    return stack([power(x, e) if e else ones_like(x) for e in exponents], axis=1)


def geomspace(start, stop, num: int = 50, endpoint: bool = True, dtype=None, axis: int = 0) -> Tensor:
    dtype = backend.result_type(_scalar_kind(start), _scalar_kind(stop), float) if dtype is None else dtype
    values = xp.geomspace(_raw(start), _raw(stop), int(num), endpoint=endpoint, axis=axis)
    return constant(values.astype(backend.standardize_dtype(dtype)))


def _window(values) -> Tensor:
    return constant(values.astype(backend.floatx()))


def hamming(x) -> Tensor:
    return _window(xp.hamming(int(_raw(x))))


def hanning(x) -> Tensor:
    return _window(xp.hanning(int(_raw(x))))


def blackman(x) -> Tensor:
    return _window(xp.blackman(int(_raw(x))))


def bartlett(x) -> Tensor:
    return _window(xp.bartlett(int(_raw(x))))


def kaiser(x, beta) -> Tensor:
    return _window(xp.kaiser(int(_raw(x)), float(_raw(beta))))


def argpartition(x, kth, axis: int = -1) -> Tensor:
    return constant(xp.argpartition(_raw(as_tensor(x)), kth, axis=axis).astype(xp.int32))


def unravel_index(indices, shape) -> tuple:
    return tuple(constant(i.astype(xp.int32)) for i in xp.unravel_index(_raw(indices), tuple(shape)))


def _integer_op(function):
    def op(x1, x2) -> Tensor:
        return constant(xp.asarray(function(_raw(as_tensor(x1)), _raw(as_tensor(x2)))))

    op.__name__ = op.__qualname__ = function.__name__
    op.__doc__ = f"numpy.{function.__name__} on integer (or bool) tensors; not differentiable."
    return op


gcd = _integer_op(xp.gcd)
lcm = _integer_op(xp.lcm)
bitwise_and = _integer_op(xp.bitwise_and)
bitwise_or = _integer_op(xp.bitwise_or)
bitwise_xor = _integer_op(xp.bitwise_xor)
bitwise_left_shift = left_shift = _integer_op(xp.left_shift)
bitwise_right_shift = right_shift = _integer_op(xp.right_shift)


def bitwise_invert(x) -> Tensor:
    return constant(xp.invert(_raw(as_tensor(x))))


bitwise_not = bitwise_invert


def nextafter(x1, x2) -> Tensor:
    x1, x2 = _float(x1), _float(x2)
    return constant(xp.nextafter(x1.data, x2.data.astype(x1.data.dtype)))


def view(x, dtype=None) -> Tensor:
    """x's bytes read as ``dtype`` (not differentiable)."""
    data = _raw(as_tensor(x))
    return constant(data if dtype is None else data.view(backend.standardize_dtype(dtype)))


def _without_nan(x, fill) -> Tensor:
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        return x
    return where(xp.isnan(x.data), constant(xp.asarray(fill, dtype=x.data.dtype)), x)


def nansum(x, axis=None, keepdims: bool = False) -> Tensor:
    return sum(_without_nan(x, 0), axis=axis, keepdims=keepdims)


def nanprod(x, axis=None, keepdims: bool = False) -> Tensor:
    return prod(_without_nan(x, 1), axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims: bool = False) -> Tensor:
    x = _float(x)
    present = constant((~xp.isnan(x.data)).astype(x.data.dtype))
    return divide(nansum(x, axis=axis, keepdims=keepdims), sum(present, axis=axis, keepdims=keepdims))


def nanvar(x, axis=None, keepdims: bool = False) -> Tensor:
    x = _float(x)
    centred = x - nanmean(x, axis=axis, keepdims=True)
    return nanmean(square(centred), axis=axis, keepdims=keepdims)


def nanstd(x, axis=None, keepdims: bool = False) -> Tensor:
    return sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def nanmax(x, axis=None, keepdims: bool = False) -> Tensor:
    return max(_without_nan(x, -xp.inf), axis=axis, keepdims=keepdims)


def nanmin(x, axis=None, keepdims: bool = False) -> Tensor:
    return min(_without_nan(x, xp.inf), axis=axis, keepdims=keepdims)


def nanargmax(x, axis=None, keepdims: bool = False) -> Tensor:
    return argmax(_without_nan(x, -xp.inf), axis=axis, keepdims=keepdims)


def nanargmin(x, axis=None, keepdims: bool = False) -> Tensor:
    return argmin(_without_nan(x, xp.inf), axis=axis, keepdims=keepdims)


def nancumsum(x, axis=None, dtype=None) -> Tensor:
    return cumsum(_without_nan(x, 0), axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None) -> Tensor:
    return cumprod(_without_nan(x, 1), axis=axis, dtype=dtype)


def fmax(x1, x2) -> Tensor:
    """The larger of x1 and x2, ignoring a NaN on either side (NaN only where both are)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    bigger = maximum(x1, x2)
    if bigger.data.dtype.kind != "f":
        return bigger
    return where(xp.isnan(_raw(x1)), x2, where(xp.isnan(_raw(x2)), x1, bigger))


def fmin(x1, x2) -> Tensor:
    """The smaller of x1 and x2, ignoring a NaN on either side."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    smaller = minimum(x1, x2)
    if smaller.data.dtype.kind != "f":
        return smaller
    return where(xp.isnan(_raw(x1)), x2, where(xp.isnan(_raw(x2)), x1, smaller))


def correlate(x1, x2, mode: str = "valid") -> Tensor:
    """The cross-correlation of two 1-D tensors, as numpy.correlate (``mode`` valid, same or
    full); differentiable in both (a gather of x1's windows times x2)."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: `mode` must be 'valid', 'same' or 'full', received {mode!r}.")
    x1, x2 = _float(x1), _float(x2)
    n, m = x1.data.shape[0], x2.data.shape[0]
    if mode == "valid":
        before = after = 0
    elif mode == "full":
        before = after = m - 1
    else:
        before, after = m // 2, m - 1 - m // 2
    if n < m and mode == "valid":
        # NumPy swaps the operands when the second is longer; so does the gather, reversed.
        return flip(correlate(x2, x1, mode))
    padded = _pad_constant(x1, [(before, after)]) if before or after else x1
    count = padded.data.shape[0] - m + 1
    windows = getitem(padded, xp.arange(count)[:, None] + xp.arange(m)[None, :])
    return matmul(windows, x2)


def corrcoef(x) -> Tensor:
    """The Pearson correlation coefficients of the rows of x (variables) over its columns."""
    x = _float(x)
    centred = x - mean(x, axis=-1, keepdims=True)
    covariance = matmul(centred, transpose(centred))
    scale = sqrt(diagonal(covariance))
    return divide(divide(covariance, expand_dims(scale, 0)), expand_dims(scale, 1))


def histogram(x, bins: int = 10, range=None) -> tuple:  # noqa: A002 - Keras's argument name
    """(counts, bin edges) of the 1-D x over ``bins`` equal bins of ``range``, both in x's
    float dtype (floatx for ints), as Keras gives them."""
    data = _raw(_float(x))
    if data.ndim != 1:
        raise ValueError(f"histogram: `x` must be 1-D, received shape {data.shape}; flatten it first.")
    counts, edges = xp.histogram(data, bins=int(bins), range=range)
    return constant(counts.astype(data.dtype)), constant(edges.astype(data.dtype))


def i0(x) -> Tensor:
    """The modified Bessel function of the first kind, order 0 (not differentiable)."""
    x = _float(x)
    return constant(xp.i0(x.data).astype(x.data.dtype))


def nanquantile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """quantile ignoring NaN entries (computed by NumPy; not differentiable)."""
    x = _float(x)
    values = xp.nanquantile(x.data, _raw(q), axis=_axis(axis), method=method, keepdims=keepdims)
    return constant(xp.asarray(values, dtype=x.data.dtype))


def nanpercentile(x, q, axis=None, method: str = "linear", keepdims: bool = False) -> Tensor:
    return nanquantile(x, xp.asarray(_raw(q), dtype=xp.float64) / 100.0, axis=axis, method=method, keepdims=keepdims)


def nanmedian(x, axis=None, keepdims: bool = False) -> Tensor:
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` applied element by element to broadcast tensor arguments (each call gets 0-d
    tensors), the results stacked back into the broadcast shape; differentiable through pyfunc's
    ops. Arguments named in ``excluded`` (positions or keywords) are passed unchanged."""
    if signature is not None:
        raise NotImplementedError("vectorize: `signature` is not supported by numeras; apply the function with ops.map.")
    excluded = set(excluded or ())

    def vectorized(*args, **kwargs):
        positions = [i for i in range(len(args)) if i not in excluded]
        names = [k for k in kwargs if k not in excluded]
        tensors = [as_tensor(args[i]) for i in positions] + [as_tensor(kwargs[k]) for k in names]
        shape = xp.broadcast_shapes(*(t.data.shape for t in tensors)) if tensors else ()
        flat = [reshape(broadcast_to(t, shape), (-1,)) for t in tensors]
        results = []
        for index in range(math.prod(shape)):
            call_args, call_kwargs = list(args), dict(kwargs)
            for slot, t in zip(positions + names, flat):
                value = getitem(t, index)
                if isinstance(slot, int):
                    call_args[slot] = value
                else:
                    call_kwargs[slot] = value
            results.append(as_tensor(pyfunc(*call_args, **call_kwargs)))
        return reshape(stack(results), shape) if results else zeros(shape)

    return vectorized


# -- more of keras.ops.nn --------------------------------------------------------------
def log_sigmoid(x) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), without overflow."""
    return negative(softplus(negative(_float(x))))


def hard_tanh(x) -> Tensor:
    return clip(x, -1.0, 1.0)


hard_swish = hard_silu


def celu(x, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (e^(x / alpha) - 1) otherwise."""
    x = _float(x)
    return where(x.data > 0, x, multiply(exp(divide(minimum(x, 0.0), alpha)) - 1.0, alpha))


def glu(x, axis: int = -1) -> Tensor:
    """a * sigmoid(b), a and b the two halves of x along ``axis``."""
    a, b = split(x, 2, axis=axis)
    return multiply(a, sigmoid(b))


def hard_shrink(x, threshold: float = 0.5) -> Tensor:
    x = as_tensor(x)
    return where(xp.abs(x.data) > threshold, x, 0.0)


def soft_shrink(x, threshold: float = 0.5) -> Tensor:
    x = as_tensor(x)
    return where(x.data > threshold, x - threshold, where(x.data < -threshold, x + threshold, 0.0))


def tanh_shrink(x) -> Tensor:
    x = _float(x)
    return x - tanh(x)


def squareplus(x, b: float = 4.0) -> Tensor:
    """(x + sqrt(x^2 + b)) / 2."""
    x = _float(x)
    return multiply(x + sqrt(square(x) + b), 0.5)


def threshold(x, threshold, default_value) -> Tensor:  # noqa: A002 - Keras's argument name
    """x where x > threshold, ``default_value`` elsewhere."""
    x = as_tensor(x)
    return where(x.data > threshold, x, default_value)


def sparse_plus(x) -> Tensor:
    """0 for x <= -1, (x + 1)^2 / 4 between, x for x >= 1."""
    x = _float(x)
    return where(x.data <= -1, 0.0, where(x.data >= 1, x, multiply(square(x + 1.0), 0.25)))


def sparse_sigmoid(x) -> Tensor:
    """0 for x <= -1, (x + 1) / 2 between, 1 for x >= 1."""
    x = _float(x)
    return where(x.data <= -1, 0.0, where(x.data >= 1, 1.0, multiply(x + 1.0, 0.5)))


def normalize(x, axis: int = -1, order: int = 2, epsilon=None) -> Tensor:
    """x divided by its ``order``-norm along ``axis`` (at least ``epsilon``, backend.epsilon())."""
    x = _float(x)
    eps = backend.epsilon() if epsilon is None else epsilon
    if order == 2:
        # sqrt(max(sum x^2, eps^2)) == max(||x||, eps), with a finite gradient at a zero vector.
        length = sqrt(maximum(sum(square(x), axis=axis, keepdims=True), eps * eps))
    else:
        length = maximum(power(sum(power(abs(x), float(order)), axis=axis, keepdims=True), 1.0 / order), eps)
    return divide(x, length)


def rms_normalization(x, scale=None, axis: int = -1, epsilon=None) -> Tensor:
    """x / sqrt(mean(x^2) + epsilon) along ``axis``, times ``scale`` when given."""
    x = _float(x)
    eps = backend.epsilon() if epsilon is None else epsilon
    out = x * elementary.rsqrt(mean(square(x), axis=axis, keepdims=True) + eps)
    return out if scale is None else multiply(out, scale)


def layer_normalization(x, gamma=None, beta=None, axis: int = -1, epsilon=None, rms_scaling: bool = False) -> Tensor:
    """(x - mean) / sqrt(var + epsilon) along ``axis`` (epsilon: backend.epsilon()), scaled by
    ``gamma`` and shifted by ``beta`` when given. ``rms_scaling`` (deprecated in Keras, kept for
    its results) divides x itself by sqrt(var + epsilon) and ignores ``beta``, as Keras does."""
    x = _float(x)
    eps = backend.epsilon() if epsilon is None else epsilon
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    centred = x - mean(x, axis=axes, keepdims=True)
    inverse = elementary.rsqrt(mean(square(centred), axis=axes, keepdims=True) + eps)
    if rms_scaling:
        out = x * inverse
        return out if gamma is None else multiply(out, gamma)
    out = centred * inverse
    if gamma is not None:
        out = multiply(out, gamma)
    if beta is not None:
        out = out + beta
    return out


def multi_hot(inputs, num_classes: int, axis: int = -1, dtype=None, sparse: bool = False) -> Tensor:
    """For each row of class ids, ones at those ids (the last axis of ids is reduced)."""
    labels = xp.asarray(_raw(inputs))
    if labels.ndim == 0:
        labels = labels[None]
    hot = (labels[..., None] == xp.arange(num_classes)).any(axis=-2)
    out = hot.astype(backend.standardize_dtype(dtype))
    if axis != -1:
        out = xp.moveaxis(out, -1, axis)
    return constant(out)


def psnr(x1, x2, max_val) -> Tensor:
    """The peak signal-to-noise ratio 20 log10(max_val) - 10 log10(mean((x1 - x2)^2))."""
    x1, x2 = _float(x1), _float(x2)
    mse = mean(square(x1 - x2))
    return multiply(elementary.log10(mse), -10.0) + 20.0 * math.log10(float(max_val))


def sparsemax(x, axis: int = -1) -> Tensor:
    """The Euclidean projection of x onto the probability simplex along ``axis`` (Martins &
    Astudillo 2016): max(x - tau, 0), tau chosen so the entries sum to 1; differentiable."""
    x = moveaxis(_float(x), axis, -1)
    n = x.data.shape[-1]
    ordered = flip(sort(x, axis=-1), axis=-1)
    running = cumsum(ordered, axis=-1)
    ranks = xp.arange(1, n + 1, dtype=x.data.dtype)
    support = (1 + ranks * ordered.data) > running.data
    size = support.sum(axis=-1, keepdims=True)
    tau = divide(take_along_axis(running, size - 1, axis=-1) - 1.0, constant(size.astype(x.data.dtype)))
    return moveaxis(maximum(x - tau, 0.0), -1, axis)


def depth_to_space(x, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Channels moved into block_size x block_size spatial blocks (pixel shuffle), as Keras."""
    x = as_tensor(x)
    b = int(block_size)
    if data_format == "channels_last":
        n, h, w, c = x.data.shape
        x = transpose(reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
        return reshape(x, (n, h * b, w * b, c // (b * b)))
    n, c, h, w = x.data.shape
    x = transpose(reshape(x, (n, c // (b * b), b, b, h, w)), (0, 1, 4, 2, 5, 3))
    return reshape(x, (n, c // (b * b), h * b, w * b))


def space_to_depth(x, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Spatial block_size x block_size blocks moved into channels (the inverse of depth_to_space)."""
    x = as_tensor(x)
    b = int(block_size)
    if data_format == "channels_last":
        n, h, w, c = x.data.shape
        x = transpose(reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
        return reshape(x, (n, h // b, w // b, c * b * b))
    n, c, h, w = x.data.shape
    x = transpose(reshape(x, (n, c, h // b, b, w // b, b)), (0, 1, 3, 5, 2, 4))
    return reshape(x, (n, c * b * b, h // b, w // b))


_NOT_OPS = {
    "annotations", "builtins", "math", "Sequence", "backend", "xp", "Tensor", "PRIMITIVES",
    "as_tensor", "constant", "record", "elementwise", "linalg", "nn", "reduction",
    "accumulate", "decompositions", "elementary",
}
__all__ = [name for name in dir() if not name.startswith("_") and name not in _NOT_OPS]
