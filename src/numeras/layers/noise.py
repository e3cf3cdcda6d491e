"""Layers that perturb their inputs while training (regularization), identity at inference:
GaussianNoise, GaussianDropout and the spatial dropouts, which drop whole feature maps."""

from __future__ import annotations

import math
from typing import Any

from numeras import backend
from numeras.autodiff import Tensor
from numeras.autodiff.ops import add, constant, multiply
from numeras.autodiff.ops.convolution import standardize_data_format
from numeras.layers.layer import Layer
from numeras.layers.regularization import Dropout


def _draw_dtype(inputs: Tensor):
    dtype = inputs.data.dtype
    return dtype if dtype.name in ("float32", "float64") else "float32"


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` while training:
    y = x + stddev * N(0, 1). Identity at inference."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        if not float(stddev) >= 0:
            raise ValueError(f"GaussianNoise: `stddev` must be a non-negative float, received {stddev!r}.")
        self.stddev = float(stddev)
        self.seed = seed
        self._generator = backend.make_generator(seed) if seed is not None else None

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not training or self.stddev == 0:
            return inputs
        generator = self._generator or backend.random_generator()
        noise = generator.standard_normal(inputs.shape, dtype=_draw_dtype(inputs))
        noise *= self.stddev
        return add(inputs, constant(noise.astype(inputs.data.dtype, copy=False)))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies its inputs by noise of mean 1 and standard deviation sqrt(rate / (1 - rate))
    while training. Identity at inference."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        if not 0 <= float(rate) < 1:
            raise ValueError(f"GaussianDropout: `rate` must be a probability in [0, 1), received {rate!r}.")
        self.rate = float(rate)
        self.seed = seed
        self._generator = backend.make_generator(seed) if seed is not None else None

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        generator = self._generator or backend.random_generator()
        noise = generator.standard_normal(inputs.shape, dtype=_draw_dtype(inputs))
        noise *= math.sqrt(self.rate / (1.0 - self.rate))
        noise += 1.0
        return multiply(inputs, constant(noise.astype(inputs.data.dtype, copy=False)))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class _SpatialDropout(Dropout):
    """Inverted dropout of whole channels: one draw per (sample, channel), shared over the
    spatial axes, so neighbouring (correlated) activations are dropped together."""

    rank = 2

    def __init__(self, rate: float, data_format: Any = None, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = standardize_data_format(data_format, owner=type(self).__name__)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if inputs.ndim != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected inputs of rank {self.rank + 2} (batch, "
                f"{self.rank} spatial axes, channels), received shape {tuple(inputs.shape)}."
            )
        ones = (1,) * self.rank
        self.noise_shape = (None, *ones, None) if self.data_format == "channels_last" else (None, None, *ones)
        return super().call(inputs, training=training)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("noise_shape", None)
        config.pop("trainable", None)  # as Keras 3.15, whose spatial dropouts do not save it
        return {**config, "data_format": self.data_format}


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of (batch, steps, channels) inputs while training."""

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        kwargs.pop("data_format", None)
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("data_format", None)
        return config


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of images while training (one draw per sample and channel)."""

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature maps of volumes while training."""

    rank = 3
