"""The activations by name: ``get``, ``serialize``, ``deserialize`` and the table of built-ins
(registered with the registry of built-in objects)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from numeras.activations.activations import (
    celu,
    crelu,
    elu,
    exponential,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    tanh,
    tanh_shrink,
    threshold,
)
from numeras.saving.object_registration import (
    deserialize_object,
    register_builtins,
    serialize_function,
    unknown_name_error,
)

_BUILT_INS: tuple[Callable, ...] = (
    relu,
    leaky_relu,
    relu6,
    softmax,
    log_softmax,
    elu,
    selu,
    softplus,
    softsign,
    silu,
    gelu,
    tanh,
    sigmoid,
    exponential,
    hard_sigmoid,
    hard_silu,
    linear,
    mish,
    crelu,
    celu,
    glu,
    hard_tanh,
    hard_shrink,
    log_sigmoid,
    soft_shrink,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    tanh_shrink,
    threshold,
)

ALL_OBJECTS_DICT: dict[str, Callable] = {fn.__name__: fn for fn in _BUILT_INS}
ALL_OBJECTS_DICT["swish"] = silu
ALL_OBJECTS_DICT["hard_swish"] = hard_silu
"""Every name :func:`get` accepts. Aliases (``swish``, ``hard_swish``) serialize to the canonical name."""
register_builtins("activations", ALL_OBJECTS_DICT)


def serialize(activation: Callable) -> Any:
    """The name of a built-in activation (``serialize(relu) == "relu"``; aliases give the canonical
    name, so ``serialize(swish) == "silu"``). An object with ``get_config`` gives its config dict."""
    for fn in _BUILT_INS:
        if activation is fn:
            return fn.__name__
    if inspect.isfunction(activation) and activation.__name__ != "<lambda>":
        # Keras's form for a user function: loading looks it up by name (registered objects or
        # custom_objects), never runs code from the file.
        return serialize_function(activation, "builtins")
    if hasattr(activation, "get_config"):
        return {
            "module": type(activation).__module__,
            "class_name": type(activation).__name__,
            "config": activation.get_config(),
            "registered_name": None,
        }
    raise ValueError(
        f"Cannot serialize the activation {activation!r}: it is not one of numeras's built-in "
        f"activations ({', '.join(sorted(ALL_OBJECTS_DICT))}). Use a built-in name, or an object "
        "with `get_config()`, if the model has to be saved."
    )


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Callable:
    """An activation function from its name (``"relu"``) or a Keras config dict
    (``{"class_name": "function", "config": "relu"}``)."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "activation", custom_objects)


def get(identifier: Any) -> Callable:
    """An activation function from a name, a config dict or a callable; ``None`` gives ``linear``."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in ALL_OBJECTS_DICT:
            raise unknown_name_error("activation", identifier, ALL_OBJECTS_DICT, argument="identifier")
        return ALL_OBJECTS_DICT[identifier]
    if isinstance(identifier, dict):
        identifier = deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation identifier {identifier!r} of type {type(identifier).__name__}: "
        "expected a name such as 'relu', a config dict, or a callable taking a tensor."
    )
