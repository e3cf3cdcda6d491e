"""California housing prices: 20,640 census block groups of the 1990 U.S. census, 8 features each
(median income, house age, average rooms, average bedrooms, population, average occupancy,
latitude, longitude) and the median house value in dollars (StatLib, Pace and Barry 1997).

``version="small"`` keeps the first 600 rows: Keras's replacement for ``boston_housing``.
Downloaded on first use from Keras's public copy and cached in ``~/.numeras/datasets``
(``$NUMERAS_HOME`` replaces ``~/.numeras``).
"""

from __future__ import annotations

import os
from typing import Any

from numeras.datasets import _loading

ORIGIN = _loading.KERAS_DATASETS_ORIGIN + "california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"  # sha256, Keras's
_KEYS = ("x", "y")
_VERSIONS = {"small": 600, "large": None}  # rows kept: Keras's small version is the first 600


def load_data(
    version: str = "large",
    path: str | os.PathLike = "california_housing.npz",
    test_split: float = 0.2,
    seed: int | None = 113,
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Load ``(x_train, y_train), (x_test, y_test)`` as Keras 3 does: the rows (all 20,640, or the
    first 600 for ``version="small"``) are shuffled with ``np.random.RandomState(seed)`` and the
    first ``int(n * (1 - test_split))`` train (16,512 / 480).

    ``x_*``: ``(n, 8)``; ``y_*``: ``(n,)``, house values in dollars (about 15,000 to 500,000); both
    in the dtype of Keras's file, as Keras returns them. ``path``: cache file name, or a path with a folder to read that file without
    downloading.
    """
    caller = "california_housing.load_data"
    if version not in _VERSIONS:
        raise ValueError(
            f"{caller}: `version` must be 'small' (600 rows) or 'large' (20,640 rows), received {version!r}."
        )
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) or not 0 <= test_split < 1:
        raise ValueError(f"{caller}: `test_split` must be a fraction in [0, 1), received {test_split!r}.")
    rng = _loading.seeded_shuffler(seed, caller)
    file_path = _loading.fetch(path, ORIGIN, FILE_HASH, caller)
    arrays = _loading.load_npz(file_path, _KEYS, caller)
    x, y = arrays["x"], arrays["y"]
    if len(x) != len(y):
        raise ValueError(f"{caller}: {file_path} holds {len(x)} rows of features but {len(y)} targets.")
    rows = _VERSIONS[version]
    if rows is not None:
        x, y = x[:rows], y[:rows]
    x, y = _loading.shuffled(rng, x, y)
    split = int(len(x) * (1 - test_split))
    return (x[:split].copy(), y[:split].copy()), (x[split:].copy(), y[split:].copy())
