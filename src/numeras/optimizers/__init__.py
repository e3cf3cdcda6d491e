"""``numeras.optimizers``: Keras 3's optimizers, updating variables in place.

``get('rmsprop')`` (any case), ``get({'class_name': 'RMSprop', 'config': {...}})`` or an
instance gives an optimizer; ``serialize``/``deserialize`` convert to and from Keras 3's config
dicts. Learning-rate schedules live in ``numeras.optimizers.schedules``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from numeras.optimizers import legacy, schedules
from numeras.optimizers.adadelta import Adadelta
from numeras.optimizers.adafactor import Adafactor
from numeras.optimizers.adagrad import Adagrad
from numeras.optimizers.adam import Adam
from numeras.optimizers.adamax import Adamax
from numeras.optimizers.adamw import AdamW
from numeras.optimizers.base_optimizer import (
    _IGNORED_CONFIG_KEYS,
    _LEGACY_ARGUMENTS,
    BaseOptimizer,
    Optimizer,
)
from numeras.optimizers.ftrl import Ftrl
from numeras.optimizers.lamb import Lamb
from numeras.optimizers.lion import Lion
from numeras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from numeras.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from numeras.optimizers.muon import Muon
from numeras.optimizers.nadam import Nadam
from numeras.optimizers.rmsprop import RMSprop
from numeras.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from numeras.optimizers.sgd import SGD
from numeras.saving.object_registration import (
    register_base_class_arguments,
    register_builtins,
    serialize_object,
    unknown_name_error,
)

_MODULE = "keras.optimizers"

ALL_OBJECTS = {
    Optimizer,
    Adam,
    SGD,
    RMSprop,
    Adadelta,
    AdamW,
    Adagrad,
    Adamax,
    Nadam,
    Ftrl,
    Lion,
    Lamb,
    Adafactor,
    Muon,
    LossScaleOptimizer,
    ScheduleFreeAdamW,
    MultiOptimizer,
    OptimizerMap,
}
# Keras looks optimizers up by lower-cased class name, so 'RMSprop', 'rmsprop' and 'RMSProp' agree.
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}
# Names `get` accepts: the base class needs a learning rate and has no update rule, and a loss
# scale optimizer needs the optimizer it wraps.
_GETTABLE = sorted(
    name for name in ALL_OBJECTS_DICT if name not in ("optimizer", "lossscaleoptimizer", "multioptimizer", "optimizermap")
)
register_builtins("optimizers", {cls.__name__: cls for cls in ALL_OBJECTS})
register_base_class_arguments(Optimizer, (*_LEGACY_ARGUMENTS, *_IGNORED_CONFIG_KEYS))


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """The Keras 3 config dict of ``optimizer``:
    ``{"module", "class_name", "config", "registered_name"}``."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizers.serialize: expected an Optimizer instance, received {type(optimizer).__name__}: {optimizer!r}."
        )
    cls = type(optimizer)
    builtin = ALL_OBJECTS_DICT.get(cls.__name__.lower()) is cls
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
    cls = custom_objects.get(class_name) or ALL_OBJECTS_DICT.get(str(class_name).lower())
    if cls is None:
        raise _unknown_optimizer_error(class_name, list(custom_objects))
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def get(identifier: Any) -> Optimizer | None:
    """An optimizer from a name (``'rmsprop'``, ``'Adam'``, ...: defaults as Keras), a config
    dict, or an instance (returned as is). ``None`` gives ``None``."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() not in _GETTABLE:
            raise _unknown_optimizer_error(identifier)
        return ALL_OBJECTS_DICT[identifier.lower()]()
    if isinstance(identifier, Mapping):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Optimizer):
        raise ValueError(
            f"Could not interpret optimizer identifier: {identifier.__name__} is a class; pass an "
            f"instance, e.g. {identifier.__name__}(), or its name, e.g. '{identifier.__name__.lower()}'."
        )
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r} of type {type(identifier).__name__}. "
        f"Pass an optimizer instance, a name ({', '.join(repr(n) for n in _GETTABLE)}) or a config dict."
    )


def _unknown_optimizer_error(name: Any, extra_names: list[str] | None = None) -> ValueError:
    return unknown_name_error("optimizer", name, _GETTABLE + sorted(extra_names or []), class_example="RMSprop")


__all__ = [
    "Adadelta",
    "Adafactor",
    "Ftrl",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "Muon",
    "MultiOptimizer",
    "OptimizerMap",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "BaseOptimizer",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "SGD",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "legacy",
    "schedules",
    "serialize",
]
