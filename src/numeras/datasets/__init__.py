"""``numeras.datasets``: datasets shipped with numeras, loaded as Keras loads them.

``numeras.datasets.mnist.load_data()`` returns ``(x_train, y_train), (x_test, y_test)``.
Submodules are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = frozenset({"mnist"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"numeras.datasets.{name}")
        globals()[name] = module
        return module
    raise AttributeError(
        f"module 'numeras.datasets' has no attribute {name!r}; available datasets: {sorted(_SUBMODULES)}."
    )


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)


__all__ = sorted(_SUBMODULES)
