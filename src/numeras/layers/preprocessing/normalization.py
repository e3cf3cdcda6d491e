"""``Normalization``: feature-wise standardisation, y = (x - mean) / sqrt(variance), with the
statistics given up front or learnt by ``adapt`` from arrays, a ``numeras.utils.Dataset`` or any
iterable of batches (one streaming pass). ``invert=True`` maps standardised values back.

Keras 3's layer: ``axis`` names the axes that keep their own statistics (default -1, one mean
per feature); the other axes are reduced. Adapted statistics live in the non-trainable weights
``mean``, ``variance`` and ``count`` (saved with the model); statistics passed to the
constructor are part of the config instead. The output is differentiable in the inputs.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from numeras import backend
from numeras.autodiff import Tensor
from numeras.autodiff.ops import add, cast, constant, divide, multiply, subtract
from numeras.layers.layer import Layer

__all__ = ["Normalization"]


def _first_part(batch: Any) -> Any:
    """The inputs of a batch: (x, y) and (x, y, sample_weight) tuples give x."""
    return batch[0] if isinstance(batch, tuple) else batch


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance per ``axis`` entry:
    y = (x - mean) / max(sqrt(variance), epsilon); with ``invert=True``,
    y = mean + x * max(sqrt(variance), epsilon)."""

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(int(a) for a in axis)
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: when setting the statistics directly, both `mean` and `variance` must be "
                f"given. Received mean={mean!r} and variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: `mean` and `variance` must have the same shape, received shapes "
                    f"{np.shape(mean)} and {np.shape(variance)}."
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    f"Normalization: the rank of `mean` ({np.ndim(mean)}) must not exceed the number of kept "
                    f"axes ({len(self.axis)}, axis={self.axis}). Pass one value per kept axis entry."
                )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.mean: np.ndarray | None = None
        self.variance: np.ndarray | None = None

    def build(self, input_shape: Any) -> None:
        if input_shape is None:
            return
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                f"Normalization: every `axis` must be in [-{ndim}, {ndim}) for inputs of rank {ndim}, received "
                f"axis={self.axis} for input shape {input_shape}."
            )
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for a in self._keep_axis:
            if input_shape[a] is None:
                raise ValueError(
                    f"Normalization: the kept axes must have a known size, received axis={self.axis} with "
                    f"input shape {input_shape} (axis {a} is unknown)."
                )
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        self._stats_shape = tuple(input_shape[d] for d in self._keep_axis)
        self._build_input_shape = input_shape
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._stats_shape, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(
                name="variance", shape=self._stats_shape, initializer="ones", trainable=False
            )
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros", trainable=False)
            self.built = True
            self.finalize_state()
            return
        mean = np.asarray(self.input_mean, dtype=self.dtype)
        variance = np.asarray(self.input_variance, dtype=self.dtype)
        if mean.ndim:
            # The given statistics line up with the last kept axes.
            expanded = [1] * ndim
            for i in range(1, mean.ndim + 1):
                expanded[self._keep_axis[-i]] = mean.shape[-i]
            mean, variance = mean.reshape(expanded), variance.reshape(expanded)
        self.mean = np.broadcast_to(mean, self._broadcast_shape).copy()
        self.variance = np.broadcast_to(variance, self._broadcast_shape).copy()

    def adapt(self, data: Any) -> None:
        """Learn ``mean`` and ``variance`` from ``data``: an array (or Tensor), a numeras Dataset,
        or any iterable of batches (tuples contribute their first part), read once."""
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.ndarray):
            batches: Any = None
            input_shape = data.shape
        else:
            from numeras.utils.dataset import Dataset

            if isinstance(data, Dataset):
                spec = data.element_spec
                spec = spec[0] if isinstance(spec, tuple) else spec
                if len(spec.shape) == 1:  # unbatched scalars per feature: batch them, as Keras
                    data = data.batch(128)
            if not hasattr(data, "__iter__"):
                raise TypeError(
                    "Normalization.adapt: expected a NumPy array, a Tensor, a numeras Dataset or an iterable "
                    f"of batches, received {type(data).__name__}."
                )
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError(
                    "Normalization.adapt: received an empty iterable (no batches). Pass at least one batch, "
                    "e.g. layer.adapt(x) or layer.adapt([batch1, batch2])."
                )
            first = np.asarray(_first_part(first))
            input_shape = first.shape
            batches = itertools.chain([first], iterator)
        if not self.built:
            self.build(input_shape)
            self._build_input_shape = input_shape
        elif self.input_mean is not None:
            raise ValueError(
                "Normalization.adapt: this layer was given `mean` and `variance`; adapt only layers "
                "created without them."
            )
        else:
            self._check_kept_axes(input_shape)
        if batches is None:
            values = data.astype(self.dtype, copy=False)
            total_mean = values.mean(axis=self._reduce_axis)
            total_var = values.var(axis=self._reduce_axis)
        else:
            total_mean, total_var = self._streaming_moments(batches)
        self.adapt_mean.assign(np.asarray(total_mean, dtype=self.dtype).reshape(self._stats_shape))
        self.adapt_variance.assign(np.asarray(total_var, dtype=self.dtype).reshape(self._stats_shape))
        self.finalize_state()

    def _check_kept_axes(self, shape: tuple) -> None:
        for a in self._keep_axis:
            if shape[a] != self._build_input_shape[a]:
                raise ValueError(
                    f"Normalization.adapt: the layer was built for input shape {self._build_input_shape}, but "
                    f"received data of shape {tuple(shape)} (axis {a} differs)."
                )

    def _streaming_moments(self, batches: Any) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance over all batches in one pass: each batch's moments are merged into
        the running ones weighted by their counts (Chan et al.'s parallel update)."""
        total_mean = np.zeros(self._stats_shape, dtype=np.float64)
        total_var = np.zeros(self._stats_shape, dtype=np.float64)
        total_count = 0
        for batch in batches:
            values = np.asarray(_first_part(batch))
            if values.dtype != np.dtype(self.dtype):
                values = values.astype(self.dtype)
            if values.ndim != len(self._build_input_shape):
                raise ValueError(
                    f"Normalization.adapt: every batch must have rank {len(self._build_input_shape)} like the "
                    f"first, received a batch of shape {values.shape}."
                )
            self._check_kept_axes(values.shape)
            batch_mean = values.mean(axis=self._reduce_axis)
            batch_var = values.var(axis=self._reduce_axis)
            batch_count = math.prod(values.shape[d] for d in self._reduce_axis)
            total_count += batch_count
            batch_weight = batch_count / total_count
            existing_weight = 1.0 - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            total_var = (total_var + (total_mean - new_mean) ** 2) * existing_weight + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * batch_weight
            total_mean = new_mean
        return total_mean, total_var

    def finalize_state(self) -> None:
        """Refresh the broadcastable statistics from the adapted weights (after adapt or loading)."""
        if self.input_mean is not None or not self.built:
            return
        self.mean = np.asarray(self.adapt_mean.numpy(), dtype=self.dtype).reshape(self._broadcast_shape)
        self.variance = np.asarray(self.adapt_variance.numpy(), dtype=self.dtype).reshape(self._broadcast_shape)

    def set_weights(self, weights: list) -> None:
        super().set_weights(weights)
        self.finalize_state()

    def call(self, inputs: Tensor) -> Tensor:
        if self.mean is None:
            raise ValueError(
                f"Normalization '{self.name}': the statistics are unknown. Call `adapt(data)` or "
                "`build(input_shape)` first, or pass `mean` and `variance`."
            )
        if self.input_mean is None:
            # Weights may have been loaded or assigned since the last refresh.
            self.finalize_state()
        if inputs.data.dtype != np.dtype(self.dtype):
            inputs = cast(inputs, self.dtype)
        mean = constant(self.mean)
        scale = constant(np.maximum(np.sqrt(self.variance), np.asarray(backend.epsilon(), self.dtype)))
        if self.invert:
            return add(mean, multiply(inputs, scale))
        return divide(subtract(inputs, mean), scale)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }

    @classmethod
    def from_config(cls, config: dict) -> Normalization:
        config = dict(config)
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return super().from_config(config)

    def get_build_config(self) -> dict | None:
        if self._build_input_shape:
            return {"input_shape": self._build_input_shape}
        return None

    def build_from_config(self, config: dict) -> None:
        if config:
            self.build(config["input_shape"])
