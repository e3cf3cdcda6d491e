"""Optimizers to and from Keras 3's config dicts (``numeras.optimizers.serialize`` /
``deserialize``). Classes are found through the registry of built-in objects, so the optimizers
that wrap others (``LossScaleOptimizer``, ``MultiOptimizer``) can use this module without
importing the package that lists them."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from numeras.optimizers.base_optimizer import Optimizer
from numeras.saving.object_registration import builtin_objects, serialize_object, unknown_name_error

_MODULE = "keras.optimizers"
# Names `get` refuses: the base class has no update rule; the wrappers need what they wrap.
_NOT_GETTABLE = ("optimizer", "lossscaleoptimizer", "multioptimizer", "optimizermap")


def _builtins() -> dict[str, type]:
    """Built-in optimizer classes by lower-cased name (Keras looks them up that way)."""
    return {name.lower(): cls for name, cls in builtin_objects("optimizers").items()}


def _gettable() -> list[str]:
    return sorted(name for name in _builtins() if name not in _NOT_GETTABLE)


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """The Keras 3 config dict of ``optimizer``:
    ``{"module", "class_name", "config", "registered_name"}``."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizers.serialize: expected an Optimizer instance, received {type(optimizer).__name__}: {optimizer!r}."
        )
    cls = type(optimizer)
    builtin = _builtins().get(cls.__name__.lower()) is cls
    return serialize_object(optimizer, _MODULE if builtin else cls.__module__)


def deserialize(config: Mapping[str, Any] | str, custom_objects: Mapping[str, Any] | None = None) -> Optimizer:
    """The optimizer described by ``config``: a dict from :func:`serialize` (or Keras 2's
    ``{"class_name", "config"}``) or a class name. Your own classes go in ``custom_objects``."""
    if isinstance(config, str):
        class_name, inner = config, {}
    elif isinstance(config, Mapping):
        if "class_name" not in config:
            raise ValueError(
                f"optimizers.deserialize: a config dict needs a 'class_name' key, received {dict(config)!r}. "
                "Expected e.g. {'class_name': 'RMSprop', 'config': {'learning_rate': 0.001}}."
            )
        class_name, inner = config["class_name"], dict(config.get("config") or {})
    else:
        raise TypeError(
            f"optimizers.deserialize: expected a config dict or a class name, received "
            f"{type(config).__name__}: {config!r}."
        )
    custom_objects = dict(custom_objects or {})
    cls = custom_objects.get(class_name) or _builtins().get(str(class_name).lower())
    if cls is None:
        raise _unknown_optimizer_error(class_name, list(custom_objects))
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def _unknown_optimizer_error(name: Any, extra_names: list[str] | None = None) -> ValueError:
    return unknown_name_error("optimizer", name, _gettable() + sorted(extra_names or []), class_example="RMSprop")
