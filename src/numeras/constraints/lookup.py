"""Name lookup for ``numeras.constraints``: the table of every constraint name
(``ALL_OBJECTS_DICT``) and the ``get``/``serialize``/``deserialize`` that turn a name, a config
dict or an object into a constraint. ``numeras.constraints`` re-exports the public names.
"""

from __future__ import annotations

import inspect
from typing import Any

from numeras.constraints.constraints import (
    Constraint,
    MaxNorm,
    MinMaxNorm,
    NonNeg,
    UnitNorm,
)
from numeras.saving.object_registration import (
    deserialize_object,
    register_builtins,
    serialize_object,
    unknown_name_error,
)

ALL_OBJECTS_DICT: dict[str, type[Constraint]] = {
    "Constraint": Constraint,
    "MaxNorm": MaxNorm,
    "MinMaxNorm": MinMaxNorm,
    "NonNeg": NonNeg,
    "UnitNorm": UnitNorm,
    "constraint": Constraint,
    "max_norm": MaxNorm,
    "min_max_norm": MinMaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
}
"""Every name :func:`get` and :func:`deserialize` accept: the class names and their snake_case."""

register_builtins("constraints", ALL_OBJECTS_DICT)


def serialize(constraint: Constraint | None) -> dict[str, Any] | None:
    """The constraint's config: ``{"module", "class_name", "config", "registered_name"}``;
    ``None`` for no constraint."""
    if constraint is None:
        return None
    return serialize_object(constraint, "numeras.constraints")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Constraint:
    """A constraint from a name (``"max_norm"``) or a config dict (the output of :func:`serialize`)."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "constraint", custom_objects)


def get(identifier: Any) -> Any:
    """A constraint from a name, a config dict, a Constraint class or instance, or a callable
    ``f(weights) -> weights``; ``None`` gives ``None``."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in ALL_OBJECTS_DICT:
            raise unknown_name_error("constraint", identifier, ALL_OBJECTS_DICT)
        obj = ALL_OBJECTS_DICT[identifier]
    elif isinstance(identifier, dict):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(
        f"Could not interpret constraint identifier {identifier!r} of type {type(identifier).__name__}: "
        "expected a name such as 'max_norm', a Constraint, a config dict, or a callable returning the "
        "projected weights."
    )
