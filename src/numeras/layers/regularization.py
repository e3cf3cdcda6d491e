"""Dropout: randomly silences inputs while training, to fight overfitting."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.autodiff import Tensor
from numeras.autodiff.ops import constant, multiply
from numeras.backend import xp
from numeras.layers.layer import Layer


class Dropout(Layer):
    """Inverted dropout: in training, each input is zeroed with probability ``rate`` and the rest
    are scaled by 1 / (1 - rate), so inference needs no rescaling. Identity outside training."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        if not 0 <= rate < 1:
            raise ValueError(
                f"Dropout: `rate` must be a probability in [0, 1), received {rate!r}."
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._generator = backend.make_generator(seed) if seed is not None else None

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        generator = self._generator or backend.random_generator()
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(n if n is not None else s for n, s in zip(self.noise_shape, inputs.shape))
        dtype = inputs.data.dtype
        keep = backend.bernoulli_keep(generator, shape, self.rate)
        scale = xp.asarray(1.0 / (1.0 - self.rate), dtype=dtype)
        mask = xp.multiply(keep, scale, dtype=dtype)
        return multiply(inputs, constant(mask))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}
