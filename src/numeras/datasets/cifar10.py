"""CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes.

Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship,
9 truck. Downloaded on first use from the authors' site (``cifar-10-python.tar.gz``, 163 MB) and
cached in ``~/.numeras/datasets`` (``$NUMERAS_HOME`` replaces ``~/.numeras``); the batches are
read straight from the archive, which is never extracted. Alex Krizhevsky, "Learning Multiple
Layers of Features from Tiny Images" (2009), https://www.cs.toronto.edu/~kriz/cifar.html.
"""

from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from typing import Any

from numeras.backend import xp
from numeras.datasets import _loading

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_NAME = "cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"  # sha256, as in Keras
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
_CALLER = "cifar10.load_data"


def load_data() -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Load CIFAR-10 as ``(x_train, y_train), (x_test, y_test)``, as Keras returns it (channels last):

    ``x_train`` uint8 ``(50000, 32, 32, 3)``, ``y_train`` uint8 ``(50000, 1)``, ``x_test`` uint8
    ``(10000, 32, 32, 3)``, ``y_test`` uint8 ``(10000, 1)``; pixels 0 to 255, labels 0 to 9.
    """
    archive_path = _loading.fetch(FILE_NAME, ORIGIN, FILE_HASH, _CALLER)
    batches = read_batches(archive_path, TRAIN_BATCHES + (TEST_BATCH,))
    train = [batches[name] for name in TRAIN_BATCHES]
    x_train = xp.concatenate([images for images, _ in train])
    y_train = xp.concatenate([labels for _, labels in train])
    x_test, y_test = batches[TEST_BATCH]
    return (x_train, y_train.reshape(-1, 1)), (x_test, y_test.reshape(-1, 1))


def read_batches(archive_path: str, names: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
    """``{name: (images uint8 (n, 32, 32, 3), labels uint8 (n,))}`` for the named batch files of
    the CIFAR python archive, read in one pass over the tar.gz without extracting it."""
    found: dict[str, tuple[Any, Any]] = {}
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive:
                name = member.name.rsplit("/", 1)[-1]
                if name in names and member.isfile() and name not in found:
                    stream = archive.extractfile(member)
                    if stream is None:  # pragma: no cover - isfile() members always have data
                        continue
                    found[name] = _parse_batch(stream.read(), f"{archive_path}:{member.name}")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise ValueError(
            f"{_CALLER}: cannot read {archive_path} as the CIFAR-10 tar.gz archive ({error}). Delete it "
            "so it is downloaded again."
        ) from error
    missing = [name for name in names if name not in found]
    if missing:
        raise ValueError(f"{_CALLER}: {archive_path} lacks the batch files {missing}.")
    return found


def _parse_batch(raw: bytes, where: str) -> tuple[Any, Any]:
    try:
        # CIFAR's batches are Python 2 pickles of a dict of numpy arrays, lists and byte strings:
        # encoding="bytes" keeps those strings (and the arrays' raw buffers) as bytes, as Keras
        # does, and the restricted unpickler refuses anything but numpy arrays and builtins.
        batch = _loading.safe_unpickle(io.BytesIO(raw), encoding="bytes")
    except Exception as error:  # a malformed pickle can raise almost anything
        if isinstance(error, pickle.UnpicklingError) and "refusing" in str(error):
            raise ValueError(f"{_CALLER}: {where}: {error}") from error
        raise ValueError(f"{_CALLER}: {where} is not a CIFAR batch pickle ({error}).") from error
    if not isinstance(batch, dict):
        raise ValueError(f"{_CALLER}: {where} holds a {type(batch).__name__}, expected a dict.")
    batch = {key.decode("utf-8") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    data, labels = batch.get("data"), batch.get("labels")
    if not isinstance(data, xp.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{_CALLER}: {where}: 'data' must be an array of shape (n, 3072).")
    try:
        label_array = xp.asarray(labels, dtype=xp.int64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{_CALLER}: {where}: 'labels' must be a list of integers ({error}).") from error
    if label_array.shape != (len(data),):
        raise ValueError(f"{_CALLER}: {where}: {len(data)} images but {label_array.size} labels.")
    # Stored channel-major (n, 3, 32, 32); Keras's channels_last default moves colour last.
    images = xp.ascontiguousarray(
        data.astype(xp.uint8, copy=False).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    )
    return images, label_array.astype(xp.uint8)
