"""Flatten and Reshape: change how samples are laid out, never their values."""

from __future__ import annotations

import math
from typing import Any

from numeras import ops
from numeras.autodiff import Tensor
from numeras.layers.layer import Layer


class Flatten(Layer):
    """Collapses every axis but the batch axis: (batch, 28, 28) -> (batch, 784)."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from numeras.autodiff.ops.convolution import standardize_data_format

        self.data_format = standardize_data_format(data_format, owner="Flatten")

    def call(self, inputs: Tensor) -> Tensor:
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        rest = tuple(input_shape[1:])
        size = None if any(n is None for n in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(1 for n in self.target_shape if n == -1) > 1:
            raise ValueError(
                f"Reshape: `target_shape` may contain at most one -1, received {self.target_shape}."
            )

    def call(self, inputs: Tensor) -> Tensor:
        return ops.reshape(inputs, (inputs.shape[0], *self.target_shape))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        rest = tuple(input_shape[1:])
        target = list(self.target_shape)
        if -1 in target:
            if any(n is None for n in rest):
                target[target.index(-1)] = None
            else:
                known = math.prod(n for n in target if n != -1)
                total = math.prod(rest)
                if total % known:
                    raise ValueError(
                        f"Reshape: cannot reshape samples of shape {rest} ({total} values) into "
                        f"{self.target_shape}."
                    )
                target[target.index(-1)] = total // known
        elif not any(n is None for n in rest) and math.prod(rest) != math.prod(target):
            raise ValueError(
                f"Reshape: samples of shape {rest} ({math.prod(rest)} values) cannot be reshaped "
                f"into {self.target_shape} ({math.prod(target)} values)."
            )
        return (input_shape[0], *target)

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": self.target_shape}
