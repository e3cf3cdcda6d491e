"""Name lookup for ``numeras.initializers``: the table of every initializer name
(``ALL_OBJECTS_DICT``) and the ``get``/``serialize``/``deserialize`` that turn a name, a config
dict or an object into a initializer. ``numeras.initializers`` re-exports the public names.
"""

from __future__ import annotations

import inspect
from typing import Any

from numeras.initializers.constant_initializers import Constant, Identity, Ones, Zeros
from numeras.initializers.initializer import Initializer
from numeras.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
from numeras.saving.object_registration import (
    deserialize_object,
    register_builtins,
    serialize_object,
    unknown_name_error,
)

ALL_OBJECTS_DICT: dict[str, type[Initializer]] = {
    # Class names.
    "Constant": Constant,
    "Identity": Identity,
    "Ones": Ones,
    "Zeros": Zeros,
    "GlorotNormal": GlorotNormal,
    "GlorotUniform": GlorotUniform,
    "HeNormal": HeNormal,
    "HeUniform": HeUniform,
    "LecunNormal": LecunNormal,
    "LecunUniform": LecunUniform,
    "Orthogonal": Orthogonal,
    "OrthogonalInitializer": Orthogonal,
    "IdentityInitializer": Identity,
    "RandomNormal": RandomNormal,
    "RandomUniform": RandomUniform,
    "TruncatedNormal": TruncatedNormal,
    "VarianceScaling": VarianceScaling,
    # snake_case names.
    "constant": Constant,
    "identity": Identity,
    "ones": Ones,
    "zeros": Zeros,
    "glorot_normal": GlorotNormal,
    "glorot_uniform": GlorotUniform,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal,
    "orthogonal_initializer": Orthogonal,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    # Keras's short aliases.
    "uniform": RandomUniform,
    "normal": RandomNormal,
    "one": Ones,
    "zero": Zeros,
}
"""Every name :func:`get` and :func:`deserialize` accept (case-sensitive, as in Keras)."""
register_builtins("initializers", ALL_OBJECTS_DICT)


def serialize(initializer: Initializer) -> dict[str, Any]:
    """The initializer's config: ``{"module", "class_name", "config", "registered_name"}``."""
    return serialize_object(initializer, "numeras.initializers")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Initializer:
    """An initializer from a name (``"he_normal"``) or a config dict (the output of :func:`serialize`)."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "initializer", custom_objects)


def get(identifier: Any) -> Any:
    """An initializer from a name, a config dict, an Initializer class or instance, or a callable.

    ``None`` gives ``None``. A name builds the class with its Keras defaults, e.g.
    ``get("glorot_uniform")`` is ``GlorotUniform()``.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in ALL_OBJECTS_DICT:
            raise unknown_name_error("initializer", identifier, ALL_OBJECTS_DICT, argument="identifier")
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
        f"Could not interpret initializer identifier {identifier!r} of type {type(identifier).__name__}: "
        "expected a name such as 'glorot_uniform', an Initializer, a config dict, or a callable "
        "`f(shape, dtype=None)`."
    )
