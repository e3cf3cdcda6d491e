"""What every primitive shares: turning arguments into tensors and recording a node."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numeras.autodiff.tensor import Tensor, to_array, wrap
from numeras.backend import xp

record: Callable[..., Tensor] = wrap
"""``record(data, parents, vjp)``: an op's output, a node of the graph if some parent requires a
gradient and recording is on (``tensor.wrap``, the one fast constructor)."""


def constant(data) -> Tensor:
    """A tensor that is never differentiated (indices, masks, comparison results)."""
    return wrap(data)


def as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor. A Python number takes the dtype of ``like`` when that is a float
    tensor (so ``float32 * 2.0`` stays float32), a Python int that of an integer tensor;
    otherwise a float becomes floatx and an int int64 (so ``1 - mask`` counts, as in NumPy)."""
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        kind = like.data.dtype.kind
        if kind == "f" or (kind in "iu" and isinstance(value, int)):
            return constant(xp.asarray(value, dtype=like.data.dtype))
    return constant(to_array(value))


def pair(x: Any, y: Any) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as tensors, Python numbers adopting the other's dtype.

    An integer or boolean operand meeting a float one takes the float's dtype, as in Keras
    (NumPy would turn int64 with float32 into float64)."""
    if isinstance(x, Tensor):
        y = as_tensor(y, x)
    else:
        y = as_tensor(y)
        x = as_tensor(x, y)
    x_kind, y_kind = x.data.dtype.kind, y.data.dtype.kind
    if x_kind in "iub" and y_kind == "f":
        x = constant(x.data.astype(y.data.dtype))
    elif y_kind in "iub" and x_kind == "f":
        y = constant(y.data.astype(x.data.dtype))
    return x, y


def normalize_axis(axis, ndim: int):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(a % ndim if ndim else a for a in axis)
    return axis % ndim if ndim else axis
