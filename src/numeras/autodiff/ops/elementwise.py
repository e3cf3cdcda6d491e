"""Element-wise primitives. Each forward works on raw arrays and its ``vjp`` closure keeps only
what the gradient formula needs. Broadcasting is undone by the backward pass, not here."""

from __future__ import annotations

import math

from numeras.autodiff.ops._core import as_tensor, constant, float_operand, pair, promote, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import kernels, standardize_dtype, xp


def add(x, y) -> Tensor:
    """z = x + y;  dx = g, dy = g."""
    x, y = pair(x, y)
    return record(x.data + y.data, (x, y), lambda g: (g, g))


def subtract(x, y) -> Tensor:
    """z = x - y;  dx = g, dy = -g."""
    x, y = pair(x, y)
    need_y = y.requires_grad
    return record(x.data - y.data, (x, y), lambda g: (g, -g if need_y else None))


def multiply(x, y) -> Tensor:
    """z = x * y;  dx = g * y, dy = g * x."""
    x, y = pair(x, y)
    a, b = x.data, y.data
    need_x, need_y = x.requires_grad, y.requires_grad

    def vjp(g):
        return (g * b if need_x else None, g * a if need_y else None)

    return record(a * b, (x, y), vjp)


def divide(x, y) -> Tensor:
    """z = x / y;  dx = g / y, dy = -g * z / y."""
    x, y = pair(x, y)
    if x.data.dtype.kind != "f":  # ints and bools divide into floatx (result_type(x, y, float))
        x, y = float_operand(x), float_operand(y)
    b = y.data
    z = x.data / b
    need_y = y.requires_grad

    def vjp(g):
        gx = g / b
        return (gx, -gx * z if need_y else None)

    return record(z, (x, y), vjp)


def negative(x) -> Tensor:
    """z = -x;  dx = -g."""
    x = as_tensor(x)
    return record(-x.data, (x,), lambda g: (-g,))


def power(x, y) -> Tensor:
    """z = x ** y;  dx = g * y * x ** (y - 1), dy = g * z * log(x) (taken as 0 where x <= 0)."""
    x, y = pair(x, y)
    if x.data.dtype.kind == "b":  # Keras: bool ** bool is int32
        x, y = _bool_as_int(x), _bool_as_int(y)
    a, b = x.data, y.data
    z = a**b
    need_x, need_y = x.requires_grad, y.requires_grad

    def vjp(g):
        gx = g * b * a ** (b - 1) if need_x else None
        gy = None
        if need_y:
            positive = a > 0
            gy = g * z * xp.log(xp.where(positive, a, 1)) * positive
        return gx, gy

    return record(z, (x, y), vjp)


def exp(x) -> Tensor:
    """z = e^x;  dx = g * z."""
    x = float_operand(x)
    z = xp.exp(x.data)
    return record(z, (x,), lambda g: (g * z,))


def log(x) -> Tensor:
    """z = ln x;  dx = g / x."""
    x = _as_float(x)
    a = x.data
    return record(xp.log(a), (x,), lambda g: (g / a,))


def log1p(x) -> Tensor:
    """z = ln(1 + x), accurate near 0;  dx = g / (1 + x)."""
    x = _as_float(x)
    a = x.data
    return record(xp.log1p(a), (x,), lambda g: (g / (1 + a),))


def sqrt(x) -> Tensor:
    """z = sqrt(x);  dx = g / (2 z)."""
    x = _as_float(x)
    z = xp.sqrt(x.data)
    return record(z, (x,), lambda g: (g / (2 * z),))


def abs(x) -> Tensor:  # noqa: A001 - Keras's name
    """z = |x|;  dx = g * sign(x)."""
    x = as_tensor(x)
    a = x.data
    return record(xp.abs(a), (x,), lambda g: (g * xp.sign(a),))


def sign(x) -> Tensor:
    """z = sign(x); piecewise constant, so it has no gradient."""
    return constant(xp.sign(as_tensor(x).data))


def maximum(x, y) -> Tensor:
    """z = max(x, y);  the gradient goes to x where x >= y, to y elsewhere."""
    x, y = pair(x, y)
    x_wins = x.data >= y.data
    need_y = y.requires_grad

    def vjp(g):
        return g * x_wins, (g * ~x_wins if need_y else None)

    return record(xp.maximum(x.data, y.data), (x, y), vjp)


def minimum(x, y) -> Tensor:
    """z = min(x, y);  the gradient goes to x where x <= y, to y elsewhere."""
    x, y = pair(x, y)
    x_wins = x.data <= y.data
    need_y = y.requires_grad

    def vjp(g):
        return g * x_wins, (g * ~x_wins if need_y else None)

    return record(xp.minimum(x.data, y.data), (x, y), vjp)


def where(condition, x1=None, x2=None) -> Tensor:
    """z = x1 where condition else x2;  dx1 = g masked by condition, dx2 = g masked by its negation."""
    cond = condition.data if isinstance(condition, Tensor) else xp.asarray(condition)
    if x1 is None and x2 is None:
        return constant(xp.stack(xp.nonzero(cond), axis=-1))
    x1, x2 = pair(x1, x2)
    cond = cond.astype(bool, copy=False)
    zero = xp.zeros((), dtype=x1.data.dtype)

    def vjp(g):
        return xp.where(cond, g, zero), xp.where(cond, zero, g)

    return record(xp.where(cond, x1.data, x2.data), (x1, x2), vjp)


