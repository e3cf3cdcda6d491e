"""Keras's ``timeseries_dataset_from_array`` (the book's temperature-forecasting chapter): sliding
windows over an array as a numeras ``Dataset`` of ``(windows, targets)`` batches.

Windows are gathered a batch at a time with one fancy-indexing call (start positions + the
offsets ``0, sampling_rate, ...``), never one window at a time in Python.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from numeras.utils.dataset import Dataset

__all__ = ["timeseries_dataset_from_array"]

_CALLER = "timeseries_dataset_from_array"


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{_CALLER}: `{name}` must be a positive int, received {name}={value!r}.")
    return int(value)


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
) -> Dataset:
    """Windows of ``sequence_length`` steps, ``sampling_rate`` apart, starting every
    ``sequence_stride`` steps, over ``data[start_index:end_index]``; window ``i`` starts at
    ``start_index + i * sequence_stride`` and its target is ``targets[start]`` of that same start
    (pass ``targets=None`` for windows alone). Batches of ``batch_size`` (None: single windows);
    ``shuffle`` permutes the windows with ``np.random.RandomState(seed)`` as Keras does and
    reshuffles within each batch-sized stretch every epoch."""
    data = np.asarray(data)
    if data.ndim == 0:
        raise ValueError(f"{_CALLER}: `data` must be an array with a time axis first, received a scalar.")
    length = len(data)
    sequence_length = _check_positive_int("sequence_length", sequence_length)
    if start_index:
        if start_index < 0:
            raise ValueError(f"{_CALLER}: `start_index` must be 0 or greater, received start_index={start_index}.")
        if start_index >= length:
            raise ValueError(
                f"{_CALLER}: `start_index` must be lower than the length of the data, received "
                f"start_index={start_index} for data of length {length}."
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                f"{_CALLER}: `end_index` must be higher than `start_index`, received start_index="
                f"{start_index} and end_index={end_index}."
            )
        if end_index >= length:
            raise ValueError(
                f"{_CALLER}: `end_index` must be lower than the length of the data, received "
                f"end_index={end_index} for data of length {length}."
            )
        if end_index <= 0:
            raise ValueError(f"{_CALLER}: `end_index` must be higher than 0, received end_index={end_index}.")
    sampling_rate = _check_positive_int("sampling_rate", sampling_rate)
    if sampling_rate >= length:
        raise ValueError(
            f"{_CALLER}: `sampling_rate` must be lower than the length of the data, received "
            f"sampling_rate={sampling_rate} for data of length {length}."
        )
    sequence_stride = _check_positive_int("sequence_stride", sequence_stride)
    if sequence_stride >= length:
        raise ValueError(
            f"{_CALLER}: `sequence_stride` must be lower than the length of the data, received "
            f"sequence_stride={sequence_stride} for data of length {length}."
        )
    if batch_size is not None:
        batch_size = _check_positive_int("batch_size", batch_size)
    start = start_index or 0
    stop = end_index if end_index is not None else length
    num_windows = stop - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        num_windows = min(num_windows, len(targets))
    start_positions = np.arange(0, max(num_windows, 0), sequence_stride, dtype=np.int64)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(start_positions)
    window = np.arange(sequence_length, dtype=np.int64) * sampling_rate
    series = data[start:stop]
    target_series = None if targets is None else targets[start:stop]

    def gather(positions: np.ndarray) -> Any:
        windows = series[positions[:, None] + window]
        return windows if target_series is None else (windows, target_series[positions])

    if batch_size is None:
        positions = Dataset.from_tensor_slices(start_positions)
        if shuffle:
            positions = positions.shuffle(1024, seed=seed)
        return positions.map(lambda position: _single(gather, position))

    count = len(start_positions)

    def batches() -> Any:
        order = start_positions
        if shuffle:
            # Keras also shuffles windows through a buffer of 8 batches each epoch; permuting
            # within consecutive 8-batch blocks keeps that locality without per-window work.
            order = start_positions.copy()
            block = batch_size * 8
            rng = np.random.default_rng([seed, next(epochs)])
            for begin in range(0, count, block):
                order[begin : begin + block] = rng.permutation(order[begin : begin + block])
        for begin in range(0, count, batch_size):
            yield gather(order[begin : begin + batch_size])

    epochs = itertools.count()
    dataset = Dataset(batches, -(-count // batch_size), batched=True)
    dataset._batch_size = batch_size
    return dataset


def _single(gather: Any, position: Any) -> Any:
    batch = gather(np.asarray(position, dtype=np.int64)[None])
    if isinstance(batch, tuple):
        return batch[0][0], batch[1][0]
    return batch[0]
