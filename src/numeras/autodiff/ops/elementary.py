"""More element-wise primitives: trigonometric and hyperbolic functions and their inverses,
``expm1``, ``log2``, ``log10``, ``cbrt``, ``rsqrt``, ``erfinv``, ``arctan2`` and ``mod``; and the
piecewise-constant ``floor``, ``ceil``, ``trunc``, ``round`` and ``floor_divide`` (no gradient).

Float-valued functions of bools and ints compute in floatx, as Keras's do. Each derivative is
evaluated in the VJP from the saved input (and output where cheaper), in the input's dtype.
"""

from __future__ import annotations

import math

from numeras.autodiff.ops._core import as_tensor, constant, float_operand, pair, promote, record
from numeras.autodiff.ops.elementwise import _erf_array
from numeras.autodiff.tensor import Tensor
from numeras.backend import result_type, xp

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _unary(forward, derivative, name: str, formula: str):
    """A float-valued element-wise primitive: z = forward(x);  dx = g * derivative(x, z)."""

    def op(x) -> Tensor:
        x = float_operand(x)
        a = x.data
        z = forward(a)
        return record(z, (x,), lambda g: (g * derivative(a, z),))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{formula} Ints and bools give floatx."
    return op


sin = _unary(xp.sin, lambda a, z: xp.cos(a), "sin", "z = sin x;  dx = g cos x.")
cos = _unary(xp.cos, lambda a, z: -xp.sin(a), "cos", "z = cos x;  dx = -g sin x.")
tan = _unary(xp.tan, lambda a, z: 1 + z * z, "tan", "z = tan x;  dx = g (1 + z^2).")
arcsin = _unary(xp.arcsin, lambda a, z: 1 / xp.sqrt(1 - a * a), "arcsin", "z = arcsin x;  dx = g / sqrt(1 - x^2).")
arccos = _unary(xp.arccos, lambda a, z: -1 / xp.sqrt(1 - a * a), "arccos", "z = arccos x;  dx = -g / sqrt(1 - x^2).")
arctan = _unary(xp.arctan, lambda a, z: 1 / (1 + a * a), "arctan", "z = arctan x;  dx = g / (1 + x^2).")
sinh = _unary(xp.sinh, lambda a, z: xp.cosh(a), "sinh", "z = sinh x;  dx = g cosh x.")
cosh = _unary(xp.cosh, lambda a, z: xp.sinh(a), "cosh", "z = cosh x;  dx = g sinh x.")
arcsinh = _unary(xp.arcsinh, lambda a, z: 1 / xp.sqrt(a * a + 1), "arcsinh", "z = arcsinh x;  dx = g / sqrt(x^2 + 1).")
arccosh = _unary(xp.arccosh, lambda a, z: 1 / xp.sqrt(a * a - 1), "arccosh", "z = arccosh x;  dx = g / sqrt(x^2 - 1).")
arctanh = _unary(xp.arctanh, lambda a, z: 1 / (1 - a * a), "arctanh", "z = arctanh x;  dx = g / (1 - x^2).")
expm1 = _unary(xp.expm1, lambda a, z: z + 1, "expm1", "z = e^x - 1, accurate near 0;  dx = g (z + 1).")
log2 = _unary(xp.log2, lambda a, z: 1 / (a * _LN2), "log2", "z = log2 x;  dx = g / (x ln 2).")
log10 = _unary(xp.log10, lambda a, z: 1 / (a * _LN10), "log10", "z = log10 x;  dx = g / (x ln 10).")
cbrt = _unary(xp.cbrt, lambda a, z: 1 / (3 * z * z), "cbrt", "z = x^(1/3) (real, also for x < 0);  dx = g / (3 z^2).")


rsqrt = _unary(lambda a: 1 / xp.sqrt(a), lambda a, z: -0.5 * z * z * z, "rsqrt", "z = 1 / sqrt x;  dx = -g z^3 / 2.")

_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0


