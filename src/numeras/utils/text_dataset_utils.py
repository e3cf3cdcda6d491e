"""Keras's ``text_dataset_from_directory``: a folder of ``.txt`` files (one subfolder per class,
as the IMDB reviews of the book's chapter 11) as a numeras ``Dataset`` of ``(texts, labels)``
batches, texts being NumPy string arrays. Indexing, shuffling and splitting are shared with the
image maker (``dataset_utils``), so a seed selects the same files as Keras."""

from __future__ import annotations

from typing import Any

import numpy as np

from numeras.utils import dataset_utils
from numeras.utils.dataset import Dataset

__all__ = ["text_dataset_from_directory"]

_CALLER = "text_dataset_from_directory"


def _read_text(path: str, max_length: int | None) -> np.str_:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as error:
        raise ValueError(f"{_CALLER}: {path!r} is not valid UTF-8 text ({error}).") from error
    if max_length is not None:
        text = text[:max_length]
    return np.str_(text)


def text_dataset_from_directory(
    directory: Any,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
    workers: int | None = None,
) -> Any:
    """A ``Dataset`` of the ``.txt`` files under ``directory`` (Keras 3's arguments and defaults).

    Labels, ``label_mode``, ``class_names``, ``shuffle``/``seed`` and ``validation_split``/
    ``subset`` follow ``image_dataset_from_directory``. Texts are read as UTF-8 and cut to
    ``max_length`` characters; a batch of texts is a NumPy unicode array of shape ``(batch,)``.
    ``workers`` threads read the files (default 1: reading is I/O, not decoding). The result has a
    ``class_names`` attribute (and ``file_paths``).
    """
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"{_CALLER}: `labels` must be 'inferred' (labels from the subfolder names), None (no "
                "labels), or a list/tuple of integer labels, one per text file in sorted-path order. "
                f"Received labels={labels!r}."
            )
        if class_names:
            raise ValueError(
                f"{_CALLER}: `class_names` is only valid with labels='inferred'; received labels={labels!r} "
                f"and class_names={class_names!r}."
            )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            f"{_CALLER}: `label_mode` must be 'int', 'categorical', 'binary' or None, received "
            f"label_mode={label_mode!r}."
        )
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer)) or max_length < 0):
        raise ValueError(f"{_CALLER}: `max_length` must be a non-negative int or None, received {max_length!r}.")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"{_CALLER}: `batch_size` must be a positive int or None, received batch_size={batch_size!r}.")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed, _CALLER)
    if seed is None:
        seed = np.random.randint(1e6)
    file_paths, labels, class_names = dataset_utils.index_directory(
        directory,
        labels,
        formats=(".txt",),
        class_names=class_names,
        shuffle=shuffle,
        seed=seed,
        follow_links=follow_links,
        verbose=verbose,
        caller=_CALLER,
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f"{_CALLER}: label_mode='binary' needs exactly 2 classes, received class_names={class_names}. "
            "Use label_mode='int' or 'categorical' for more classes."
        )
    shuffle_buffer_size = batch_size * 8 if batch_size is not None else 1024
    num_classes = len(class_names) if class_names else 0
    parallel = None if workers in (None, 1) else int(workers)

    def make(paths: list, part_labels: Any, shuffled: bool) -> Dataset:
        path_array = np.asarray(paths, dtype=object)
        if label_mode:
            encoded = dataset_utils.encode_labels(part_labels, label_mode, num_classes)
            dataset = Dataset.from_tensor_slices((path_array, encoded))
        else:
            dataset = Dataset.from_tensor_slices(path_array)
        if shuffled:
            dataset = dataset.shuffle(shuffle_buffer_size, seed=seed)
        if label_mode:
            dataset = dataset.map(lambda path, label: (_read_text(path, max_length), label), num_parallel_calls=parallel)
        else:
            dataset = dataset.map(lambda path: _read_text(path, max_length), num_parallel_calls=parallel)
        if batch_size is not None:
            dataset = dataset.batch(batch_size)
        dataset = dataset.prefetch(2)
        dataset.class_names = class_names
        dataset.file_paths = list(paths)
        return dataset

    return dataset_utils.datasets_for_subset(
        make, file_paths, labels, validation_split=validation_split, subset=subset, shuffle=shuffle,
        verbose=verbose, caller=_CALLER, directory=directory, kind="text files",
    )
