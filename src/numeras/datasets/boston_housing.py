"""Boston housing prices: 506 districts of Boston in the 1970s, 13 features each, and the median
home value in thousands of dollars (from the StatLib archive, Harrison and Rubinfeld 1978).

Warning (as in Keras): the feature "B" encodes an assumption about racial self-segregation;
this dataset is kept for following the book and for discussing such ethical problems.
Downloaded on first use from Keras's public copy and cached in ``~/.numeras/datasets``
(``$NUMERAS_HOME`` replaces ``~/.numeras``).
"""

from __future__ import annotations

import os
from typing import Any

from numeras.datasets import _loading

ORIGIN = _loading.KERAS_DATASETS_ORIGIN + "boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"  # sha256
_KEYS = ("x", "y")


def load_data(
    path: str | os.PathLike = "boston_housing.npz", test_split: float = 0.2, seed: int | None = 113
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Load ``(x_train, y_train), (x_test, y_test)`` as Keras does: the 506 rows are shuffled with
    ``np.random.RandomState(seed)`` and the first ``int(506 * (1 - test_split))`` (404) train.

    ``x_*``: float64 ``(n, 13)``; ``y_*``: float64 ``(n,)``, prices in k$ (5 to 50).
    ``path``: cache file name, or a path with a folder to read that file without downloading.
    """
    caller = "boston_housing.load_data"
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) or not 0 <= test_split < 1:
        raise ValueError(f"{caller}: `test_split` must be a fraction in [0, 1), received {test_split!r}.")
    rng = _loading.seeded_shuffler(seed, caller)
    file_path = _loading.fetch(path, ORIGIN, FILE_HASH, caller)
    arrays = _loading.load_npz(file_path, _KEYS, caller)
    x, y = arrays["x"], arrays["y"]
    if len(x) != len(y):
        raise ValueError(f"{caller}: {file_path} holds {len(x)} rows of features but {len(y)} targets.")
    x, y = _loading.shuffled(rng, x, y)
    split = int(len(x) * (1 - test_split))
    return (x[:split].copy(), y[:split].copy()), (x[split:].copy(), y[split:].copy())