def _erfinv_array(y):
    """The x with erf(x) = y, for y in [-1, 1]: Winitzki's closed-form estimate refined by
    Newton's method on numeras's erf (quadratic convergence; five steps reach float64 accuracy
    for |y| <= 1 - 1e-15), computed in float64 and returned in y's dtype."""
    y64 = y.astype(xp.float64)
    a = 0.147
    log_term = xp.log1p(-y64 * y64)
    first = 2 / (math.pi * a) + log_term / 2
    x = xp.sign(y64) * xp.sqrt(xp.sqrt(first * first - log_term / a) - first)
    finite = xp.abs(y64) < 1
    x = xp.where(finite, x, 0.0)
    for _ in range(5):
        step = (_erf_array(x) - y64) * _SQRT_PI_OVER_2 * xp.exp(x * x)
        x = xp.where(finite, x - step, x)
    x = xp.where(finite, x, xp.where(xp.abs(y64) == 1, xp.copysign(xp.inf, y64), xp.nan))
    return x.astype(y.dtype)


erfinv = _unary(_erfinv_array, lambda a, z: _SQRT_PI_OVER_2 * xp.exp(z * z), "erfinv", "z = erf^-1(x);  dx = g sqrt(pi)/2 e^(z^2).")


def _float_pair(x1, x2) -> tuple[Tensor, Tensor]:
    """Both operands in ``result_type(x1, x2, float)``, Python numbers taken as floatx tensors
    first (as Keras's arctan2 converts them)."""
    x1 = x1 if isinstance(x1, Tensor) else as_tensor(x1)
    x2 = x2 if isinstance(x2, Tensor) else as_tensor(x2)
    target = xp.dtype(result_type(x1.data.dtype, x2.data.dtype, float))
    return promote(x1, target), promote(x2, target)


def arctan2(x1, x2) -> Tensor:
    """z = the angle of the point (x2, x1), in [-pi, pi];  with r = x1^2 + x2^2,
    dx1 = g x2 / r, dx2 = -g x1 / r."""
    y, x = _float_pair(x1, x2)
    a, b = y.data, x.data

    def vjp(g):
        scaled = g / (a * a + b * b)
        return scaled * b, -scaled * a

    return record(xp.arctan2(a, b), (y, x), vjp)


def _integer_pair(x1, x2) -> tuple[Tensor, Tensor]:
    """``pair``, with bools made int32 (Keras computes mod and floor_divide of bools in ints)."""
    x1, x2 = pair(x1, x2)
    if x1.data.dtype.kind == "b":
        target = xp.dtype(result_type(bool, int))
        x1, x2 = promote(x1, target), promote(x2, target)
    return x1, x2


def mod(x1, x2) -> Tensor:
    """z = x1 - floor(x1 / x2) x2, the remainder with the divisor's sign;
    dx1 = g, dx2 = -g floor(x1 / x2)."""
    x1, x2 = _integer_pair(x1, x2)
    a, b = x1.data, x2.data
    need_b = x2.requires_grad

    def vjp(g):
        return g, (-g * xp.floor_divide(a, b) if need_b else None)

    return record(xp.mod(a, b), (x1, x2), vjp)


def floor_divide(x1, x2) -> Tensor:
    """floor(x1 / x2) in the operands' promoted dtype; piecewise constant, so no gradient."""
    x1, x2 = _integer_pair(x1, x2)
    return constant(xp.floor_divide(x1.data, x2.data))


def _rounding(function, name: str):
    def op(x) -> Tensor:
        x = float_operand(x)
        return constant(function(x.data))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"numpy.{function.__name__} in floatx for ints and bools, as Keras; piecewise constant, so no gradient."
    return op


floor = _rounding(xp.floor, "floor")
ceil = _rounding(xp.ceil, "ceil")
trunc = _rounding(xp.trunc, "trunc")


def round(x, decimals: int = 0) -> Tensor:  # noqa: A001 - Keras's name
    """x rounded to ``decimals`` places, halves to even (ints stay ints); no gradient."""
    x = as_tensor(x)
    if x.data.dtype.kind == "b":
        raise TypeError("round: `x` must be a number, received a bool tensor; cast it to int or float first.")
    return constant(xp.round(x.data, decimals))


__all__ = [
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
    "arctanh", "expm1", "log2", "log10", "cbrt", "rsqrt", "erfinv", "arctan2", "mod",
    "floor_divide", "floor", "ceil", "trunc", "round",
]
