"""Dense, Activation, Lambda, Identity: the layers of the seed's program and their helpers.

Dense, Activation and Identity pass their input's mask on (``supports_masking``, as Keras 3), so a
per-step Dense after ``Embedding(mask_zero=True)`` keeps the padding mask; Lambda does when given
``mask=`` (a mask, or a function ``mask(inputs, previous_mask)``).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

from numeras import activations, constraints, initializers
from numeras.autodiff import Tensor
from numeras.autodiff.ops import cast, dense
from numeras.layers.layer import Layer, _get_regularizer


def _serialize_regularizer(regularizer: Any) -> Any:
    if regularizer is None:
        return None
    from numeras import regularizers

    return regularizers.serialize(regularizer)


# Activations the dense primitive applies itself (None: identity).
_LINEAR, _RELU = activations.get("linear"), activations.get("relu")


class Dense(Layer):
    """``output = activation(dot(input, kernel) + bias)`` — the seed's ``relu(dot(W, input) + b)``
    with the batch as the first axis: ``kernel`` has shape (input_dim, units), ``bias`` (units,)."""

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        if quantization_config is not None:
            raise ValueError(
                f"Dense: numeras has no quantized layers, so `quantization_config` must be None, received "
                f"{quantization_config!r}. Load the float model, or remove the quantization_config."
            )
        self.quantization_config = None
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Dense: `units` must be a positive integer (the number of outputs), received {units!r}."
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = _get_regularizer(kernel_regularizer)
        self.bias_regularizer = _get_regularizer(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.kernel: Any = None
        self.bias: Any = None

    def build(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1] if input_shape else None
        if input_dim is None:
            raise ValueError(
                f"Dense '{self.name}': the last axis of the input must be known to create the "
                f"kernel, received input shape {input_shape}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.data.dtype.kind != "f":
            inputs = cast(inputs, self.dtype)
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"Dense '{self.name}': expected inputs with last axis {self.kernel.shape[0]}, "
                f"received shape {tuple(inputs.shape)}."
            )
        bias = self.bias if self.use_bias else None
        if self.activation is _RELU or self.activation is _LINEAR:
            # inputs @ kernel + bias (then relu) as one primitive: no extra passes over the output.
            return dense(inputs, self.kernel, bias, activation="relu" if self.activation is _RELU else None)
        return self.activation(dense(inputs, self.kernel, bias))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
            # As Keras 3.15's Dense, whose config has no activity_regularizer (it is not saved).
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }


class Activation(Layer):
    """Applies an activation function (a name such as ``'relu'`` or a callable)."""

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs: Tensor) -> Tensor:
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    """Returns its input unchanged (and its mask)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class Lambda(Layer):
    """Wraps an arbitrary function of tensors as a layer (``function(inputs, **arguments)``).

    A Lambda cannot be restored from a saved file without running code, so saving refuses it
    unless loading is done with ``safe_mode=False``.
    """

    def __init__(
        self,
        function: Callable,
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, received {type(function).__name__}.")
        self.function = function
        self._output_shape_arg = output_shape
        self.arguments = dict(arguments or {})
        # As Keras: a Lambda passes masks on only when told what its output's mask is.
        self.mask = mask
        self.supports_masking = mask is not None
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):  # some builtins have no signature
            parameters = {}
        self._function_takes_mask = "mask" in parameters
        self._function_takes_training = "training" in parameters

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        kwargs = dict(self.arguments)
        if self._function_takes_mask:
            kwargs["mask"] = mask
        if self._function_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape_arg is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape_arg):
            return self._output_shape_arg(input_shape)
        return (input_shape[0], *tuple(self._output_shape_arg))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "function": getattr(self.function, "__name__", repr(self.function)),
            "output_shape": self._output_shape_arg if not callable(self._output_shape_arg) else None,
            "arguments": self.arguments,
        }


def _product(shape: tuple) -> int | None:
    if any(n is None for n in shape):
        return None
    return math.prod(shape)