def clip(x, x_min, x_max) -> Tensor:
    """z = min(max(x, x_min), x_max);  dx = g where x_min <= x <= x_max, else 0."""
    x = as_tensor(x)
    a = x.data
    lo = x_min.data if isinstance(x_min, Tensor) else x_min
    hi = x_max.data if isinstance(x_max, Tensor) else x_max
    inside = (a >= lo) & (a <= hi)
    out = xp.clip(a, lo, hi)
    if out.dtype != a.dtype:
        out = out.astype(a.dtype)
    return record(out, (x,), lambda g: (g * inside,))


def tanh(x) -> Tensor:
    """z = tanh x;  dx = g * (1 - z^2)."""
    x = _as_float(x)
    z = xp.tanh(x.data)
    return record(z, (x,), lambda g: (g * (1 - z * z),))


def sigmoid(x) -> Tensor:
    """z = 1 / (1 + e^-x), computed as (1 + tanh(x/2)) / 2 so it never overflows;  dx = g z (1 - z)."""
    x = _as_float(x)
    z = xp.tanh(x.data * 0.5)
    z += 1
    z *= 0.5
    out = record(z, (x,), lambda g: (g * z * (1 - z),))
    # Binary cross-entropy uses the logits for its exact, fused gradient (as Keras/TF does).
    out._from_logits = ("sigmoid", x)
    return out


def relu(x) -> Tensor:
    """z = max(x, 0);  dx = g where x > 0 (0 at x = 0, as Keras)."""
    x = as_tensor(x)
    if x.data.dtype.kind == "b":  # Keras: relu of bool is int32
        x = _bool_as_int(x)
    z = kernels.relu(x.data)
    return record(z, (x,), lambda g: (relu_grad(g, z),))


def relu_grad(g, z):
    """g where z > 0, else 0: the VJP of relu given its output z (z > 0 exactly where its input
    is). A new array; ``g`` is only read."""
    result = xp.empty(z.shape, dtype=g.dtype)
    kernels.relu_grad(g, z, result)
    return result


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _chebyshev_fit(f, degree: int, lo: float, hi: float) -> list[float]:
    """Coefficients c_k of sum c_k T_k(s) interpolating ``f`` on [lo, hi] (s in [-1, 1] maps to it).

    Evaluated once at import at degree + 1 points, with Python's correctly rounded ``math`` functions.
    """
    import numpy

    def on_interval(s):
        return numpy.array([f(lo + (hi - lo) * (v + 1.0) / 2.0) for v in s])

    return [float(c) for c in numpy.polynomial.chebyshev.chebinterpolate(on_interval, degree)]


def _chebyshev_eval(coefficients: list[float], s):
    """sum c_k T_k(s) by Clenshaw's recurrence: b_k = c_k + 2 s b_(k+1) - b_(k+2)."""
    two_s = 2 * s
    b1 = b2 = 0.0
    for c in reversed(coefficients[1:]):
        b1, b2 = two_s * b1 - b2 + c, b1
    return s * b1 - b2 + coefficients[0]


# erf(x) / x as a function of u = x^2 on [0, 4], i.e. for |x| <= 2 (relative error ~3e-15) ...
_ERF_SMALL = _chebyshev_fit(
    lambda u: math.erf(math.sqrt(u)) / math.sqrt(u) if u > 0 else _TWO_OVER_SQRT_PI, 18, 0.0, 4.0
)
# ... and the scaled complement erfc(x) e^(x^2) on [2, 6]. Beyond 6, 1 - erf(x) < 2e-17: erf is +-1.
_ERFC_SCALED_LARGE = _chebyshev_fit(lambda v: math.erfc(v) * math.exp(v * v), 24, 2.0, 6.0)


def _erf_array(a):
    out = xp.empty_like(a)
    small = xp.abs(a) <= 2
    x = a[small]
    out[small] = x * _chebyshev_eval(_ERF_SMALL, x * x * 0.5 - 1.0)
    x = a[~small]
    scaled_complement = _chebyshev_eval(_ERFC_SCALED_LARGE, xp.minimum(xp.abs(x), 6.0) * 0.5 - 2.0)
    out[~small] = xp.sign(x) * (1.0 - xp.exp(-x * x) * scaled_complement)
    return out


def erf(x) -> Tensor:
    """z = erf x;  dx = g * 2/sqrt(pi) * e^(-x^2).

    NumPy has no erf: the forward evaluates Chebyshev fits (to within a few ulps in float64) of
    erf(x)/x for |x| <= 2 and of erfc(x) e^(x^2) for 2 < |x| <= 6, each element only on its own range.
    """
    x = _as_float(x)
    a = x.data
    return record(_erf_array(a), (x,), lambda g: (g * (_TWO_OVER_SQRT_PI * xp.exp(-a * a)).astype(a.dtype, copy=False),))


def cast(x, dtype) -> Tensor:
    """z = x as ``dtype``;  dx = g cast back (no gradient into integer inputs)."""
    x = as_tensor(x)
    name = standardize_dtype(dtype)
    if standardize_dtype(x.data.dtype) == name:
        return x
    target = xp.dtype(name)
    source = x.data.dtype
    if target.kind != "f" or source.kind != "f":
        return constant(x.data.astype(target))
    return record(x.data.astype(target), (x,), lambda g: (g.astype(source),))


def stop_gradient(x) -> Tensor:
    """The same values, treated as a constant by differentiation."""
    return constant(as_tensor(x).data)


_as_float = float_operand


def _bool_as_int(x: Tensor) -> Tensor:
    """A bool tensor as int (floatx's width), Keras's dtype for arithmetic on bools."""
    from numeras.backend import result_type

    return promote(x, xp.dtype(result_type(bool, int)))
