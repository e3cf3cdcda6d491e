"""Rescaling: the preprocessing layer of chapter 8 (``Rescaling(1./255)`` maps pixels to [0, 1])."""

from __future__ import annotations

from typing import Any

from numeras import ops
from numeras.autodiff import Tensor
from numeras.backend import xp
from numeras.layers.layer import Layer


class Rescaling(Layer):
    """y = x * scale + offset, computed in the layer's dtype (integer pixels become floats).

    ``scale`` and ``offset`` are numbers or per-channel sequences (broadcast against the last axis).
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = _as_number_or_list(scale, "scale")
        self.offset = _as_number_or_list(offset, "offset")

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.dtype != self.dtype:
            inputs = ops.cast(inputs, self.dtype)
        scale = xp.asarray(self.scale, dtype=self.dtype)
        offset = xp.asarray(self.offset, dtype=self.dtype)
        return inputs * scale + offset

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _as_number_or_list(value: Any, name: str) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return [float(v) for v in xp.asarray(value, dtype=float).reshape(-1)]
    except (TypeError, ValueError):
        raise ValueError(
            f"Rescaling: `{name}` must be a number or a sequence of numbers (one per channel), "
            f"received {value!r}."
        ) from None
