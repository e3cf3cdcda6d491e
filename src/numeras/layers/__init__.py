"""Layers: the building blocks of models, with Keras 3's names and arguments."""

from __future__ import annotations

from typing import Any

from numeras.layers.core import Activation, Dense, Identity, Lambda
from numeras.layers.input_layer import Input, InputLayer, KerasTensor, Node, SymbolicTensor
from numeras.layers.layer import Layer
from numeras.layers.regularization import Dropout
from numeras.layers.reshaping import Flatten, Reshape

_REGISTRY: dict[str, type] = {
    cls.__name__: cls
    for cls in (Activation, Dense, Dropout, Flatten, Identity, InputLayer, Lambda, Layer, Reshape)
}


def register(cls: type) -> type:
    """Make a custom layer class loadable by name (``deserialize`` and saved models)."""
    _REGISTRY[cls.__name__] = cls
    return cls


def serialize(layer: Layer) -> dict:
    return {"module": "keras.layers", "class_name": type(layer).__name__, "config": layer.get_config(), "registered_name": None}


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """Rebuild a layer from ``serialize``'s output; classes come only from the registry and
    ``custom_objects``, never from code in the config."""
    class_name = config["class_name"]
    lookup = {**_REGISTRY, **(custom_objects or {})}
    if class_name not in lookup:
        raise ValueError(
            f"deserialize: unknown layer class {class_name!r}. Pass it in `custom_objects` "
            f"or register it with numeras.layers.register. Known: {sorted(_REGISTRY)}."
        )
    return lookup[class_name].from_config(config["config"])


def get(identifier: Any) -> Layer:
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"layers.get: expected a Layer or a serialized layer dict, received {identifier!r}.")


__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Flatten",
    "Identity",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Lambda",
    "Layer",
    "Node",
    "Reshape",
    "SymbolicTensor",
    "deserialize",
    "get",
    "register",
    "serialize",
]
