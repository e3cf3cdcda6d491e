"""MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 grey pixels.

The data ships inside numeras (``numeras/datasets/data/mnist.npz``; see the README there for
credits and license: Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0), so
loading needs no network.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from importlib import resources
from typing import Any

from numeras.backend import xp

DEFAULT_FILE_NAME = "mnist.npz"
_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path: str | os.PathLike = DEFAULT_FILE_NAME) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)``, exactly as Keras returns it:

    - ``x_train``: uint8 array ``(60000, 28, 28)``, pixel values 0 to 255;
    - ``y_train``: uint8 array ``(60000,)``, digits 0 to 9;
    - ``x_test``: uint8 array ``(10000, 28, 28)``; ``y_test``: uint8 array ``(10000,)``.

    ``path``: Keras treats it as the name of a cache file. Here, if it names an existing file
    (other than the bare default ``"mnist.npz"``) that file is loaded, and it must be an ``.npz``
    archive with the four keys above; otherwise the copy shipped with numeras is used. Files are
    read with ``allow_pickle=False``, so loading never runs code stored in them.
    """
    given = os.path.expanduser(os.fspath(path))
    if given != DEFAULT_FILE_NAME and os.path.isfile(given):
        return _read_archive(given)
    shipped = resources.files("numeras.datasets") / "data" / DEFAULT_FILE_NAME
    with resources.as_file(shipped) as shipped_path:
        if not os.path.isfile(shipped_path):
            raise FileNotFoundError(
                f"mnist.load_data: the MNIST file shipped with numeras is missing: {shipped_path}. "
                "Reinstall numeras, or pass `path=` pointing to a Keras-format mnist.npz."
            )
        return _read_archive(os.fspath(shipped_path))


def _read_archive(path: str) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    # The file is opened here, not by numpy.load, so that it is closed even when the archive is
    # unreadable (numpy.load leaves its own handle open when the zip directory is corrupt).
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"mnist.load_data: no such file: {path}.") from None
    with handle:
        try:
            loaded = xp.load(handle, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
            raise ValueError(
                f"mnist.load_data: cannot read {path} as an .npz archive ({error}). The file is "
                "corrupt or not in NumPy's .npz format; pass the path of a Keras-format mnist.npz."
            ) from error
        if not hasattr(loaded, "files"):
            raise ValueError(
                f"mnist.load_data: {path} holds a single array, not an .npz archive with the keys "
                f"{list(_KEYS)}."
            )
        with loaded as archive:
            missing = [key for key in _KEYS if key not in archive.files]
            if missing:
                raise ValueError(
                    f"mnist.load_data: {path} lacks the arrays {missing}; found {sorted(archive.files)}. "
                    f"A Keras-format mnist.npz has the keys {list(_KEYS)}."
                )
            try:
                x_train, y_train, x_test, y_test = (archive[key] for key in _KEYS)
            except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
                raise ValueError(
                    f"mnist.load_data: {path} is corrupt: reading its arrays failed ({error})."
                ) from error
    return (x_train, y_train), (x_test, y_test)
