"""``numeras.optimizers``: Keras 3's optimizers, updating variables in place.

``get('rmsprop')`` (any case), ``get({'class_name': 'RMSprop', 'config': {...}})`` or an
instance gives an optimizer; ``serialize``/``deserialize`` convert to and from Keras 3's config
dicts. Learning-rate schedules live in ``numeras.optimizers.schedules``.

This module only gathers the public names; the name table and ``get`` live in
:mod:`numeras.optimizers.lookup`.
"""

from numeras.optimizers import legacy, schedules
from numeras.optimizers.adadelta import Adadelta
from numeras.optimizers.adafactor import Adafactor
from numeras.optimizers.adagrad import Adagrad
from numeras.optimizers.adam import Adam
from numeras.optimizers.adamax import Adamax
from numeras.optimizers.adamw import AdamW
from numeras.optimizers.base_optimizer import BaseOptimizer, Optimizer
from numeras.optimizers.ftrl import Ftrl
from numeras.optimizers.lamb import Lamb
from numeras.optimizers.lion import Lion
from numeras.optimizers.lookup import get
from numeras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from numeras.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from numeras.optimizers.muon import Muon
from numeras.optimizers.nadam import Nadam
from numeras.optimizers.rmsprop import RMSprop
from numeras.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from numeras.optimizers.serialization import deserialize, serialize
from numeras.optimizers.sgd import SGD

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
