"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable convolutions.

Each is ``activation(conv(inputs, kernel) + bias)`` on the primitives of
``numeras.autodiff.ops.convolution`` (im2col + one matrix product per layer), with Keras 3's
arguments, weight shapes, names and defaults:

- ``ConvND``: kernel ``(*kernel_size, in_channels / groups, filters)``, bias ``(filters,)``;
- ``ConvNDTranspose``: kernel ``(*kernel_size, filters, in_channels)``;
- ``DepthwiseConvND``: kernel ``(*kernel_size, in_channels, depth_multiplier)``,
  bias ``(in_channels * depth_multiplier,)``;
- ``SeparableConvND``: ``depthwise_kernel`` as above, ``pointwise_kernel``
  ``(1, ..., in_channels * depth_multiplier, filters)``, bias ``(filters,)``.
"""

from __future__ import annotations

from typing import Any

from numeras import activations, constraints, initializers, ops
from numeras.autodiff import Tensor
from numeras.autodiff.ops.convolution import (
    conv_bias_activation,
    conv_output_length,
    conv_transpose_output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from numeras.layers.core import _serialize_regularizer
from numeras.layers.layer import Layer, _get_regularizer

# Activations the convolution primitive applies itself (None: identity).
_FUSED_ACTIVATIONS = {activations.get("linear"): None, activations.get("relu"): "relu"}


def _positive_int(value: Any, name: str, layer: str, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{layer}: `{name}` must be a positive integer, received {value!r}.")
    return value


def _channel_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else 1


def _input_channels(layer: Layer, input_shape: tuple, rank: int, data_format: str) -> int:
    shape = tuple(input_shape)
    if len(shape) != rank + 2:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': expected inputs of rank {rank + 2} (batch, "
            f"{rank} spatial axes, channels), received input shape {shape}."
            + (" Add a channels axis, e.g. x.reshape((-1, 28, 28, 1))." if len(shape) == rank + 1 else "")
        )
    channels = shape[_channel_axis(data_format)]
    if channels is None:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': the channels axis of the input must be known "
            f"to create the kernel, received input shape {shape}."
        )
    return int(channels)


def _spatial(input_shape: tuple, data_format: str) -> tuple:
    shape = tuple(input_shape)
    return shape[1:-1] if data_format == "channels_last" else shape[2:]


def _with_spatial(input_shape: tuple, spatial: tuple, channels: Any, data_format: str) -> tuple:
    if data_format == "channels_last":
        return (input_shape[0], *spatial, channels)
    return (input_shape[0], channels, *spatial)


def _add_bias(outputs: Tensor, bias: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return outputs + bias
    return outputs + ops.reshape(bias, (bias.shape[0],) + (1,) * (outputs.ndim - 2))


class _ConvBase(Layer):
    """What every convolution layer shares: argument checks, bias, activation, config."""

    rank = 2

    def _init_common(
        self,
        kernel_size: Any,
        strides: Any,
        padding: str,
        data_format: Any,
        dilation_rate: Any,
        activation: Any,
        use_bias: bool,
        bias_initializer: Any,
        bias_regularizer: Any,
        bias_constraint: Any,
        allow_causal: bool = False,
    ) -> None:
        name = type(self).__name__
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size", owner=name)
        self.strides = standardize_tuple(strides, self.rank, "strides", owner=name)
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate", owner=name)
        self.padding = standardize_padding(padding, allow_causal=allow_causal, owner=name)
        self.data_format = standardize_data_format(data_format, owner=name)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{name}: `strides` > 1 is not supported together with `dilation_rate` > 1, received "
                f"strides={self.strides} and dilation_rate={self.dilation_rate}."
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = _get_regularizer(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias: Any = None

    def _add_bias_weight(self, units: int) -> None:
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _finish(self, outputs: Tensor) -> Tensor:
        if self.use_bias:
            outputs = _add_bias(outputs, self.bias, self.data_format)
        return self.activation(outputs)

    def _common_config(self) -> dict:
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": _serialize_regularizer(self.activity_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def _output_spatial(self, input_shape: tuple) -> tuple:
        return tuple(
            conv_output_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(_spatial(input_shape, self.data_format), self.kernel_size, self.strides, self.dilation_rate)
        )

    @staticmethod
    def _float_inputs(layer: Layer, inputs: Tensor) -> Tensor:
        if inputs.data.dtype.kind != "f":
            from numeras.autodiff.ops import cast

            inputs = cast(inputs, layer.dtype)
        return inputs


class BaseConv(_ConvBase):
    """``activation(conv(inputs, kernel) + bias)``, an N-D convolution (``rank`` spatial axes)."""

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: Any = None,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        name = type(self).__name__
        self.filters = _positive_int(filters, "filters", name)
        self.groups = _positive_int(groups, "groups", name)
        if self.filters % self.groups:
            raise ValueError(
                f"{name}: `filters` must be divisible by `groups`, received filters={filters} and "
                f"groups={groups}."
            )
        self._init_common(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, bias_constraint, allow_causal=rank == 1,
        )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = _get_regularizer(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.kernel: Any = None

    def build(self, input_shape: tuple) -> None:
        channels = _input_channels(self, input_shape, self.rank, self.data_format)
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the number of input channels ({channels}) must "
                f"be divisible by `groups` ({self.groups}); received input shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._add_bias_weight(self.filters)

    def call(self, inputs: Tensor) -> Tensor:
        inputs = self._float_inputs(self, inputs)
        fused = _FUSED_ACTIVATIONS.get(self.activation, False)
        if fused is not False:
            # Bias and relu inside the convolution primitive: no extra passes over the output.
            return conv_bias_activation(
                inputs, self.kernel, self.bias if self.use_bias else None, strides=self.strides,
                padding=self.padding, data_format=self.data_format, dilation_rate=self.dilation_rate,
                activation=fused,
            )
        outputs = ops.conv(
            inputs, self.kernel, strides=self.strides, padding=self.padding,
            data_format=self.data_format, dilation_rate=self.dilation_rate,
        )
        return self._finish(outputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return _with_spatial(input_shape, self._output_spatial(input_shape), self.filters, self.data_format)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._common_config(),
            "groups": self.groups,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }


class Conv1D(BaseConv):
    """1-D convolution over (batch, steps, channels); ``padding`` may also be 'causal' (output
    step t sees inputs up to t only)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class Conv2D(BaseConv):
    """2-D convolution over images (batch, height, width, channels), the layer of chapter 5:
    ``Conv2D(32, 3, activation="relu")`` learns 32 filters of 3x3 x in_channels."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class Conv3D(BaseConv):
    """3-D convolution over volumes (batch, depth, height, width, channels)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1), padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class BaseConvTranspose(_ConvBase):
    """``activation(conv_transpose(inputs, kernel) + bias)``: upsampling by a learned kernel,
    the transpose (input gradient) of a convolution with the same arguments."""

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: Any = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        name = type(self).__name__
        self.filters = _positive_int(filters, "filters", name)
        self._init_common(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, bias_constraint,
        )
        self.output_padding = (
            None if output_padding is None
            else standardize_tuple(output_padding, rank, "output_padding", allow_zero=True, owner=name)
        )
        if self.output_padding is not None:
            for p, s, d in zip(self.output_padding, self.strides, self.dilation_rate):
                if p >= max(s, d):
                    raise ValueError(
                        f"{name}: each `output_padding` must be smaller than the stride or the dilation "
                        f"rate, received output_padding={self.output_padding}, strides={self.strides}, "
                        f"dilation_rate={self.dilation_rate}."
                    )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = _get_regularizer(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.kernel: Any = None

    def build(self, input_shape: tuple) -> None:
        channels = _input_channels(self, input_shape, self.rank, self.data_format)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, self.filters, channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._add_bias_weight(self.filters)

    def call(self, inputs: Tensor) -> Tensor:
        inputs = self._float_inputs(self, inputs)
        outputs = ops.conv_transpose(
            inputs, self.kernel, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return self._finish(outputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        paddings = self.output_padding or (None,) * self.rank
        spatial = tuple(
            conv_transpose_output_length(n, k, s, d, self.padding, p)
            for n, k, s, d, p in zip(
                _spatial(input_shape, self.data_format), self.kernel_size, self.strides, self.dilation_rate, paddings
            )
        )
        return _with_spatial(input_shape, spatial, self.filters, self.data_format)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._common_config(),
            "output_padding": self.output_padding,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }


class Conv1DTranspose(BaseConvTranspose):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class Conv2DTranspose(BaseConvTranspose):
    """Transposed 2-D convolution: with strides 2 and padding 'same', doubles height and width."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class Conv3DTranspose(BaseConvTranspose):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1), padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(3, filters, kernel_size, strides=strides, padding=padding, **kwargs)


class BaseDepthwiseConv(_ConvBase):
    """Each input channel convolved on its own with ``depth_multiplier`` filters:
    output channel c * depth_multiplier + m sees input channel c only."""

    def __init__(
        self,
        rank: int,
        depth_multiplier: int = 1,
        kernel_size: Any = 3,
        strides: Any = 1,
        padding: str = "valid",
        data_format: Any = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier", type(self).__name__)
        self._init_common(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, bias_constraint,
        )
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = _get_regularizer(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.kernel: Any = None

    def build(self, input_shape: tuple) -> None:
        channels = _input_channels(self, input_shape, self.rank, self.data_format)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self._add_bias_weight(channels * self.depth_multiplier)

    def call(self, inputs: Tensor) -> Tensor:
        inputs = self._float_inputs(self, inputs)
        outputs = ops.depthwise_conv(
            inputs, self.kernel, strides=self.strides, padding=self.padding,
            data_format=self.data_format, dilation_rate=self.dilation_rate,
        )
        return self._finish(outputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        channels = tuple(input_shape)[_channel_axis(self.data_format)]
        out_channels = None if channels is None else channels * self.depth_multiplier
        return _with_spatial(input_shape, self._output_spatial(input_shape), out_channels, self.data_format)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            **self._common_config(),
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": _serialize_regularizer(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        }


class DepthwiseConv1D(BaseDepthwiseConv):
    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid", depth_multiplier: int = 1, **kwargs: Any) -> None:
        super().__init__(1, depth_multiplier, kernel_size, strides=strides, padding=padding, **kwargs)


class DepthwiseConv2D(BaseDepthwiseConv):
    """Depthwise 2-D convolution: one (or ``depth_multiplier``) filter per input channel."""

    def __init__(
        self, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid", depth_multiplier: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(2, depth_multiplier, kernel_size, strides=strides, padding=padding, **kwargs)


class BaseSeparableConv(_ConvBase):
    """A depthwise convolution followed by a pointwise (1x1) convolution mixing the channels:
    far fewer weights than a full convolution (chapter 9's Xception-style blocks)."""

    def __init__(
        self,
        rank: int,
        depth_multiplier: int = 1,
        filters: int | None = None,
        kernel_size: Any = 3,
        strides: Any = 1,
        padding: str = "valid",
        data_format: Any = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        name = type(self).__name__
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier", name)
        self.filters = _positive_int(filters, "filters", name)
        self._init_common(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, bias_constraint,
        )
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = _get_regularizer(depthwise_regularizer)
        self.pointwise_regularizer = _get_regularizer(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.depthwise_kernel: Any = None
        self.pointwise_kernel: Any = None

    def build(self, input_shape: tuple) -> None:
        channels = _input_channels(self, input_shape, self.rank, self.data_format)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self._add_bias_weight(self.filters)

    def call(self, inputs: Tensor) -> Tensor:
        inputs = self._float_inputs(self, inputs)
        outputs = ops.separable_conv(
            inputs, self.depthwise_kernel, self.pointwise_kernel, strides=self.strides,
            padding=self.padding, data_format=self.data_format, dilation_rate=self.dilation_rate,
        )
        return self._finish(outputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return _with_spatial(input_shape, self._output_spatial(input_shape), self.filters, self.data_format)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            **self._common_config(),
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": _serialize_regularizer(self.depthwise_regularizer),
            "pointwise_regularizer": _serialize_regularizer(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }


class SeparableConv1D(BaseSeparableConv):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(1, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding, **kwargs)


class SeparableConv2D(BaseSeparableConv):
    """Depthwise-separable 2-D convolution (depthwise 3x3 per channel, then 1x1 across channels)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid", **kwargs: Any) -> None:
        super().__init__(2, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding, **kwargs)
