"""Permute: reorders the non-batch axes of its input (Keras 3's ``keras.layers.Permute``)."""

from __future__ import annotations

from typing import Any

from numeras import ops
from numeras.autodiff import Tensor
from numeras.layers.layer import Layer


class Permute(Layer):
    """Permutes the axes of each sample: ``dims`` lists the input axes (1-based, the batch axis 0
    excluded) in their new order, e.g. ``Permute((2, 1))`` turns (batch, 10, 64) into (batch, 64, 10)."""

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "Permute: `dims` must be a permutation of the non-batch axes 1..n (consecutive, starting "
                f"from 1), received dims={dims}. For example Permute((2, 1)) swaps the two axes of 3D inputs."
            )
        self.dims = dims

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != len(self.dims) + 1:
            raise ValueError(
                f"Permute '{self.name}': dims={self.dims} permutes {len(self.dims)} axes, so inputs must have "
                f"rank {len(self.dims) + 1}; received shape {tuple(inputs.shape)}."
            )
        return ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}
