"""BatchNormalization: normalize each feature with batch statistics while training and with
their moving averages at inference (Ioffe and Szegedy, 2015), as Keras 3.

Training (``training=True`` and the layer trainable): y = gamma * (x - mean_B) / sqrt(var_B + eps)
+ beta with the batch's mean and population variance, and the moving statistics move towards them:

    moving_mean     <- momentum * moving_mean     + (1 - momentum) * mean_B
    moving_variance <- momentum * moving_variance + (1 - momentum) * var_B

A mask (implicit, from Embedding(mask_zero=True) or Masking upstream, or ``mask=`` in the call) has
one axis fewer than the inputs, e.g. (batch, steps) for (batch, steps, features), and broadcasts
along the last axis: while training, mean_B and var_B (and so the moving statistics) are taken over
the unmasked entries only, each divided by their count + ``backend.epsilon()`` as Keras does; every
entry is still normalized and the mask passes on unchanged.

Inference (and a frozen layer, ``trainable = False``, as Keras): the moving statistics replace the
batch's, and the mask plays no part. Weights, in order: gamma, beta (trainable), moving_mean, moving_variance (not trainable).
"""

from __future__ import annotations

from typing import Any

from numeras import backend, constraints, initializers, ops
from numeras.autodiff import Tensor
from numeras.autodiff.ops.normalization import batch_norm_train, masked_batch_norm_train
from numeras.backend import xp
from numeras.distribution import distribution_lib
from numeras.layers.core import _serialize_regularizer
from numeras.layers.layer import Layer, _get_regularizer


class BatchNormalization(Layer):
    """Normalizes its inputs along ``axis`` (the channels: -1 for channels_last, 1 for channels_first).

    Args follow Keras 3: ``momentum=0.99``, ``epsilon=1e-3``, ``center`` (learn beta), ``scale``
    (learn gamma) and the initializers, regularizers and constraints of beta and gamma.
    """


    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        synchronized: bool = False,
        renorm: bool = False,
        renorm_clipping: Any = None,
        renorm_momentum: float = 0.99,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        if renorm:
            raise ValueError(
                "BatchNormalization: batch renormalization (`renorm=True`) is not implemented in numeras; "
                "leave renorm=False."
            )
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(
                    f"BatchNormalization: `axis` must be a single int (the feature axis), received {axis!r}."
                )
            axis = axis[0]
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(f"BatchNormalization: `axis` must be an int, received {axis!r}.")
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"BatchNormalization: `momentum` must be in [0, 1], received {momentum!r}.")
        if float(epsilon) <= 0:
            raise ValueError(f"BatchNormalization: `epsilon` must be positive, received {epsilon!r}.")
        if synchronized:
            raise ValueError(
                "BatchNormalization: `synchronized=True` needs several devices; numeras runs on one. "
                "Leave it False."
            )
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.synchronized = False
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = _get_regularizer(beta_regularizer)
        self.gamma_regularizer = _get_regularizer(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma: Any = None
        self.beta: Any = None
        self.moving_mean: Any = None
        self.moving_variance: Any = None

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape)
        if not -len(shape) <= self.axis < len(shape):
            raise ValueError(
                f"BatchNormalization '{self.name}': `axis` {self.axis} is out of range for inputs of "
                f"shape {shape}."
            )
        features = shape[self.axis]
        if features is None:
            raise ValueError(
                f"BatchNormalization '{self.name}': the feature axis {self.axis} of the input must be "
                f"known, received input shape {shape}."
            )
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma", shape=(features,), initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                name="beta", shape=(features,), initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            name="moving_mean", shape=(features,), initializer=self.moving_mean_initializer, trainable=False
        )
        self.moving_variance = self.add_weight(
            name="moving_variance", shape=(features,), initializer=self.moving_variance_initializer, trainable=False
        )

    def _mask_shape_fits(self, mask_shape: tuple, input_shape: tuple) -> bool:
        return True  # call checks masks by Keras's rule: one axis fewer than the inputs, size-1 axes broadcast

    def call(self, inputs: Tensor, training: bool | None = None, mask: Any = None) -> Tensor:
        if inputs.data.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        features = self.moving_mean.shape[0]
        if inputs.shape[self.axis] != features:
            raise ValueError(
                f"BatchNormalization '{self.name}': expected {features} features on axis {self.axis}, "
                f"received inputs of shape {tuple(inputs.shape)}."
            )
        if mask is not None:
            mask = self._statistics_mask(inputs, mask)
        if training and self.trainable:
            distribution = distribution_lib.distribution()
            if mask is not None:
                if distribution is not None and getattr(distribution, "size", None) != 1:
                    raise NotImplementedError(
                        f"BatchNormalization '{self.name}': masked batch statistics across the "
                        "processes of a distribution are not implemented in numeras. Train without "
                        "the distribution, or drop the mask before this layer."
                    )
                outputs, mean, variance = masked_batch_norm_train(
                    inputs, mask, self.gamma, self.beta, self.axis, self.epsilon, backend.epsilon()
                )
            elif distribution is not None:  # DataParallel: the moments of the global batch
                outputs, mean, variance = distribution.batch_norm_train(
                    inputs, self.gamma, self.beta, self.axis, self.epsilon
                )
            else:
                outputs, mean, variance = batch_norm_train(inputs, self.gamma, self.beta, self.axis, self.epsilon)
            # Moving statistics: updated in place, outside the graph (they are never differentiated).
            for moving, batch_value in ((self.moving_mean, mean), (self.moving_variance, variance)):
                data = moving.data
                xp.multiply(data, self.momentum, out=data, casting="unsafe")
                data += (batch_value * (1.0 - self.momentum)).astype(data.dtype, copy=False)
            return outputs
        return ops.batch_normalization(
            inputs, self.moving_mean.data, self.moving_variance.data, axis=self.axis,
            offset=self.beta, scale=self.gamma, epsilon=self.epsilon,
        )

    def _statistics_mask(self, inputs: Tensor, mask: Any) -> Any:
        """``mask`` as a boolean array of the inputs' rank (a trailing size-1 axis added), after
        Keras's check that it has one axis fewer than the inputs and broadcasts against them."""
        mask_array = xp.asarray(mask.data if isinstance(mask, Tensor) else mask)
        input_shape = tuple(inputs.shape)
        expanded = mask_array.shape + (1,)
        fits = len(expanded) == len(input_shape) and all(
            m in (1, n) for m, n in zip(expanded, input_shape)
        )
        if not fits:
            raise ValueError(
                f"BatchNormalization '{self.name}': `mask` must have one axis fewer than the inputs "
                f"and match their leading axes (size 1 broadcasts), e.g. {input_shape[:-1]} for "
                f"inputs of shape {input_shape}; received mask of shape {mask_array.shape}. Pass a "
                "mask of the inputs' leading shape (True for the entries that count in the batch "
                "statistics), or let the mask travel with the tensor (Embedding(mask_zero=True), Masking)."
            )
        if mask_array.dtype != bool:
            mask_array = mask_array != 0
        return mask_array[..., None]

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": _serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": _serialize_regularizer(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }
