"""Activation layers with arguments of their own: ReLU, LeakyReLU, PReLU (a learned slope), ELU
and Softmax (with a mask), as Keras 3's ``keras.layers`` classes of those names."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

from numeras import activations, constraints, initializers, ops
from numeras.autodiff import Tensor
from numeras.autodiff.ops.activation_ops import prelu
from numeras.backend import standardize_dtype, xp
from numeras.layers.core import _serialize_regularizer
from numeras.layers.layer import Layer, _get_regularizer


class _ElementwiseActivation(Layer):
    """An activation layer: the output has the input's shape, and a mask passes through."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


def _non_negative(owner: str, name: str, value: Any, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(
            f"{owner}: `{name}` must be a non-negative number{' or None' if allow_none else ''}, "
            f"received {name}={value!r}."
        )


class ReLU(_ElementwiseActivation):
    """Rectified linear unit with Keras 3's options: ``x`` above ``threshold`` (capped at
    ``max_value`` when given), ``negative_slope * (x - threshold)`` below it."""

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _non_negative("ReLU", "max_value", max_value, allow_none=True)
        _non_negative("ReLU", "negative_slope", negative_slope)
        _non_negative("ReLU", "threshold", threshold)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs: Tensor) -> Tensor:
        return activations.relu(
            inputs, negative_slope=self.negative_slope, max_value=self.max_value, threshold=self.threshold
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(_ElementwiseActivation):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise (Keras 3's default slope is 0.3).

    The Keras 2 name of the slope, ``alpha=``, is accepted with a deprecation warning, as Keras 3 does.
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        _non_negative("LeakyReLU", "negative_slope", negative_slope)
        self.negative_slope = negative_slope

    def call(self, inputs: Tensor) -> Tensor:
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(_ElementwiseActivation):
    """Parametric ReLU (He et al., 2015): ``x`` for ``x > 0``, ``alpha * x`` otherwise, with the
    slope ``alpha`` learned per input entry, or shared along ``shared_axes`` (e.g. ``[1, 2]`` for
    one slope per channel of an image). Weight: ``alpha`` of the input's shape without the batch
    axis, 1 on shared axes, initialised to zeros."""

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = _get_regularizer(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(axis) for axis in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]
        self.alpha: Any = None

    def build(self, input_shape: tuple) -> None:
        parameter_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis <= len(parameter_shape):
                raise ValueError(
                    f"PReLU '{self.name}': `shared_axes` must name non-batch axes 1..{len(parameter_shape)} "
                    f"of the input, received shared_axes={self.shared_axes} for input shape {tuple(input_shape)}."
                )
            parameter_shape[axis - 1] = 1
        if any(n is None for n in parameter_shape):
            raise ValueError(
                f"PReLU '{self.name}': every non-shared axis of the input must be known to create `alpha`, "
                f"received input shape {tuple(input_shape)}. Share the unknown axes with `shared_axes`."
            )
        self.alpha = self.add_weight(
            name="alpha",
            shape=parameter_shape,
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )

    def call(self, inputs: Tensor) -> Tensor:
        return prelu(inputs, self.alpha)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": _serialize_regularizer(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


class ELU(_ElementwiseActivation):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs: Tensor) -> Tensor:
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


def _large_negative(dtype: Any) -> float:
    """What masked logits become: far below any real logit, yet finite in the dtype."""
    return -30000.0 if standardize_dtype(dtype) == "float16" else -1e9


class Softmax(_ElementwiseActivation):
    """Softmax along ``axis`` (an int, or a list of axes normalized together).

    ``mask`` (broadcastable to the inputs; True or > 0.5 marks the entries to keep): masked
    entries take a large negative logit before the softmax, so they get no probability, and are
    set to exactly 0 after it.
    """

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs: Tensor, mask: Any = None) -> Tensor:
        keep = None
        if mask is not None:
            keep = _boolean_mask(mask, inputs)
            inputs = ops.where(keep, inputs, _large_negative(inputs.dtype))
        axis = self.axis
        if isinstance(axis, (list, tuple)) and len(axis) > 1:
            outputs = ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=tuple(axis), keepdims=True)))
        else:
            if isinstance(axis, (list, tuple)):
                axis = axis[0]
            outputs = activations.softmax(inputs, axis=axis)
        if keep is not None:
            outputs = ops.where(keep, outputs, 0.0)
        return outputs

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def _boolean_mask(mask: Any, inputs: Tensor):
    """``mask`` as a boolean array broadcastable to ``inputs`` (non-boolean masks keep > 0.5)."""
    values = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
    if values.ndim > inputs.ndim or any(
        m != 1 and m != i for m, i in zip(values.shape[::-1], inputs.shape[::-1])
    ):
        raise ValueError(
            f"Softmax: `mask` must be broadcastable to the inputs (each axis 1 or equal to the input's, "
            f"no more axes), received mask shape {values.shape} for inputs of shape {tuple(inputs.shape)}."
        )
    return values if values.dtype == bool else values > 0.5
