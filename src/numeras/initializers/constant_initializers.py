"""Initializers whose values do not depend on any random draw."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.backend import xp
from numeras.initializers.initializer import Initializer, standardize_shape


class Zeros(Initializer):
    """Fills with 0 (the default bias initializer of Dense and Conv layers)."""

    def __call__(self, shape: Any, dtype: Any = None):
        return xp.zeros(standardize_shape(shape, "Zeros"), dtype=backend.standardize_dtype(dtype))


class Ones(Initializer):
    """Fills with 1."""

    def __call__(self, shape: Any, dtype: Any = None):
        return xp.ones(standardize_shape(shape, "Ones"), dtype=backend.standardize_dtype(dtype))


class Constant(Initializer):
    """Fills with ``value`` (a scalar, or an array that broadcasts to the shape)."""

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None):
        shape = standardize_shape(shape, "Constant")
        try:
            return xp.full(shape, self.value, dtype=backend.standardize_dtype(dtype))
        except ValueError:
            raise ValueError(
                f"Constant: `value` of shape {xp.shape(self.value)} cannot be broadcast to the "
                f"requested shape {shape}; pass a scalar or an array that broadcasts to it."
            ) from None

    def get_config(self) -> dict[str, Any]:
        value = self.value
        # Arrays are written as nested lists so the config stays JSON-serialisable.
        if hasattr(value, "tolist"):
            value = value.tolist()
        return {"value": value}


class Identity(Initializer):
    """``gain`` times the identity matrix (only for 2-D shapes; non-square gives ``eye(rows, cols)``)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None):
        shape = standardize_shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(
                f"Identity: the identity initializer only makes 2-D matrices, received shape={shape} "
                f"of rank {len(shape)}. Use it for Dense kernels, or pick another initializer."
            )
        out = xp.eye(*shape, dtype=backend.standardize_dtype(dtype))
        if self.gain != 1.0:
            out *= self.gain
        return out

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}
