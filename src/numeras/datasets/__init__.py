"""``numeras.datasets``: datasets shipped with numeras, loaded as Keras loads them.

``numeras.datasets.mnist.load_data()`` returns ``(x_train, y_train), (x_test, y_test)``.
Submodules are imported on first use.

MNIST ships with numeras. ``fashion_mnist``, ``cifar10``, ``imdb``, ``reuters``,
``boston_housing`` and ``california_housing`` are downloaded on first use from the same public origins as Keras's (pass
through ``numeras.utils.get_file``: needs the ``pooch`` package), checked against Keras's hashes
and cached in ``~/.numeras/datasets``. Environment variables: ``NUMERAS_HOME`` replaces
``~/.numeras``; ``NUMERAS_DATASETS_MIRROR`` (a base URL) downloads every file from
``<mirror>/<file name>`` instead. Offline, a failed download says which URL to fetch by hand and
the exact path to save the file at.
"""

import importlib as _importlib
from typing import Any as _Any

_SUBMODULES = frozenset(
    {"mnist", "fashion_mnist", "cifar10", "imdb", "reuters", "boston_housing", "california_housing"}
)


def __getattr__(name: str) -> _Any:
    if name in _SUBMODULES:
        module = _importlib.import_module(f"numeras.datasets.{name}")
        globals()[name] = module
        return module
    raise AttributeError(
        f"module 'numeras.datasets' has no attribute {name!r}; available datasets: {sorted(_SUBMODULES)}."
    )


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)


__all__ = sorted(_SUBMODULES)
