"""File indexing and splitting shared by the directory-based dataset makers (images, text), plus
Keras's ``split_dataset``.

``index_directory`` walks a folder as Keras does: class subfolders in sorted order (or the order
of ``class_names``), files sorted by path within each, allowed extensions only, then one global
shuffle of the file list with ``np.random.RandomState(seed)``, so a seed picks the same files in
the same order as Keras; ``get_training_or_validation_split`` then cuts that list in two.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from numeras.utils.dataset import Dataset, _flatten, _pack

__all__ = [
    "index_directory",
    "check_validation_split_arg",
    "get_training_or_validation_split",
    "encode_labels",
    "split_dataset",
]


def _check_directory(directory: Any, caller: str) -> str:
    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(f"{caller}: `directory` must be a path (str or pathlib.Path), received {directory!r}.")
    directory = os.fspath(directory)
    if not os.path.exists(directory):
        raise FileNotFoundError(
            f"{caller}: directory {directory!r} does not exist. Check the path (relative paths start "
            f"from the working directory {os.getcwd()!r})."
        )
    if not os.path.isdir(directory):
        raise NotADirectoryError(f"{caller}: {directory!r} is a file, expected a directory of files.")
    return directory


def _files_under(directory: str, follow_links: bool, formats: tuple[str, ...]) -> list[str]:
    """Paths (relative to ``directory``) of the allowed files, sorted by folder then file name."""
    found = []
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                found.append(os.path.relpath(os.path.join(root, name), directory))
    return found


def index_directory(
    directory: Any,
    labels: Any,
    formats: tuple[str, ...],
    class_names: Sequence[str] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
    verbose: bool = True,
    caller: str = "index_directory",
) -> tuple[list[str], Any, list[str] | None]:
    """``(file_paths, labels, class_names)`` for the files under ``directory`` with an extension
    in ``formats``.

    ``labels="inferred"``: one class per non-hidden subfolder (sorted, or ``class_names``' order),
    labels are int32 class indices. A list/tuple: one label per file, in sorted-path order.
    ``None``: no labels. Shuffling (with ``seed``) permutes paths and labels together.
    """
    directory = _check_directory(directory, caller)
    inferred = isinstance(labels, str) and labels == "inferred"
    if inferred:
        subdirs = [
            name
            for name in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
        ]
        if not subdirs:
            raise ValueError(
                f"{caller}: labels='inferred' takes one class per subfolder of {directory!r}, but it "
                "has no subfolders. Put each class's files in its own subfolder, or pass labels=None "
                "(no labels) or a list of labels."
            )
        if class_names is not None:
            missing = [name for name in class_names if name not in subdirs]
            if missing:
                raise ValueError(
                    f"{caller}: `class_names` must name subfolders of {directory!r}. Expected names "
                    f"from {subdirs} (or a subset of them), received class_names={list(class_names)}; "
                    f"not found: {missing}."
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError(f"{caller}: when labels=None (no labels), `class_names` cannot be given.")
            raise ValueError(
                f"{caller}: when `labels` is a list, `class_names` cannot be given (the class names "
                "are the sorted distinct labels)."
            )
    # Folders are walked in parallel threads: on a network or cold disk the listing is I/O-bound.
    with ThreadPoolExecutor(max_workers=min(8, len(subdirs))) as pool:
        listings = list(
            pool.map(lambda sub: _files_under(os.path.join(directory, sub), follow_links, formats), subdirs)
        )
    file_names = [os.path.join(sub, name) if sub else name for sub, names in zip(subdirs, listings) for name in names]
    if not file_names:
        raise ValueError(
            f"{caller}: no files with an allowed extension {formats} found in {directory!r}"
            + (" or its class subfolders" if inferred else "")
            + "."
        )
    if inferred:
        label_array = np.repeat(np.arange(len(subdirs), dtype="int32"), [len(names) for names in listings])
        class_names = list(subdirs)
    elif labels is None:
        label_array = None
        class_names = None
    else:
        if len(labels) != len(file_names):
            raise ValueError(
                f"{caller}: `labels` must hold one label per file: len(labels) is {len(labels)} but "
                f"{len(file_names)} files were found in {directory!r}. Labels follow the sorted order "
                "of the file paths."
            )
        label_array = np.asarray(labels)
        if label_array.dtype.kind not in "iu":
            raise ValueError(f"{caller}: `labels` must be integers, received dtype {label_array.dtype}.")
        class_names = [str(label) for label in sorted(set(label_array.tolist()))]
    if verbose:
        if label_array is None:
            print(f"Found {len(file_names)} files.")
        else:
            print(f"Found {len(file_names)} files belonging to {len(class_names)} classes.")
    file_paths = [os.path.join(directory, name) for name in file_names]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        # The same generator state for both, so paths and labels move together (as Keras does).
        np.random.RandomState(seed).shuffle(file_paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return file_paths, label_array, class_names


def check_validation_split_arg(validation_split: Any, subset: Any, shuffle: bool, seed: Any, caller: str) -> None:
    """Keras's rules: a fraction strictly in (0, 1), ``subset`` and ``validation_split`` together,
    and a seed when shuffling (else training and validation files would overlap)."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"{caller}: `validation_split` must be a fraction strictly between 0 and 1, received "
            f"validation_split={validation_split!r}."
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(
            f"{caller}: `subset` and `validation_split` go together: received "
            f"validation_split={validation_split!r}, subset={subset!r}. Pass both (subset='training', "
            "'validation' or 'both') or neither."
        )
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f"{caller}: `subset` must be 'training', 'validation' or 'both', received subset={subset!r}."
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            f"{caller}: with `validation_split` and shuffle=True, pass a `seed` (the same one for the "
            "training and validation calls), so that the two subsets do not overlap."
        )


