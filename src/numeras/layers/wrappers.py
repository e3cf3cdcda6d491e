"""Layers that wrap another layer: the ``Wrapper`` base class (Keras 3's ``keras.layers.Wrapper``)
and ``SpectralNormalization``, which keeps the wrapped layer's kernel at spectral norm 1."""

from __future__ import annotations

from typing import Any

from numeras import initializers
from numeras.autodiff import Tensor
from numeras.autodiff.ops import cast
from numeras.backend import xp
from numeras.layers.layer import Layer


class Wrapper(Layer):
    """Base class of layers that add behaviour to another layer, ``layer``.

    ``build`` builds the wrapped layer if it is not built yet; ``get_config`` stores it serialized
    under ``"layer"``, and ``from_config`` rebuilds it. Subclasses override ``call``.
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__}: `layer` must be a numeras Layer instance, received {layer!r} "
                f"of type {type(layer).__name__}. Pass a layer object, e.g. layers.Dense(10)."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        if not self.layer.built:
            self.layer._ensure_built(input_shape)

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return self.layer(inputs, *args, **kwargs)

    def get_config(self) -> dict:
        from numeras.layers import serialize

        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Wrapper:
        from numeras.layers import deserialize

        config = dict(config)
        layer = config.pop("layer")
        if not isinstance(layer, Layer):
            layer = deserialize(layer, custom_objects=custom_objects)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        return cls(layer, **config)


def _unit_vector(v):
    """``v`` scaled to unit L2 norm, the scale capped at 1e7 as Keras's ``normalize`` does."""
    return v * min(1.0 / max(float(xp.sqrt(xp.sum(xp.square(v)))), 1e-300), 1e7)


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's ``kernel`` (or ``embeddings``) by its largest singular value,
    estimated by power iteration (Miyato et al., 2018), which bounds the layer's Lipschitz
    constant (used in GAN discriminators).

    Each training call runs ``power_iterations`` steps of the iteration from the stored estimate
    ``vector_u`` (a non-trainable weight of shape (1, units)), then overwrites the kernel with
    ``kernel / sigma`` before the wrapped layer runs, as Keras 3 does; the normalization itself is
    not differentiated. Inference uses the kernel as it is.
    """

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or power_iterations <= 0:
            raise ValueError(
                "SpectralNormalization: `power_iterations` must be a positive integer, received "
                f"power_iterations={power_iterations!r}."
            )
        self.power_iterations = power_iterations

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        if getattr(self.layer, "kernel", None) is not None:
            self.kernel = self.layer.kernel
        elif getattr(self.layer, "embeddings", None) is not None:
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(
                f"SpectralNormalization '{self.name}': the wrapped {type(self.layer).__name__} has neither a "
                "`kernel` nor an `embeddings` weight to normalize. Wrap a layer such as Dense, Conv2D or Embedding."
            )
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype=self.kernel.dtype,
        )

    def call(self, inputs: Tensor, training: bool | None = None) -> Any:
        if training and xp.any(self.kernel.data != 0):
            vector_u, kernel = self.normalized_weights()
            self.vector_u.assign(vector_u)
            self.kernel.assign(kernel)
        outputs = self.layer(inputs)
        if isinstance(outputs, Tensor) and isinstance(inputs, Tensor) and outputs.dtype != inputs.dtype:
            outputs = cast(outputs, inputs.dtype)
        return outputs

    def normalized_weights(self) -> tuple[Any, Any]:
        """``(vector_u, kernel / sigma)`` after ``power_iterations`` steps from the stored ``vector_u``
        (arrays, not recorded for differentiation)."""
        weights = self.kernel.data.reshape(-1, self.kernel_shape[-1])
        vector_u = self.vector_u.data
        vector_v = None
        for _ in range(self.power_iterations):
            vector_v = _unit_vector(vector_u @ weights.T)
            vector_u = _unit_vector(vector_v @ weights)
        sigma = (vector_v @ weights @ vector_u.T)[0, 0]
        kernel = (self.kernel.data / sigma).astype(self.kernel.data.dtype, copy=False)
        return vector_u.astype(self.vector_u.data.dtype, copy=False), kernel

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "power_iterations": self.power_iterations}
