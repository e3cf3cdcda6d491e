"""What every primitive shares: turning arguments into tensors and recording a node."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numeras.autodiff.tensor import Tensor, to_array, wrap
from numeras.backend import result_type, xp

record: Callable[..., Tensor] = wrap
"""``record(data, parents, vjp)``: an op's output, a node of the graph if some parent requires a
gradient and recording is on (``tensor.wrap``, the one fast constructor)."""


def constant(data) -> Tensor:
    """A tensor that is never differentiated (indices, masks, comparison results)."""
    return wrap(data)


def as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor. A Python number is weakly typed, as in Keras: next to ``like`` it
    takes ``like``'s dtype when that is of the same kind or wider (``float32 * 2.0`` stays float32,
    ``int8 + 1`` int8), otherwise (and alone) the int or float of floatx's width (int32, float32).
    Nested lists of Python ints become int32 too (NumPy would make them int64)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        weak = int if isinstance(value, int) else float
        if like is not None:
            dtype = like.data.dtype
            if dtype.kind == "f" or (dtype.kind in "iu" and weak is int):
                return constant(xp.asarray(value, dtype=dtype))
        return constant(xp.asarray(value, dtype=result_type(weak)))
    array = to_array(value)
    if isinstance(value, (list, tuple)) and array.dtype == xp.int64:
        array = array.astype(result_type(int))
    return constant(array)


def _is_python_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_PROMOTED: dict = {}


def pair(x: Any, y: Any) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as tensors of one dtype, ``result_type`` of theirs (Keras's
    promotion: ``int32 + float16 -> float16``, ``uint8 + int8 -> int16``), Python numbers
    weakly typed (see :func:`as_tensor`). A float operand that changes dtype is cast
    differentiably; operands of one dtype (the hot path) pass untouched."""
    if isinstance(x, Tensor):
        if not isinstance(y, Tensor):
            y = as_tensor(y, x)
    elif not _is_python_number(x):
        x = as_tensor(x)
        y = as_tensor(y, x)
    else:
        y = as_tensor(y)
        x = as_tensor(x, y)
    x_dtype, y_dtype = x.data.dtype, y.data.dtype
    if x_dtype is y_dtype or x_dtype == y_dtype:
        return x, y
    key = (x_dtype, y_dtype)
    target = _PROMOTED.get(key)
    if target is None:
        target = _PROMOTED[key] = xp.dtype(result_type(x_dtype, y_dtype))
    return promote(x, target), promote(y, target)


def promote(x: Tensor, dtype) -> Tensor:
    """``x`` as ``dtype`` (an ndarray dtype): itself when it has it, else differentiably cast
    from a float, or a constant from a bool or int (which carries no gradient)."""
    source = x.data.dtype
    if source == dtype:
        return x
    if source.kind == "f" and dtype.kind == "f":
        data = x.data
        return record(data.astype(dtype), (x,), lambda g: (g.astype(source),))
    return constant(x.data.astype(dtype))


def float_operand(x: Any) -> Tensor:
    """``x`` as a float tensor: floats keep their dtype, bools and ints become floatx (the input
    of exp, log, sin, mean..., as Keras casts them)."""
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        return constant(x.data.astype(result_type(x.data.dtype, float)))
    return x


def normalize_axis(axis, ndim: int):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(a % ndim if ndim else a for a in axis)
    return axis % ndim if ndim else axis
