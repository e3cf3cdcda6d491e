"""Layers that wrap another layer: the ``Wrapper`` base class (Keras 3's ``keras.layers.Wrapper``)
and ``SpectralNormalization``, which keeps the wrapped layer's kernel at spectral norm 1."""

from __future__ import annotations

from typing import Any

from numeras import initializers
from numeras.autodiff import Tensor
from numeras.autodiff.ops import cast, record
from numeras.backend import xp
from numeras.layers.layer import Layer
from numeras.saving import object_registration
from numeras.saving.keras_format import deserialize_keras_object


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
        return {**super().get_config(), "layer": object_registration.serialize_object(self.layer, "keras.layers")}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Wrapper:
        config = dict(config)
        layer = config.pop("layer")
        if isinstance(layer, dict):
            if layer.get("class_name") in (custom_objects or {}):
                # Loading a saved model hands its own rebuilder of each nested class in custom_objects.
                layer = custom_objects[layer["class_name"]].from_config(layer["config"])
            else:
                # A Keras or numeras config: Keras-only arguments are dropped, nested objects rebuilt.
                layer = deserialize_keras_object(layer, custom_objects=custom_objects)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        return cls(layer, **config)


def _unit_vector(v):
    """``v`` scaled to unit L2 norm, the scale capped at 1e7 as Keras's ``normalize`` does."""
    return v * min(1.0 / max(float(xp.sqrt(xp.sum(xp.square(v)))), 1e-300), 1e7)


def _divide_by_spectral_norm(kernel: Tensor, vector_u, vector_v) -> Tensor:
    """z = W / sigma with sigma = v^T W u, the power iteration's (u, v) held constant
    (Miyato et al.);  with W_n = z and G the incoming gradient (both as (rows, units) matrices):
    dW = (G - <G, W_n> v u^T) / sigma."""
    shape = kernel.data.shape
    matrix = kernel.data.reshape(-1, shape[-1])
    sigma = float((vector_v @ matrix @ vector_u.T)[0, 0])
    normalized = (kernel.data / sigma).astype(kernel.data.dtype, copy=False)
    outer = (vector_v.T @ vector_u).astype(kernel.data.dtype, copy=False)

    def vjp(g):
        g_matrix = g.reshape(matrix.shape)
        along = float(xp.sum(g_matrix * normalized.reshape(matrix.shape)))
        return (((g_matrix - along * outer) / sigma).reshape(shape).astype(g.dtype, copy=False),)

    return record(normalized, (kernel,), vjp)


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's ``kernel`` (or ``embeddings``) by its largest singular value,
    estimated by power iteration (Miyato et al., 2018), which bounds the layer's Lipschitz
    constant (used in GAN discriminators).

    Each training call runs ``power_iterations`` steps of the iteration from the stored estimate
    ``vector_u`` (a non-trainable weight of shape (1, units)), then overwrites the kernel with
    ``kernel / sigma`` before the wrapped layer runs, as Keras 3 does. The wrapped layer computes
    with ``kernel / sigma`` recorded as an op of the kernel (u and v held constant), so the gradient
    w.r.t. the kernel is that of the normalized kernel, as Keras's JAX backend differentiates it.
    Inference uses the kernel as it is.
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
        if not (training and xp.any(self.kernel.data != 0)):
            return self._cast_like(self.layer(inputs), inputs)
        vector_u, vector_v = self._power_iteration()
        normalized = _divide_by_spectral_norm(self.kernel, vector_u, vector_v)
        # The stored weights become the normalized ones (as Keras assigns them), and the wrapped
        # layer runs on the recorded W / sigma, so gradients reach W through the normalization.
        self.vector_u.assign(vector_u)
        self.kernel.assign(normalized.data)
        attribute = next(key for key, value in vars(self.layer).items() if value is self.kernel)
        object.__setattr__(self.layer, attribute, normalized)
        try:
            outputs = self.layer(inputs)
        finally:
            object.__setattr__(self.layer, attribute, self.kernel)
        return self._cast_like(outputs, inputs)

    @staticmethod
    def _cast_like(outputs: Any, inputs: Any) -> Any:
        if isinstance(outputs, Tensor) and isinstance(inputs, Tensor) and outputs.dtype != inputs.dtype:
            return cast(outputs, inputs.dtype)
        return outputs

    def _power_iteration(self) -> tuple[Any, Any]:
        """``power_iterations`` steps from the stored ``vector_u``: the estimates (u, v) of the top
        right and left singular vectors of the kernel as a (rows, units) matrix."""
        weights = self.kernel.data.reshape(-1, self.kernel_shape[-1])
        vector_u = self.vector_u.data
        vector_v = None
        for _ in range(self.power_iterations):
            vector_v = _unit_vector(vector_u @ weights.T)
            vector_u = _unit_vector(vector_v @ weights)
        return vector_u.astype(self.vector_u.data.dtype, copy=False), vector_v

    def normalized_weights(self) -> tuple[Any, Any]:
        """``(vector_u, kernel / sigma)`` after ``power_iterations`` steps (arrays, Keras's method)."""
        vector_u, vector_v = self._power_iteration()
        return vector_u, _divide_by_spectral_norm(self.kernel, vector_u, vector_v).data

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "power_iterations": self.power_iterations}
