"""``numeras.regularizers``: weight penalties (L1, L2, L1L2, orthogonality), by object or by name.

``Dense(16, kernel_regularizer=regularizers.l2(0.002))`` or ``kernel_regularizer="l2"``
(which means ``L2(0.01)``).

This module only gathers the public names; the name table and the lookups live in
:mod:`numeras.regularizers.lookup`.
"""

from numeras.regularizers.lookup import ALL_OBJECTS_DICT, deserialize, get, serialize
from numeras.regularizers.regularizers import (
    L1,
    L1L2,
    L2,
    OrthogonalRegularizer,
    Regularizer,
    activity_regularization_loss,
    l1,
    l1_l2,
    l2,
    orthogonal_regularizer,
    validate_float_arg,
)

__all__ = [
    "Regularizer",
    "activity_regularization_loss",
    "L1",
    "L2",
    "L1L2",
    "OrthogonalRegularizer",
    "l1",
    "l2",
    "l1_l2",
    "orthogonal_regularizer",
    "validate_float_arg",
    "ALL_OBJECTS_DICT",
    "get",
    "serialize",
    "deserialize",
]
