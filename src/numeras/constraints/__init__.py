"""``numeras.constraints``: weight constraints (MaxNorm, MinMaxNorm, NonNeg, UnitNorm), by object
or by name.

``Dense(64, kernel_constraint=constraints.MaxNorm(3))`` or ``kernel_constraint="max_norm"``
(which means ``MaxNorm()``, max_value 2); the optimizer projects the weights after each update.

This module only gathers the public names; the name table and the lookups live in
:mod:`numeras.constraints.lookup`.
"""

from numeras.constraints.constraints import (
    Constraint,
    MaxNorm,
    MinMaxNorm,
    NonNeg,
    UnitNorm,
    max_norm,
    min_max_norm,
    non_neg,
    unit_norm,
)
from numeras.constraints.lookup import deserialize, get, serialize

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "unit_norm",
    "get",
    "serialize",
    "deserialize",
]