def get_training_or_validation_split(
    samples: list, labels: Any, validation_split: float | None, subset: str | None, verbose: bool = True
) -> tuple[list, Any]:
    """The first ``1 - validation_split`` of the samples for 'training', the rest (``int(
    validation_split * n)`` of them) for 'validation'; everything when there is no split."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    num_train = len(samples) - num_val
    if subset == "training":
        if verbose:
            print(f"Using {num_train} files for training.")
        return samples[:num_train], None if labels is None else labels[:num_train]
    if subset == "validation":
        if verbose:
            print(f"Using {num_val} files for validation.")
        return samples[num_train:], None if labels is None else labels[num_train:]
    raise ValueError(f"`subset` must be 'training' or 'validation', received subset={subset!r}.")


def encode_labels(labels: Any, label_mode: str, num_classes: int) -> np.ndarray:
    """Integer labels as Keras's makers yield them: 'int' int32 ``(n,)``, 'binary' float32
    ``(n, 1)``, 'categorical' float32 one-hot ``(n, num_classes)``."""
    labels = np.asarray(labels)
    if label_mode == "categorical" and labels.size and not 0 <= int(labels.min()) <= int(labels.max()) < num_classes:
        raise ValueError(
            f"label_mode='categorical' one-hot encodes labels in [0, {num_classes}) ({num_classes} distinct "
            f"labels), received labels from {int(labels.min())} to {int(labels.max())}. Number the classes "
            "0, 1, 2, ... without gaps."
        )
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels]
    return labels.astype("int32")


def _as_sample_list(dataset: Any) -> tuple[list, int | None]:
    """(samples, batch size to restore) for split_dataset."""
    if isinstance(dataset, Dataset):
        batch_size = dataset._batch_size
        if batch_size:
            dataset = dataset.unbatch()
        return list(dataset), batch_size
    if isinstance(dataset, np.ndarray):
        return list(dataset), None
    if isinstance(dataset, (list, tuple)):
        arrays = [np.asarray(part) for part in dataset]
        lengths = {len(array) for array in arrays}
        if len(lengths) != 1:
            raise ValueError(
                "split_dataset: the arrays in `dataset` must have the same length, received lengths "
                f"{[len(a) for a in arrays]}."
            )
        return [tuple(array[i] for array in arrays) for i in range(lengths.pop())], None
    raise TypeError(
        "split_dataset: `dataset` must be a numeras Dataset, a NumPy array or a list/tuple of arrays "
        f"of the same length, received {type(dataset).__name__}."
    )


def _split_sizes(left_size: Any, right_size: Any, total: int) -> tuple[int, int]:
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"split_dataset: `{name}` must be an int, a float or None, received {size!r}.")
        if type(size) is int and not 0 < size < total or type(size) is float and not 0 < size < 1:
            raise ValueError(
                f"split_dataset: `{name}` must be a positive int smaller than {total} (a number of "
                f"samples) or a float in (0, 1) (a fraction), received {name}={size!r}."
            )
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: pass at least one of `left_size` and `right_size`.")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(
            f"split_dataset: left_size + right_size must be at most 1, received {left_size} + {right_size}."
        )
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(
            f"split_dataset: left_size + right_size is {left + right}, more than the {total} samples."
        )
    if left == 0 or right == 0:
        raise ValueError(
            f"split_dataset: with {total} samples, left_size={left} and right_size={right} leave one "
            "side empty. Adjust the sizes."
        )
    return int(left), int(right)


def split_dataset(
    dataset: Any, left_size: Any = None, right_size: Any = None, shuffle: bool = False, seed: int | None = None
) -> tuple[Dataset, Dataset]:
    """``(left, right)`` datasets from the samples of ``dataset`` (a Dataset, an array, or a tuple
    of arrays such as ``(x, y)``). Sizes are sample counts (int) or fractions (float); a missing
    one is the complement. ``shuffle`` shuffles the samples first, with Python's ``random`` seeded
    by ``seed`` as Keras does. A batched Dataset is split by samples and re-batched."""
    samples, batch_size = _as_sample_list(dataset)
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(samples)
    left, right = _split_sizes(left_size, right_size, len(samples))

    def to_dataset(part: list) -> Dataset:
        columns = zip(*(_flatten(sample) for sample in part))
        stacked = _pack(part[0], iter([np.stack([np.asarray(v) for v in column]) for column in columns]))
        result = Dataset.from_tensor_slices(stacked)
        return result.batch(batch_size) if batch_size else result

    return to_dataset(samples[:left]), to_dataset(samples[len(samples) - right :])


def datasets_for_subset(
    make, paths: list, labels, *, validation_split, subset, shuffle: bool, verbose: bool, caller: str,
    directory: str, kind: str,
):
    """``make(paths, labels, shuffle)`` on the files ``subset`` names: "training" or "validation"
    (one dataset), "both" (a list of the two; the validation one unshuffled), or None (all files).
    ``kind`` names the files in errors ("images", "text files")."""
    if subset == "both":
        train_paths, train_labels = get_training_or_validation_split(paths, labels, validation_split, "training", verbose)
        val_paths, val_labels = get_training_or_validation_split(paths, labels, validation_split, "validation", verbose)
        if not train_paths:
            raise ValueError(f"{caller}: no training {kind} left in {directory!r} after the validation split.")
        if not val_paths:
            raise ValueError(
                f"{caller}: no validation {kind} in {directory!r}: validation_split={validation_split} "
                f"of {len(paths)} files rounds down to 0. Use a larger split or more files."
            )
        return [make(train_paths, train_labels, shuffle), make(val_paths, val_labels, False)]
    paths, labels = get_training_or_validation_split(paths, labels, validation_split, subset, verbose)
    if not paths:
        raise ValueError(
            f"{caller}: no {kind} in the {subset} subset of {directory!r} (validation_split="
            f"{validation_split} of too few files). Use a larger split or more files."
        )
    return make(paths, labels, shuffle)
