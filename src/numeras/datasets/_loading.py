"""What the downloaded datasets share: where their files come from, reading them without running
code stored in them, and Keras's word-sequence preprocessing, vectorised over all tokens at once.

Mirrors: set the environment variable ``NUMERAS_DATASETS_MIRROR`` to a base URL (for example
``http://intranet.example/keras-datasets/``) and every dataset file is downloaded from
``<mirror>/<file name>`` instead of its public origin; the expected hashes stay the same. The test
suite uses it to serve small files from a local server.
"""

from __future__ import annotations

import io
import itertools
import os
import pickle
import urllib.parse
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

from numeras.backend import random_generator, xp
from numeras.utils.file_utils import get_file

MIRROR_ENV_VAR = "NUMERAS_DATASETS_MIRROR"
KERAS_DATASETS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# An npz member declaring more than this many bytes, and more than _MAX_EXPANSION times what it
# stores, is refused as a decompression bomb (the real files expand about 5x).
_BOMB_FLOOR_BYTES = 1 << 32
_MAX_EXPANSION = 100


def dataset_origin(origin: str) -> str:
    """``origin``, or ``<$NUMERAS_DATASETS_MIRROR>/<its file name>`` when that variable is set."""
    mirror = os.environ.get(MIRROR_ENV_VAR)
    if not mirror:
        return origin
    file_name = os.path.basename(urllib.parse.urlsplit(origin).path)
    return mirror.rstrip("/") + "/" + file_name


def fetch(
    path: str | os.PathLike,
    origin: str,
    file_hash: str,
    caller: str,
    cache_subdir: str = "datasets",
) -> str:
    """The local path of a dataset file, downloading and verifying it first if needed.

    A ``path`` with a folder in it (``"./imdb.npz"``, ``"/data/imdb.npz"``, ``"~/imdb.npz"``) names a
    file the caller already has: it is read as is, never downloaded. A bare name (Keras's meaning)
    is the file's name in the cache, ``$NUMERAS_HOME/<cache_subdir>/`` (``~/.numeras/datasets``).
    """
    given = os.fspath(path)
    if not isinstance(given, str) or not given:
        raise ValueError(f"{caller}: `path` must be a non-empty file name or path, received {path!r}.")
    expanded = os.path.expanduser(given)
    if os.path.dirname(expanded):
        if not os.path.isfile(expanded):
            raise FileNotFoundError(
                f"{caller}: no such file: {expanded}. Pass a bare file name (such as the default) to "
                f"use the cache and download it from {origin}, or the path of an existing file."
            )
        return expanded
    return get_file(expanded, origin=dataset_origin(origin), file_hash=file_hash, cache_subdir=cache_subdir)


# -- reading pickled numpy data safely ---------------------------------------------------------------


def _numpy_reconstruct() -> Any:
    # numpy's private array-rebuilding function, whatever module numpy keeps it in today (pickles
    # written by numpy 1 name `numpy.core.multiarray`, numpy 2 `numpy._core.multiarray`).
    return xp.ndarray((0,)).__reduce__()[0]


class NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays and plain Python containers, nothing else.

    Keras's dataset files store ragged sequences (IMDB, Reuters) and CIFAR's batches as pickles.
    A pickle can call any importable function while loading, so a tampered file could run code;
    this unpickler resolves only the three names an array needs and refuses every other one.
    """

    _ALLOWED = {
        ("numpy", "ndarray"): lambda: xp.ndarray,
        ("numpy", "dtype"): lambda: xp.dtype,
        ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    }

    def find_class(self, module: str, name: str) -> Any:
        resolve = self._ALLOWED.get((module, name))
        if resolve is None:
            raise pickle.UnpicklingError(
                f"refusing to load `{module}.{name}`: a dataset file may hold only numpy arrays and "
                "plain Python values. The file is corrupted or has been tampered with; delete it "
                "so it is downloaded again."
            )
        return resolve()


def safe_unpickle(stream: BinaryIO, encoding: str = "latin1") -> Any:
    """``pickle.load`` restricted to numpy arrays and builtin values (see NumpyOnlyUnpickler)."""
    return NumpyOnlyUnpickler(stream, encoding=encoding).load()


def _read_npy(stream: BinaryIO) -> Any:
    fmt = xp.lib.format
    version = fmt.read_magic(stream)
    if version == (1, 0):
        shape, fortran_order, dtype = fmt.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):
        # Version 3 differs from 2 only in allowing utf-8 in the header; the layout is the same.
        shape, fortran_order, dtype = fmt.read_array_header_2_0(stream)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    if not dtype.hasobject:
        stream.seek(0)
        return fmt.read_array(stream, allow_pickle=False)
    array = safe_unpickle(stream)
    if not isinstance(array, xp.ndarray) or array.shape != tuple(shape):
        raise ValueError(f"the stored object array does not match its header (shape {shape})")
    return array


def load_npz(path: str, keys: Sequence[str], caller: str) -> dict[str, Any]:
    """The arrays ``keys`` of the ``.npz`` archive at ``path``, read without running stored code.

    Numeric arrays are read with pickling disabled. Object arrays (Keras stores IMDB and Reuters
    as arrays of Python lists, which only pickle can hold) go through NumpyOnlyUnpickler.
    """
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{caller}: no such file: {path}.") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(
            f"{caller}: {path} is not a valid .npz archive ({error}). Delete it so it is downloaded "
            "again, or pass the path of an intact Keras-format file."
        ) from error
    arrays: dict[str, Any] = {}
    with archive:
        members = {
            info.filename[: -len(".npy")]: info
            for info in archive.infolist()
            if info.filename.endswith(".npy")
        }
        missing = [key for key in keys if key not in members]
        if missing:
            raise ValueError(
                f"{caller}: {path} lacks the arrays {missing}; it holds {sorted(members)}. "
                f"The Keras file has the keys {list(keys)}."
            )
        for key in keys:
            info = members[key]
            if info.file_size > _BOMB_FLOOR_BYTES and info.file_size > _MAX_EXPANSION * info.compress_size:
                raise ValueError(
                    f"{caller}: {path} member {info.filename!r} claims {info.file_size} bytes from "
                    f"{info.compress_size} stored; refusing a likely decompression bomb."
                )
            try:
                with archive.open(info) as raw:
                    arrays[key] = _read_npy(io.BytesIO(raw.read()))
            except Exception as error:  # a malformed pickle can raise almost anything
                raise ValueError(
                    f"{caller}: cannot read the array {key!r} of {path}: {error}. Delete the file so "
                    "it is downloaded again, or pass the path of an intact copy."
                ) from error
    return arrays


# -- Keras's word-sequence preprocessing -------------------------------------------------------------


def check_int(
    value: Any, name: str, caller: str, allow_none: bool = False, minimum: int | None = None
) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, xp.integer)):
        expected = "an integer or None" if allow_none else "an integer"
        raise TypeError(f"{caller}: `{name}` must be {expected}, received {value!r}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{caller}: `{name}` must be >= {minimum}, received {value}.")
    return int(value)


def seeded_shuffler(seed: int | None, caller: str) -> Any:
    """Keras's ``np.random.RandomState(seed)``: the same seed gives Keras's very same order.

    ``seed=None`` draws the seed from numeras's generator, so ``set_random_seed`` governs it.
    """
    if seed is None:
        seed = int(random_generator().integers(2**32))
    seed = check_int(seed, "seed", caller, minimum=0)
    return xp.random.RandomState(seed)


def shuffled(rng: Any, *arrays: Any) -> list[Any]:
    """The arrays reordered by one permutation, drawn as Keras draws it (``rng.shuffle(arange)``)."""
    indices = xp.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [array[indices] for array in arrays]


def flatten(sequences: Iterable[Any], count: int, caller: str) -> tuple[Any, Any]:
    """Ragged sequences as one int64 token array plus each sequence's length."""
    sequences = list(sequences) if not hasattr(sequences, "__len__") else sequences
    try:
        lengths = xp.fromiter(map(len, sequences), dtype=xp.int64, count=count)
        tokens = xp.fromiter(
            itertools.chain.from_iterable(sequences), dtype=xp.int64, count=int(lengths.sum())
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"{caller}: the stored sequences must be lists of integers ({error}).") from error
    return tokens, lengths


def add_start_and_offset(
    tokens: Any, lengths: Any, start_char: int | None, index_from: int
) -> tuple[Any, Any]:
    """Shift word indices by ``index_from`` and put ``start_char`` first in every sequence."""
    if index_from:
        tokens = tokens + index_from
    if start_char is not None:
        starts = xp.cumsum(lengths) - lengths
        # Inserting at equal positions keeps their order, so an empty sequence gets its own mark.
        tokens = xp.insert(tokens, starts, start_char)
        lengths = lengths + 1
    return tokens, lengths


def drop_sequences_not_shorter_than(tokens: Any, lengths: Any, maxlen: int) -> tuple[Any, Any, Any]:
    """Keras's ``remove_long_seq``: keep sequences with ``len < maxlen`` (start mark included)."""
    keep = lengths < maxlen
    return tokens[xp.repeat(keep, lengths)], lengths[keep], keep


def limit_vocabulary(
    tokens: Any, lengths: Any, num_words: int, skip_top: int, oov_char: int | None
) -> tuple[Any, Any]:
    """Indices outside ``[skip_top, num_words)`` become ``oov_char``, or are dropped if it is None."""
    in_vocabulary = (tokens >= skip_top) & (tokens < num_words)
    if oov_char is not None:
        return xp.where(in_vocabulary, tokens, oov_char), lengths
    sample_of_token = xp.repeat(xp.arange(len(lengths)), lengths)
    kept_lengths = xp.bincount(sample_of_token[in_vocabulary], minlength=len(lengths)).astype(xp.int64)
    return tokens[in_vocabulary], kept_lengths


def as_list_array(tokens: Any, lengths: Any) -> Any:
    """A 1-D object array whose items are Python lists of ints, the format Keras returns.

    Building one Python list per sequence is inherent to the ragged format; it is plain slicing of
    one big list, not arithmetic.
    """
    words = tokens.tolist()
    ends = xp.cumsum(lengths).tolist()
    starts = [0] + ends[:-1]
    return xp.fromiter((words[a:b] for a, b in zip(starts, ends)), dtype=object, count=len(ends))
