"""numeras: deep learning with Keras's API on NumPy, with an autodiff engine you can read.

Submodules (``layers``, ``models``, ``optimizers``, ...) are imported on first use so that
``import numeras`` stays fast.
"""

import importlib as _importlib
from typing import Any as _Any

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
    "activations autodiff backend callbacks config constraints datasets distribution initializers layers losses "
    "metrics models ops optimizers preprocessing random regularizers saving testing utils".split()
)

# Keras 3's top-level names besides the modules: ``keras.Sequential``, ``keras.Layer``...
_TOP_LEVEL_NAMES = {
    "Sequential": "numeras.models",
    "Model": "numeras.models",
    "Input": "numeras.layers",
    "Layer": "numeras.layers",
}


def __getattr__(name: str) -> _Any:
    if name in _SUBMODULES:
        module = _importlib.import_module(f"numeras.{name}")
        globals()[name] = module
        return module
    if name in _TOP_LEVEL_NAMES:
        value = getattr(_importlib.import_module(_TOP_LEVEL_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'numeras' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES | set(_TOP_LEVEL_NAMES))


__all__ = [
    "Input",
    "Layer",
    "Model",
    "Sequential",
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
