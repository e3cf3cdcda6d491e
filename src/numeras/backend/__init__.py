"""The one place numeras chooses its array module, default float type and random generator.

Everything that computes takes ``xp`` from here, so a CuPy backend can replace NumPy by
changing this module alone.

The dtype names live in :mod:`numeras.backend.dtypes`, the global random generator in
:mod:`numeras.backend.rng`; this module gathers the public names.
"""

import numpy as _numpy

xp = _numpy
"""The array module every op computes with (NumPy now; CuPy has the same API)."""

from numeras.backend.config import (  # noqa: E402  (the settings' one home)
    clear_session,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from numeras.backend.dtypes import is_float_dtype, result_type, standardize_dtype  # noqa: E402
from numeras.backend.rng import (  # noqa: E402
    bernoulli_keep,
    make_generator,
    random_generator,
    set_random_seed,
)

__all__ = [
    "xp",
    "result_type",
    "bernoulli_keep",
    "floatx",
    "set_floatx",
    "epsilon",
    "set_epsilon",
    "image_data_format",
    "set_image_data_format",
    "clear_session",
    "standardize_dtype",
    "is_float_dtype",
    "set_random_seed",
    "random_generator",
    "make_generator",
]
