"""``numeras.config``: Keras 3's global settings under the names ``keras.config`` gives them.

Each setting lives in :mod:`numeras.backend.config`, its one home; this module is its public face.
"""

from numeras.backend.config import (
    DTypePolicy,
    backend,
    disable_interactive_logging,
    dtype_policy,
    enable_interactive_logging,
    enable_unsafe_deserialization,
    epsilon,
    floatx,
    image_data_format,
    in_safe_mode,
    is_interactive_logging_enabled,
    set_dtype_policy,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

__all__ = [
    "DTypePolicy",
    "backend",
    "disable_interactive_logging",
    "dtype_policy",
    "enable_interactive_logging",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "in_safe_mode",
    "is_interactive_logging_enabled",
    "set_dtype_policy",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]
