"""Name lookup for ``numeras.optimizers``: the table of the built-in optimizer classes
(``ALL_OBJECTS_DICT``, by lower-cased name as Keras looks them up), their registration with the
saving registry, and ``get``. ``serialize``/``deserialize`` live in
:mod:`numeras.optimizers.serialization`; ``numeras.optimizers`` re-exports the public names.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from numeras.optimizers.adadelta import Adadelta
from numeras.optimizers.adafactor import Adafactor
from numeras.optimizers.adagrad import Adagrad
from numeras.optimizers.adam import Adam
from numeras.optimizers.adamax import Adamax
from numeras.optimizers.adamw import AdamW
from numeras.optimizers.base_optimizer import (
    _IGNORED_CONFIG_KEYS,
    _LEGACY_ARGUMENTS,
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
from numeras.optimizers.serialization import _NOT_GETTABLE, _unknown_optimizer_error, deserialize
from numeras.optimizers.sgd import SGD
from numeras.saving.object_registration import (
    register_base_class_arguments,
    register_builtins,
)

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
# Names `get` accepts: the base class needs a learning rate and has no update rule, and the
# wrappers need the optimizers they wrap.
_GETTABLE = sorted(name for name in ALL_OBJECTS_DICT if name not in _NOT_GETTABLE)
register_builtins("optimizers", {cls.__name__: cls for cls in ALL_OBJECTS})
register_base_class_arguments(Optimizer, (*_LEGACY_ARGUMENTS, *_IGNORED_CONFIG_KEYS))


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
