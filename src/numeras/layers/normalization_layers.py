"""Per-sample normalization layers, as Keras 3's: GroupNormalization (statistics per sample and
group of channels; instance normalization with ``groups=-1``, layer normalization with
``groups=1``) and UnitNormalization (each slice scaled to unit L2 norm). Neither keeps running
statistics, so training and inference compute the same thing."""

from __future__ import annotations

from typing import Any

from numeras import constraints, initializers, ops
from numeras.autodiff import Tensor
from numeras.autodiff.ops.group_normalization import group_norm
from numeras.layers.core import _serialize_regularizer
from numeras.layers.layer import Layer, _get_regularizer


class GroupNormalization(Layer):
    """Normalizes each sample within groups of channels (Wu and He, 2018).

    The ``axis`` channels (-1: channels last) are split into ``groups`` groups (-1: one per channel);
    each group of each sample is normalized with its own mean and variance over the group's
    channels and every other non-batch axis, then scaled by ``gamma`` and shifted by ``beta``
    (one per channel, created when ``scale`` / ``center``).
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(groups, int) or isinstance(groups, bool) or (groups <= 0 and groups != -1):
            raise ValueError(
                "GroupNormalization: `groups` must be a positive integer (or -1 for one group per channel, "
                f"instance normalization), received groups={groups!r}."
            )
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"GroupNormalization: `axis` must be an int (the channel axis), received axis={axis!r}.")
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = _get_regularizer(beta_regularizer)
        self.gamma_regularizer = _get_regularizer(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma: Any = None
        self.beta: Any = None

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape)
        if not -len(shape) <= self.axis < len(shape) or self.axis % len(shape) == 0:
            raise ValueError(
                f"GroupNormalization '{self.name}': `axis` {self.axis} must name a non-batch axis of the "
                f"input, received input shape {shape}."
            )
        channels = shape[self.axis]
        if channels is None:
            raise ValueError(
                f"GroupNormalization '{self.name}': axis {self.axis} of the input must have a known size, "
                f"received input shape {shape}."
            )
        if self.groups == -1:
            self.groups = channels
        if channels < self.groups:
            raise ValueError(
                f"GroupNormalization '{self.name}': `groups` ({self.groups}) cannot be more than the number "
                f"of channels ({channels}) on axis {self.axis}."
            )
        if channels % self.groups:
            raise ValueError(
                f"GroupNormalization '{self.name}': `groups` ({self.groups}) must divide the number of "
                f"channels ({channels}) on axis {self.axis}."
            )
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma", shape=(channels,), initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                name="beta", shape=(channels,), initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
            )

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.data.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        return group_norm(inputs, self.gamma, self.beta, groups=self.groups, axis=self.axis, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": _serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": _serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


# Keras's epsilon for UnitNormalization: a slice whose norm is below it is scaled by 1 / epsilon
# (so an all-zero slice stays zero) instead of by 1 / norm.
_UNIT_NORM_EPSILON = 1e-12


class UnitNormalization(Layer):
    """Scales each slice along ``axis`` (an int or a list of ints) to unit L2 norm:
    ``x / max(sqrt(sum(x^2)), 1e-12)``, so all-zero slices stay zero
    (and their gradient is finite: the cotangent times 1e12)."""

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                f"UnitNormalization: `axis` must be an int or a list/tuple of ints, received axis={axis!r}."
            )
        self.supports_masking = True

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.data.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        squared_norm = ops.sum(ops.square(inputs), axis=axis, keepdims=True)
        return ops.divide(inputs, ops.sqrt(ops.maximum(squared_norm, _UNIT_NORM_EPSILON**2)))

    def compute_output_shape(self, input_shape: Any) -> Any:
        for axis in self.axis if isinstance(self.axis, list) else [self.axis]:
            if not -len(input_shape) <= axis < len(input_shape):
                raise ValueError(
                    f"UnitNormalization '{self.name}': axis {axis} is out of bounds for input shape {input_shape}."
                )
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
