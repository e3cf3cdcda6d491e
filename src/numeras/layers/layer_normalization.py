"""LayerNormalization: normalize each sample over its feature axes (Ba et al., 2016), as Keras 3.

Unlike BatchNormalization it keeps no moving statistics and behaves the same in training and
inference: y = gamma * (x - mean) / sqrt(var + epsilon) + beta, the mean and variance taken per
sample over ``axis``. Weights, in order: gamma (``scale``), beta (``center``), each of the
normalized axes' shape. The computation is one fused primitive (``ops.layer_normalization``).
"""

from __future__ import annotations

import warnings
from typing import Any

from numeras import constraints, initializers
from numeras.autodiff import Tensor
from numeras.autodiff.ops.layer_normalization import layer_norm
from numeras.layers.core import _serialize_regularizer
from numeras.layers.layer import Layer, _get_regularizer


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (an int or a list of ints; default the last axis).

    Args follow Keras 3: ``epsilon=1e-3``, ``center`` (learn beta), ``scale`` (learn gamma),
    the deprecated ``rms_scaling`` (scale by 1 / sqrt(var + epsilon) without centring, as Keras
    does), and the initializers, regularizers and constraints of beta and gamma.
    """

    def __init__(
        self,
        axis: Any = -1,
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
        rms_scaling = bool(kwargs.pop("rms_scaling", False))
        if rms_scaling:
            warnings.warn(
                "LayerNormalization: `rms_scaling=True` is deprecated in Keras 3 (it scales by the "
                "variance, not the root mean square); numeras keeps Keras's formula for compatibility.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis or not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
                raise TypeError(
                    f"LayerNormalization: `axis` must be an int or a non-empty list of ints, received {axis!r}."
                )
            axis = list(axis)
        elif not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"LayerNormalization: `axis` must be an int or a list of ints, received {axis!r}.")
        if float(epsilon) <= 0:
            raise ValueError(f"LayerNormalization: `epsilon` must be positive, received {epsilon!r}.")
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = _get_regularizer(beta_regularizer)
        self.gamma_regularizer = _get_regularizer(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma: Any = None
        self.beta: Any = None

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -len(shape) <= a < len(shape):
                raise ValueError(
                    f"LayerNormalization '{self.name}': axis {a} is out of range for inputs of shape "
                    f"{shape}. Received: axis={self.axis}."
                )
        # As Keras: the axes are kept sorted, and always a list once built.
        axes = sorted(axes)
        self.axis = axes
        param_shape = tuple(shape[a] for a in axes)
        if any(n is None for n in param_shape):
            raise ValueError(
                f"LayerNormalization '{self.name}': the normalized axes {axes} of the input must be "
                f"known, received input shape {shape}."
            )
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                name="gamma", shape=param_shape, initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                name="beta", shape=param_shape, initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
            )

    def call(self, inputs: Tensor) -> Tensor:
        expected = tuple(w.shape for w in (self.gamma, self.beta) if w is not None)
        found = tuple(inputs.shape[a] for a in self.axis)
        if expected and expected[0] != found:
            raise ValueError(
                f"LayerNormalization '{self.name}': expected the axes {self.axis} to have sizes "
                f"{expected[0]}, received inputs of shape {tuple(inputs.shape)}."
            )
        outputs = layer_norm(
            inputs, self.gamma, self.beta, axis=self.axis, epsilon=self.epsilon, rms_scaling=self.rms_scaling
        )
        mask = getattr(inputs, "_keras_mask", None)
        if mask is not None:
            _set_keras_mask(outputs, mask)
        return outputs

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -len(input_shape) <= a < len(input_shape):
                raise ValueError(
                    f"LayerNormalization: axis {a} is out of bounds for input shape {input_shape}. "
                    f"Received: axis={self.axis}."
                )
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": _serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": _serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


def _set_keras_mask(tensor: Any, mask: Any) -> None:
    """Attach ``mask`` to ``tensor`` as Keras's ``_keras_mask``, where tensors can carry one
    (until numeras's masks travel on tensors, a Tensor without the slot simply goes without)."""
    try:
        tensor._keras_mask = mask
    except AttributeError:
        pass
