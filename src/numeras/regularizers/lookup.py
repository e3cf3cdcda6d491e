"""Name lookup for ``numeras.regularizers``: the table of every regularizer name
(``ALL_OBJECTS_DICT``) and the ``get``/``serialize``/``deserialize`` that turn a name, a config
dict or an object into a regularizer. ``numeras.regularizers`` re-exports the public names.
"""

from __future__ import annotations

import inspect
from typing import Any

from numeras.regularizers.regularizers import (
    L1,
    L1L2,
    L2,
    OrthogonalRegularizer,
    Regularizer,
)
from numeras.saving.object_registration import (
    deserialize_object,
    register_builtins,
    serialize_object,
    unknown_name_error,
)

ALL_OBJECTS_DICT: dict[str, type[Regularizer]] = {
    "L1": L1,
    "L2": L2,
    "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "l1": L1,
    "l2": L2,
    "l1l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}
"""Every class name :func:`deserialize` accepts (case-sensitive, as in Keras)."""
register_builtins("regularizers", ALL_OBJECTS_DICT)

_NAME_DEFAULTS: dict[str, dict[str, float]] = {"l1_l2": {"l1": 0.01, "l2": 0.01}}
"""Names :func:`get` accepts beyond the class names: Keras documents ``kernel_regularizer='l1_l2'``
as ``L1L2(l1=0.01, l2=0.01)``, unlike ``L1L2()`` whose factors default to 0."""


def serialize(regularizer: Regularizer) -> dict[str, Any]:
    """The regularizer's config: ``{"module", "class_name", "config", "registered_name"}``."""
    return serialize_object(regularizer, "numeras.regularizers")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Regularizer:
    """A regularizer from a name (``"l2"``) or a config dict (the output of :func:`serialize`)."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "regularizer", custom_objects)


def get(identifier: Any) -> Any:
    """A regularizer from a name, a config dict, a Regularizer class or instance, or a callable
    ``f(weights) -> scalar``; ``None`` gives ``None``. ``"l1"``/``"l2"`` use the 0.01 default."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier in _NAME_DEFAULTS:
            return L1L2(**_NAME_DEFAULTS[identifier])
        if identifier not in ALL_OBJECTS_DICT:
            raise unknown_name_error("regularizer", identifier, [*ALL_OBJECTS_DICT, *_NAME_DEFAULTS], argument="identifier")
        obj = deserialize(identifier)
    elif isinstance(identifier, dict):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret regularizer identifier {identifier!r} of type {type(identifier).__name__}: "
        "expected a name such as 'l2', a Regularizer, a config dict, or a callable returning a scalar."
    )
