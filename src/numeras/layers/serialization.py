"""Layers to and from Keras 3's config dicts (``numeras.layers.serialize`` / ``deserialize`` /
``get`` / ``register``). Classes come from the registry of built-in objects, so the layers that
hold other layers (``Bidirectional``, ``RNN``, wrappers) use this module without importing the
package that lists them."""

from __future__ import annotations

from typing import Any

from numeras.layers.layer import Layer
from numeras.saving.object_registration import builtin_objects, register_builtins, serialize_object

_LAYERS = "layers"
# Models can be layers of other models; they are registered by numeras.models (which imports
# this package), so the registry loads them when first needed.
_MODEL_CLASS_NAMES = ("Functional", "Model", "Sequential")


def register(cls: type) -> type:
    """Make a custom layer class loadable by name (``deserialize`` and saved models)."""
    register_builtins(_LAYERS, {cls.__name__: cls})
    return cls


def serialize(layer: Layer) -> dict:
    return serialize_object(layer, "keras.layers")


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """Rebuild a layer from ``serialize``'s output; classes come only from the registry and
    ``custom_objects``, never from code in the config."""
    class_name = config["class_name"]
    lookup = {**builtin_objects(_LAYERS), **(custom_objects or {})}
    if class_name in _MODEL_CLASS_NAMES and class_name not in lookup:
        model_class = builtin_objects("models")[class_name]
        return model_class.from_config(config["config"], custom_objects=custom_objects)
    if class_name not in lookup:
        raise ValueError(
            f"deserialize: unknown layer class {class_name!r}. Pass it in `custom_objects` "
            f"or register it with numeras.layers.register. Known: {sorted(builtin_objects(_LAYERS))}."
        )
    return lookup[class_name].from_config(config["config"])


def get(identifier: Any) -> Layer:
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"layers.get: expected a Layer or a serialized layer dict, received {identifier!r}.")
