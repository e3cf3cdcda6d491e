"""Pooling layers: max and average pooling over windows (1-D, 2-D, 3-D) and over whole inputs.

``MaxPooling2D(2)`` halves height and width, keeping each 2x2 window's largest value (the
gradient goes to that one entry: the first maximum when several tie). ``strides`` defaults to
``pool_size``. The global poolings reduce every spatial axis, to (batch, channels).
"""

from __future__ import annotations

from typing import Any

from numeras import ops
from numeras.autodiff import Tensor
from numeras.autodiff.ops.convolution import (
    conv_output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from numeras.backend import xp
from numeras.layers.layer import Layer


class BasePooling(Layer):
    """Max or average pooling over windows of ``pool_size`` moved by ``strides``."""

    rank = 2
    mode = "max"

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.pool_size = standardize_tuple(pool_size, self.rank, "pool_size", owner=name)
        self.strides = self.pool_size if strides is None else standardize_tuple(strides, self.rank, "strides", owner=name)
        self.padding = standardize_padding(padding, owner=name)
        self.data_format = standardize_data_format(data_format, owner=name)

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected inputs of rank {self.rank + 2} (batch, "
                f"{self.rank} spatial axes, channels), received shape {tuple(inputs.shape)}."
            )
        pool = ops.max_pool if self.mode == "max" else ops.average_pool
        return pool(inputs, self.pool_size, strides=self.strides, padding=self.padding, data_format=self.data_format)

    def build(self, input_shape: Any = None) -> None:
        if input_shape is not None:
            self._check_window_fits(tuple(input_shape))

    def _spatial_axes(self) -> range:
        return range(1, self.rank + 1) if self.data_format == "channels_last" else range(2, self.rank + 2)

    def _check_window_fits(self, shape: tuple) -> None:
        """With 'valid' padding a window larger than its input leaves no output (Keras raises)."""
        if self.padding != "valid" or len(shape) != self.rank + 2:
            return
        sizes = [shape[axis] for axis in self._spatial_axes()]
        if any(size is not None and size < k for size, k in zip(sizes, self.pool_size)):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the pooling window pool_size={self.pool_size} is "
                f"larger than its input, whose spatial size is {tuple(sizes)} (input shape {shape}), so "
                "the output would be empty. Use a smaller pool_size, padding='same', or fewer "
                "downsampling layers before this one."
            )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        self._check_window_fits(shape)
        spatial_axes = self._spatial_axes()
        out = list(shape)
        for axis, k, s in zip(spatial_axes, self.pool_size, self.strides):
            out[axis] = conv_output_length(shape[axis], k, s, 1, self.padding)
        return tuple(out)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


class MaxPooling1D(BasePooling):
    """Max pooling over steps: (batch, steps, channels) -> (batch, steps / 2, channels)."""

    rank = 1
    mode = "max"

    def __init__(
        self, pool_size: Any = 2, strides: Any = None, padding: str = "valid", data_format: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, **kwargs)


class MaxPooling2D(BasePooling):
    """Max pooling over images: ``MaxPooling2D(2)`` keeps the largest value of each 2x2 window."""

    rank = 2
    mode = "max"

    def __init__(
        self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid", data_format: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, **kwargs)


class MaxPooling3D(BasePooling):
    """Max pooling over volumes (batch, depth, height, width, channels)."""

    rank = 3
    mode = "max"

    def __init__(
        self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid", data_format: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, **kwargs)


class AveragePooling1D(BasePooling):
    """Average pooling over steps."""

    rank = 1
    mode = "average"

    def __init__(
        self, pool_size: Any = 2, strides: Any = None, padding: str = "valid", data_format: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, **kwargs)


class AveragePooling2D(BasePooling):
    """Average pooling over images; with padding 'same' each window averages its real entries only."""

    rank = 2
    mode = "average"

    def __init__(
        self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid", data_format: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, **kwargs)


class AveragePooling3D(BasePooling):
    """Average pooling over volumes."""

    rank = 3
    mode = "average"

    def __init__(
        self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid", data_format: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, **kwargs)


class BaseGlobalPooling(Layer):
    """Max or mean over every spatial axis: (batch, *spatial, channels) -> (batch, channels)
    (spatial axes kept with length 1 when ``keepdims``)."""

    rank = 2
    mode = "average"

    def __init__(self, data_format: Any = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, owner=type(self).__name__)
        self.keepdims = bool(keepdims)

    def _axes(self) -> tuple:
        return tuple(range(1, self.rank + 1)) if self.data_format == "channels_last" else tuple(range(2, self.rank + 2))

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected inputs of rank {self.rank + 2} (batch, "
                f"{self.rank} spatial axes, channels), received shape {tuple(inputs.shape)}."
            )
        reduce = ops.max if self.mode == "max" else ops.mean
        return reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else n for i, n in enumerate(shape))
        return tuple(n for i, n in enumerate(shape) if i not in axes)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps axis: (batch, steps, channels) -> (batch, channels).

    With a mask of shape (batch, steps) (e.g. from ``Embedding(mask_zero=True)``) the mean is
    over the unmasked steps only, as Keras 3; the output has no mask.
    """

    rank = 1
    mode = "average"

    def __init__(self, data_format: Any = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: Tensor, mask: Any = None) -> Tensor:
        if mask is None:
            return super().call(inputs)
        if inputs.ndim != 3:
            return super().call(inputs)  # raises the rank error
        steps_axis = 1 if self.data_format == "channels_last" else 2
        feature_axis = 2 if self.data_format == "channels_last" else 1
        keep = xp.expand_dims(mask.data if isinstance(mask, Tensor) else xp.asarray(mask), feature_axis)
        keep = keep.astype(bool, copy=False)
        dtype = inputs.data.dtype
        # The sum over the unmasked steps over their number: masked steps add nothing (not even
        # a NaN they might hold).
        total = ops.sum(ops.where(keep, inputs, xp.zeros((), dtype=dtype)), axis=steps_axis, keepdims=self.keepdims)
        count = keep.sum(axis=steps_axis, keepdims=self.keepdims, dtype=dtype)
        return ops.divide(total, Tensor(count))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width: (batch, h, w, c) -> (batch, c)."""

    rank = 2
    mode = "average"


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over the three spatial axes."""

    rank = 3
    mode = "average"


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Maximum over the steps axis: (batch, steps, channels) -> (batch, channels)."""

    rank = 1
    mode = "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Maximum over height and width: (batch, h, w, c) -> (batch, c)."""

    rank = 2
    mode = "max"


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Maximum over the three spatial axes."""

    rank = 3
    mode = "max"


# Keras's short aliases.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
