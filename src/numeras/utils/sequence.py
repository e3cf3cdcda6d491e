"""Turning ragged lists of word indices into arrays: Keras's ``pad_sequences`` and the book's
multi-hot ``vectorize_sequences`` (chapter 3), both vectorised over all tokens at once."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from numeras import backend
from numeras.backend import xp

__all__ = ["pad_sequences", "vectorize_sequences"]


def _lengths_of(sequences: Sequence[Any], caller: str) -> Any:
    try:
        return xp.fromiter(map(len, sequences), dtype=xp.int64, count=len(sequences))
    except TypeError:
        # Find the culprit only on this error path, to name it.
        for position, item in enumerate(sequences):
            if not hasattr(item, "__len__"):
                raise ValueError(
                    f"{caller}: `sequences` must be a list of iterables (lists or arrays); the item at "
                    f"position {position} is not: {item!r}."
                ) from None
        raise


def _flat_values(
    sequences: Sequence[Any],
    maxlen: int,
    truncating: str,
    total: int,
    dtype: Any,
    sample_shape: tuple[int, ...],
) -> Any:
    """The steps kept from every sequence (its last (``"pre"``) or first (``"post"``) ``maxlen``),
    one after another, as one array ``(total,) + sample_shape``."""
    if isinstance(sequences, xp.ndarray) and sequences.dtype != object and sequences.ndim >= 2:
        kept = sequences[:, -maxlen:] if truncating == "pre" else sequences[:, :maxlen]
        return kept.reshape((-1,) + kept.shape[2:]).astype(dtype, copy=False)

    def kept_steps() -> Any:
        # A generator: each slice is freed once read, so no list of 25,000 slices lives on.
        cut = slice(-maxlen, None) if truncating == "pre" else slice(0, maxlen)
        return itertools.chain.from_iterable(sequence[cut] for sequence in sequences)

    if not sample_shape:
        try:
            return xp.fromiter(kept_steps(), dtype=dtype, count=total)
        except ValueError:
            pass  # fromiter needs a fixed item size: `str` / `bytes` without a length lands here
    return xp.asarray(list(kept_steps()), dtype=dtype)


def _check_step_shapes(
    sequences: Sequence[Any], dtype: Any, sample_shape: tuple[int, ...], caller: str
) -> None:
    """Raise naming the first sequence whose steps are not shaped like the first non-empty one's
    (called only once building the flat array has failed)."""
    for position, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        try:
            shape = xp.asarray(sequence, dtype=dtype).shape[1:]
        except ValueError:
            shape = "ragged"
        if shape != sample_shape:
            raise ValueError(
                f"{caller}: the steps of the sequence at position {position} have shape {shape}, "
                f"but those of the first non-empty sequence have shape {sample_shape}; all steps "
                "must have one shape."
            )


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> Any:
    """Pad (or cut) every sequence to one length: a list of ``n`` sequences becomes an array
    ``(n, maxlen) + step_shape``, as ``keras.utils.pad_sequences`` does.

    ``maxlen`` defaults to the longest sequence. A longer sequence loses its first steps
    (``truncating="pre"``) or its last ones (``"post"``); a shorter one gets ``value`` before
    (``padding="pre"``) or after (``"post"``) its steps. The step shape is that of the first
    non-empty sequence (``()`` for lists of numbers).

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post")
    array([[1, 0],
           [2, 3],
           [5, 6]], dtype=int32)

    Args:
        sequences: A list (or array) of sequences, each a list or array of steps.
        maxlen: Length of the output sequences; None: the longest input length.
        dtype: Output dtype; use ``object`` for variable-length strings.
        padding: ``"pre"`` or ``"post"``: where the padding goes.
        truncating: ``"pre"`` or ``"post"``: which end of a long sequence is dropped.
        value: The padding value (a number, or a string with a string/object dtype).
    """
    caller = "pad_sequences"
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"{caller}: `sequences` must be a list of sequences, received {type(sequences).__name__}."
        )
    if padding not in ("pre", "post"):
        raise ValueError(f'{caller}: `padding` must be "pre" or "post", received {padding!r}.')
    if truncating not in ("pre", "post"):
        raise ValueError(f'{caller}: `truncating` must be "pre" or "post", received {truncating!r}.')
    if maxlen is not None:
        if isinstance(maxlen, bool) or not isinstance(maxlen, (int, xp.integer)) or maxlen < 0:
            raise ValueError(f"{caller}: `maxlen` must be None or an integer >= 0, received {maxlen!r}.")
        maxlen = int(maxlen)
    is_text_dtype = xp.issubdtype(dtype, xp.str_) or xp.issubdtype(dtype, xp.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text_dtype:
        raise ValueError(
            f"{caller}: `dtype` {dtype} cannot hold the string padding `value` {value!r}; pass "
            "dtype=object for variable-length strings."
        )

    count = len(sequences)
    lengths = _lengths_of(sequences, caller)
    first_filled = int(xp.argmax(lengths > 0)) if count and lengths.any() else None
    sample_shape = xp.asarray(sequences[first_filled]).shape[1:] if first_filled is not None else ()
    if maxlen is None:
        maxlen = int(lengths.max()) if count else 0

    padded = xp.full((count, maxlen) + sample_shape, value, dtype=dtype)
    if first_filled is None or maxlen == 0:
        return padded

    # Cutting first (one slice per sequence, as Keras does) keeps the work proportional to the
    # output, not to the input: IMDB reviews are often far longer than maxlen.
    kept = xp.minimum(lengths, maxlen)
    total = int(kept.sum())
    try:
        flat = _flat_values(sequences, maxlen, truncating, total, dtype, sample_shape)
    except ValueError:
        _check_step_shapes(sequences, dtype, sample_shape, caller)
        raise
    if flat.shape[1:] != sample_shape or len(flat) != total:
        _check_step_shapes(sequences, dtype, sample_shape, caller)
        raise ValueError(f"{caller}: the sequences' steps do not share one shape {sample_shape}.")

    # Row i holds its kept steps in columns [first_i, first_i + kept_i); the cells of a boolean
    # mask are visited in row-major order, which is exactly the order of `flat`.
    first_column = (maxlen - kept) if padding == "pre" else xp.zeros_like(kept)
    columns = xp.arange(maxlen)
    filled = (columns >= first_column[:, None]) & (columns < (first_column + kept)[:, None])
    padded[filled] = flat
    return padded


def vectorize_sequences(sequences: Sequence[Any], dimension: int = 10000) -> Any:
    """Multi-hot encode sequences of indices (chapter 3 of *Deep Learning with Python*):
    ``result[i, j] = 1`` if index ``j`` occurs in sequence ``i``, else 0; shape ``(n, dimension)``,
    dtype ``floatx()`` (float32). Indices must lie in ``[0, dimension)``.

    >>> vectorize_sequences([[1, 3], [0, 3, 3]], dimension=4)
    array([[0., 1., 0., 1.],
           [1., 0., 0., 1.]], dtype=float32)
    """
    caller = "vectorize_sequences"
    if isinstance(dimension, bool) or not isinstance(dimension, (int, xp.integer)) or dimension < 1:
        raise ValueError(f"{caller}: `dimension` must be a positive integer, received {dimension!r}.")
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"{caller}: `sequences` must be a list of sequences, received {type(sequences).__name__}."
        )
    count = len(sequences)
    lengths = _lengths_of(sequences, caller)
    if isinstance(sequences, xp.ndarray) and sequences.dtype != object and sequences.ndim == 2:
        indices = sequences.reshape(-1)
    else:
        try:
            # float64 holds every index exactly and lets a fractional one be caught below.
            indices = xp.fromiter(
                itertools.chain.from_iterable(sequences), dtype=xp.float64, count=int(lengths.sum())
            )
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{caller}: every sequence must be a flat list of integer indices ({error})."
            ) from error
    if indices.dtype.kind not in "iu":
        if indices.dtype.kind != "f" or not bool(xp.all(indices == xp.floor(indices))):
            raise ValueError(
                f"{caller}: the sequences must hold integer indices, received non-integer values."
            )
        indices = indices.astype(xp.int64)
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= dimension):
        raise ValueError(
            f"{caller}: indices must lie in [0, dimension) = [0, {dimension}), received values from "
            f"{int(indices.min())} to {int(indices.max())}. Load the data with num_words={dimension} "
            "or pass a larger `dimension`."
        )
    result = xp.zeros((count, int(dimension)), dtype=backend.floatx())
    result[xp.repeat(xp.arange(count), lengths), indices] = 1.0
    return result
