"""``Masking``: marks the time steps of a padded sequence that later layers should skip.

A step whose features all equal ``mask_value`` is masked: its output is zeroed and the output's
mask (``_keras_mask``, shape (batch, steps)) is False there, so mask-aware layers after it
(recurrent layers, ``GlobalAveragePooling1D``, losses and metrics) ignore it, as in Keras 3.
"""

from __future__ import annotations

import numbers
from typing import Any

from numeras.autodiff import Tensor
from numeras.autodiff.ops import constant, where
from numeras.backend import xp
from numeras.layers.layer import Layer


class Masking(Layer):
    """Masks the time steps (axis 1) of ``(batch, steps, features)`` inputs whose features all
    equal ``mask_value`` (Keras's convention: True in the mask means the step counts).

    Args:
        mask_value: the padding value (default 0.0).
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Number):
            raise TypeError(
                f"Masking: `mask_value` must be a number (the padding value of the steps to "
                f"mask), received {mask_value!r}."
            )
        self.mask_value = mask_value
        self.supports_masking = True

    def _kept_steps(self, inputs: Any) -> Any:
        """(batch, steps, 1): True where some feature differs from ``mask_value``."""
        values = inputs.data if isinstance(inputs, Tensor) else xp.asarray(inputs)
        return (values != self.mask_value).any(axis=-1, keepdims=True)

    def call(self, inputs: Tensor) -> Tensor:
        kept = self._kept_steps(inputs)
        outputs = where(kept, inputs, xp.zeros((), dtype=inputs.data.dtype))
        outputs._keras_mask = constant(kept[..., 0])
        return outputs

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return constant(self._kept_steps(inputs)[..., 0])

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
