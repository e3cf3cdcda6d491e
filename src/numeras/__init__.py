"""numeras: deep learning with Keras's API on NumPy, with an autodiff engine you can read.

Submodules (``layers``, ``models``, ``optimizers``, ...) are imported on first use so that
``import numeras`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from numeras.autodiff import (
    GradientTape,
    Tensor,
    Variable,
    convert_to_tensor,
    enable_grad,
    is_grad_enabled,
    no_grad,
)
from numeras.backend import floatx, set_floatx

__version__ = "0.1.0"

_SUBMODULES = frozenset(
    "activations autodiff backend callbacks datasets initializers layers losses metrics models "
    "ops optimizers preprocessing regularizers saving testing utils".split()
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"numeras.{name}")
        globals()[name] = module
        return module
    if name in ("Sequential", "Model", "Input"):
        return getattr(importlib.import_module("numeras.models" if name != "Input" else "numeras.layers"), name)
    raise AttributeError(f"module 'numeras' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)


__all__ = [
    "GradientTape",
    "Tensor",
    "Variable",
    "convert_to_tensor",
    "enable_grad",
    "floatx",
    "is_grad_enabled",
    "no_grad",
    "set_floatx",
    "__version__",
]
