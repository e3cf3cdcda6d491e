"""Weight constraints: functions of a weight tensor that the optimizer applies after each update.

A layer given ``kernel_constraint=MaxNorm(3)`` stores it on the kernel Variable
(``variable.constraint``); after every step the optimizer assigns ``constraint(variable)`` back
to the variable, as Keras 3 does. The formulas and config keys are Keras's.
"""

from __future__ import annotations

from typing import Any

from numeras import backend, ops


class Constraint:
    """Base class: ``__call__(w)`` returns the projected weights (here: ``w`` unchanged)."""

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        return cls(**config)


def _norms(w: Any, axis: Any) -> Any:
    """The L2 norms of ``w`` along ``axis``, kept as size-1 axes so they broadcast against ``w``."""
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescales the weights of each unit whose L2 norm along ``axis`` exceeds ``max_value``:
    ``w * clip(norm, 0, max_value) / (epsilon + norm)``.

    ``axis=0`` constrains each column of a Dense kernel ``(input_dim, units)``; a Conv2D kernel
    ``(rows, cols, in, out)`` needs ``axis=[0, 1, 2]`` to constrain each filter.
    """

    def __init__(self, max_value: float = 2, axis: Any = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, 0, self.max_value)
        return ops.cast(w, norms.dtype) * (desired / (backend.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Replaces negative weights by zero: ``maximum(w, 0)``."""

    def __call__(self, w: Any) -> Any:
        return ops.maximum(ops.convert_to_tensor(w), 0)


class UnitNorm(Constraint):
    """Scales the weights of each unit to unit L2 norm along ``axis``: ``w / (epsilon + norm)``."""

    def __init__(self, axis: Any = 0) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        return ops.cast(w, norms.dtype) / (backend.epsilon() + norms)

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each unit's L2 norm along ``axis`` into ``[min_value, max_value]`` at ``rate``:
    ``w * (rate * clip(norm, min_value, max_value) + (1 - rate) * norm) / (epsilon + norm)``;
    ``rate=1`` enforces the bounds strictly, a smaller rate moves towards them step by step."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Any = 0) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = self.rate * ops.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return ops.cast(w, norms.dtype) * (desired / (backend.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# Keras's lowercase aliases (``keras.constraints.max_norm`` is the class itself).
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm
