"""Regularization layers beyond Dropout, as Keras 3's: ActivityRegularization (an L1/L2 penalty on
the activations, added to the loss) and AlphaDropout (dropout that keeps the mean and variance
of self-normalizing SELU networks)."""

from __future__ import annotations

import numbers
from typing import Any

from numeras import backend, regularizers
from numeras.autodiff import Tensor
from numeras.autodiff.ops import constant, multiply
from numeras.backend import xp
from numeras.layers.layer import Layer

# SELU's constants: dropped units are set to SELU's negative saturation value -scale * alpha.
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


class ActivityRegularization(Layer):
    """Returns its input unchanged and adds ``l1 * sum(|x|) + l2 * sum(x^2)`` of it to the layer's
    losses (through the ``activity_regularizer`` every layer has)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}


class AlphaDropout(Layer):
    """Dropout for SELU networks (Klambauer et al., 2017): while training, each entry is dropped
    with probability ``rate`` to SELU's saturation value ``-scale * alpha`` (not to 0), then an
    affine map ``a * x + b`` restores the mean and variance the input had (0 and 1 for
    self-normalized activations). Identity at inference.

    ``noise_shape`` (None entries take the input's size) shares one draw along axes of size 1.
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
            raise ValueError(f"AlphaDropout: `rate` must be a probability in [0, 1], received rate={rate!r}.")
        self.rate = rate
        self.seed = seed
        self.noise_shape = noise_shape
        self.supports_masking = True
        self._generator = backend.make_generator(seed) if seed is not None else None

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not training or self.rate <= 0:
            return inputs
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            if len(self.noise_shape) != len(shape):
                raise ValueError(
                    f"AlphaDropout '{self.name}': `noise_shape` {tuple(self.noise_shape)} must have one entry per "
                    f"input axis, received inputs of shape {shape}."
                )
            shape = tuple(s if n is None else int(n) for n, s in zip(self.noise_shape, shape))
        generator = self._generator or backend.random_generator()
        keep = backend.bernoulli_keep(generator, shape, float(self.rate))
        dtype = inputs.data.dtype
        saturation = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * saturation**2)) ** -0.5
        b = -a * saturation * self.rate
        # a * (x * keep + saturation * (1 - keep)) + b, as one multiply and one constant shift.
        scale = xp.multiply(keep, a, dtype=dtype)
        shift = xp.where(keep, b, a * saturation + b).astype(dtype)
        return multiply(inputs, constant(scale)) + constant(shift)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


__all__ = ["ActivityRegularization", "AlphaDropout"]
