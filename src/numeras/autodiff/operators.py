"""Tensor's Python operators (``a + b``, ``a @ w``, ``a[i]``, ``a.T``, ``a.sum()``...): the ops of
``numeras.autodiff.composites``, bound onto :class:`Tensor` from one table when ``numeras.autodiff``
is imported.

This module sits above both ``tensor.py`` and the ops (which import ``tensor.py``), so neither has
to import the other in a circle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numeras.autodiff import composites
from numeras.autodiff.tensor import Tensor


def _swapped(op: Callable) -> Callable:
    return lambda self, other: op(other, self)


def _reshape(op: Callable) -> Callable:
    def reshape(self, *shape) -> Tensor:
        return op(self, tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)

    return reshape


def _reduction(op: Callable, cast: Callable) -> Callable:
    # `dtype` and `out` let numpy.sum(tensor) and numpy.mean(tensor), which call these, work.
    def reduce(self, axis=None, keepdims=False, dtype=None, out=None) -> Tensor:
        if out is not None:
            raise TypeError(
                f"Tensor.{op.__name__}: `out` is not supported (tensors are immutable); received {type(out).__name__}."
            )
        return op(self if dtype is None else cast(self, dtype), axis=axis, keepdims=keepdims)

    return reduce


OPERATORS: dict[str, Callable[[Any], Any]] = {
    # attribute of Tensor: how to build it from the op set (the module numeras.autodiff.composites)
    "__add__": lambda ops: ops.add,
    "__radd__": lambda ops: _swapped(ops.add),
    "__sub__": lambda ops: ops.subtract,
    "__rsub__": lambda ops: _swapped(ops.subtract),
    "__mul__": lambda ops: ops.multiply,
    "__rmul__": lambda ops: _swapped(ops.multiply),
    "__truediv__": lambda ops: ops.divide,
    "__rtruediv__": lambda ops: _swapped(ops.divide),
    "__matmul__": lambda ops: ops.matmul,
    "__rmatmul__": lambda ops: _swapped(ops.matmul),
    "__pow__": lambda ops: ops.power,
    "__rpow__": lambda ops: _swapped(ops.power),
    "__neg__": lambda ops: ops.negative,
    "__abs__": lambda ops: ops.abs,
    "__getitem__": lambda ops: ops.getitem,
    "T": lambda ops: property(ops.transpose),
    "reshape": lambda ops: _reshape(ops.reshape),
    "astype": lambda ops: ops.cast,
    "sum": lambda ops: _reduction(ops.sum, ops.cast),
    "mean": lambda ops: _reduction(ops.mean, ops.cast),
}


def bind(ops: Any = composites) -> None:
    """Put every entry of :data:`OPERATORS` on :class:`Tensor`, built from the op set ``ops``."""
    for name, make in OPERATORS.items():
        setattr(Tensor, name, make(ops))


bind()
