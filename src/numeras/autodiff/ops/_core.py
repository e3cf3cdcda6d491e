"""What every primitive shares: turning arguments into tensors and recording a node."""

from __future__ import annotations

from typing import Any, Callable

from numeras import backend
from numeras.autodiff.graph import _GradMode
from numeras.autodiff.tensor import Tensor, _to_array
from numeras.backend import xp

_new = Tensor.__new__


def record(data, parents: tuple, vjp: Callable) -> Tensor:
    """Wrap ``data`` as the output of an op; keep ``parents`` and ``vjp`` only if some parent
    requires a gradient and recording is on."""
    out = _new(Tensor)
    out.data = data
    out.grad = None
    out._logits = None
    if _GradMode.enabled:
        for parent in parents:
            if parent.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._vjp = vjp
                return out
    out.requires_grad = False
    out._parents = ()
    out._vjp = None
    return out


def constant(data) -> Tensor:
    """A tensor that is never differentiated (indices, masks, comparison results)."""
    return record(data, (), None)


def as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor. A Python number takes the dtype of ``like`` when that is a float
    tensor, so ``float32 * 2.0`` stays float32; otherwise it becomes floatx."""
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        if like.data.dtype.kind == "f" or isinstance(value, int):
            return constant(xp.asarray(value, dtype=like.data.dtype))
        return constant(xp.asarray(value, dtype=backend.floatx()))
    return constant(_to_array(value))


def pair(x: Any, y: Any) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as tensors, Python numbers adopting the other's dtype."""
    if isinstance(x, Tensor):
        return x, as_tensor(y, x)
    y = as_tensor(y)
    return as_tensor(x, y), y


def normalize_axis(axis, ndim: int):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(a % ndim if ndim else a for a in axis)
    return axis % ndim if ndim else axis
