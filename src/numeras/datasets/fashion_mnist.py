"""Fashion-MNIST: 60,000 training and 10,000 test 28x28 grey images of 10 kinds of clothing.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
8 Bag, 9 Ankle boot. Downloaded on first use (four gzipped IDX files, 30 MB in all) from Keras's
public copy and cached in ``~/.numeras/datasets/fashion-mnist`` (``$NUMERAS_HOME`` replaces
``~/.numeras``). Copyright Zalando SE, MIT license
(https://github.com/zalandoresearch/fashion-mnist).
"""

from __future__ import annotations

import gzip
import os
import zlib
from typing import Any

from numeras.backend import xp
from numeras.datasets import _loading

CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
# sha256 of each file, as in Keras.
FILE_HASHES = {
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}
_UNSIGNED_BYTE = 0x08
_CALLER = "fashion_mnist.load_data"


def load_data() -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Load Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``, as Keras returns it:

    ``x_train`` uint8 ``(60000, 28, 28)``, ``y_train`` uint8 ``(60000,)``, ``x_test`` uint8
    ``(10000, 28, 28)``, ``y_test`` uint8 ``(10000,)``; pixels 0 to 255, labels 0 to 9.
    """
    paths = {
        name: _loading.fetch(name, _loading.KERAS_DATASETS_ORIGIN + name, file_hash, _CALLER, CACHE_SUBDIR)
        for name, file_hash in FILE_HASHES.items()
    }
    y_train = read_idx(paths["train-labels-idx1-ubyte.gz"], ndim=1)
    x_train = read_idx(paths["train-images-idx3-ubyte.gz"], ndim=3)
    y_test = read_idx(paths["t10k-labels-idx1-ubyte.gz"], ndim=1)
    x_test = read_idx(paths["t10k-images-idx3-ubyte.gz"], ndim=3)
    for images, labels, split in ((x_train, y_train, "training"), (x_test, y_test, "test")):
        if len(images) != len(labels):
            raise ValueError(
                f"{_CALLER}: the {split} files hold {len(images)} images but {len(labels)} labels."
            )
    return (x_train, y_train), (x_test, y_test)


def read_idx(path: str, ndim: int) -> Any:
    """A gzipped IDX file of unsigned bytes (LeCun's MNIST format) as a uint8 array.

    Layout: two zero bytes, the element type (0x08: unsigned byte), the number of dimensions, then
    each dimension as a big-endian 32-bit integer, then the values in C order.
    """
    try:
        with gzip.open(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(
            f"{_CALLER}: cannot decompress {path} ({error}). Delete it so it is downloaded again."
        ) from error
    header_size = 4 + 4 * ndim
    if len(raw) < header_size or raw[0] != 0 or raw[1] != 0 or raw[2] != _UNSIGNED_BYTE or raw[3] != ndim:
        raise ValueError(
            f"{_CALLER}: {path} is not an IDX file of unsigned bytes with {ndim} dimension(s): its "
            f"header is {raw[:4].hex()}, expected 0000{_UNSIGNED_BYTE:02x}{ndim:02x}."
        )
    shape = tuple(int(d) for d in xp.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(xp.prod(shape, dtype=xp.int64))
    if len(raw) - header_size != expected:
        raise ValueError(
            f"{_CALLER}: {path} declares shape {shape} ({expected} values) but holds "
            f"{len(raw) - header_size}; the file is truncated or corrupt."
        )
    # bytearray makes the result writable, unlike an array over the immutable bytes.
    return xp.frombuffer(bytearray(raw), dtype=xp.uint8, offset=header_size).reshape(shape)
