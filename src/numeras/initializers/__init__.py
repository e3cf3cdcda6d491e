"""``numeras.initializers``: Keras 3's weight initializers, their names, and ``get``.

Every initializer is a callable ``initializer(shape, dtype=None)`` returning an array of that
shape in ``dtype`` (floatx, ``'float32'``, by default). Layers take them as objects or by name::

    Dense(512, kernel_initializer="he_normal", bias_initializer="zeros")

This module only gathers the public names; the name table and the lookups live in
:mod:`numeras.initializers.lookup`.
"""

from numeras.initializers.constant_initializers import Constant, Identity, Ones, Zeros
from numeras.initializers.initializer import Initializer
from numeras.initializers.lookup import ALL_OBJECTS_DICT, deserialize, get, serialize
from numeras.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    OrthogonalInitializer,
    RandomInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    compute_fans,
)

# Keras's lowercase names for the classes (keras.initializers.glorot_uniform is the class itself).
constant = Constant
identity = Identity
ones = Ones
zeros = Zeros
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling

__all__ = [
    "Initializer",
    "RandomInitializer",
    "Constant",
    "Identity",
    "Ones",
    "Zeros",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "compute_fans",
    "constant",
    "identity",
    "ones",
    "zeros",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
    "ALL_OBJECTS_DICT",
    "get",
    "serialize",
    "deserialize",
]
