"""A small ``tf.data.Dataset`` for NumPy: an iterable pipeline of NumPy elements that Keras's data
makers (``image_dataset_from_directory``, ``text_dataset_from_directory``,
``timeseries_dataset_from_array``) return in numeras, since numeras has no TensorFlow.

An element is a NumPy array (or scalar / string), or a tuple or dict of them; lists are data, as
in tf.data (``from_tensor_slices([1, 2])`` has two elements, not a two-part structure). Every
transformation returns a new ``Dataset``; iterating a dataset starts a fresh pass over it, so one
dataset object serves every epoch of ``fit``. ``map(..., num_parallel_calls=n)`` runs the function
in ``n`` worker threads (decoding with Pillow and most NumPy work release the GIL) and keeps the
input order; ``prefetch(n)`` fills a bounded queue from a background thread so the next batches
are ready while the model trains on the current one.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Dataset", "ArraySpec", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY"]

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


@dataclass(frozen=True)
class ArraySpec:
    """Shape and dtype of one leaf of a dataset element; ``None`` marks an axis of varying size."""

    shape: tuple
    dtype: np.dtype


# --- element structures: tuples and dicts are structure, everything else is a leaf ----------------


def _flatten(element: Any) -> list:
    if isinstance(element, Mapping):
        return [leaf for key in element for leaf in _flatten(element[key])]
    if isinstance(element, tuple):
        return [leaf for item in element for leaf in _flatten(item)]
    return [element]


def _pack(structure: Any, leaves: Iterator) -> Any:
    if isinstance(structure, Mapping):
        return {key: _pack(structure[key], leaves) for key in structure}
    if isinstance(structure, tuple):
        items = [_pack(item, leaves) for item in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    return next(leaves)


def _map_leaves(fn: Callable[[Any], Any], element: Any) -> Any:
    return _pack(element, iter([fn(leaf) for leaf in _flatten(element)]))


def _stack(elements: list) -> Any:
    """Elements with the same structure stacked leaf by leaf along a new first axis."""
    columns = zip(*(_flatten(element) for element in elements))
    return _pack(elements[0], iter([np.stack([np.asarray(v) for v in column]) for column in columns]))


def _num_workers(num_parallel_calls: int | None) -> int:
    if num_parallel_calls is None:
        return 1
    if num_parallel_calls == AUTOTUNE:
        return max(1, os.cpu_count() or 1)
    if not isinstance(num_parallel_calls, int) or num_parallel_calls < 1:
        raise ValueError(
            "`num_parallel_calls` must be None, a positive int or numeras.utils.dataset.AUTOTUNE (-1), "
            f"received num_parallel_calls={num_parallel_calls!r}."
        )
    return num_parallel_calls


def _close(iterator: Any) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def _check_count(name: str, value: Any, allow_minus_one: bool = False) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Dataset.{name}: expected an int, received {value!r}.")
    value = int(value)
    if value < (-1 if allow_minus_one else 0):
        raise ValueError(f"Dataset.{name}: expected a non-negative int, received {value}.")
    return value


class Dataset:
    """An iterable of NumPy elements, built from a function that starts one pass over the data.

    ``Dataset(make_iterator, cardinality)`` wraps ``make_iterator()`` (called once per pass, so
    each epoch starts fresh); ``cardinality`` is the number of elements when known, else
    ``UNKNOWN_CARDINALITY`` (-2) or ``INFINITE_CARDINALITY`` (-1). Most users build one with
    ``Dataset.from_tensor_slices`` or get one from a ``numeras.utils.*_dataset_*`` maker.
    """

    def __init__(
        self,
        make_iterator: Callable[[], Iterable],
        cardinality: int = UNKNOWN_CARDINALITY,
        *,
        batched: bool = False,
    ):
        if not callable(make_iterator):
            raise TypeError(
                "Dataset: `make_iterator` must be a function returning an iterator (called once per "
                f"pass over the data), received {make_iterator!r}. Use Dataset.from_tensor_slices "
                "for arrays."
            )
        self._make_iterator = make_iterator
        self._cardinality = int(cardinality)
        # Whether the leading axis of each element is a batch axis whose last slice may be short.
        self._batched = batched
        # The batch size when elements are batches (set by batch(), kept by element-wise steps),
        # so split_dataset can split by samples and batch again.
        self._batch_size: int | None = None
        self._element_spec = None

    # --- sources --------------------------------------------------------------------------------

    @staticmethod
    def from_tensor_slices(tensors: Any) -> Dataset:
        """One element per index of the first axis of ``tensors`` (an array, or a tuple/dict of
        arrays with the same first dimension), as ``tf.data.Dataset.from_tensor_slices``."""
        leaves = [np.asarray(leaf) for leaf in _flatten(tensors)]
        if not leaves:
            raise ValueError("Dataset.from_tensor_slices: `tensors` holds no arrays.")
        for leaf in leaves:
            if leaf.ndim == 0:
                raise ValueError(
                    "Dataset.from_tensor_slices: every array needs at least one axis to slice, "
                    f"received a scalar {leaf!r}. Wrap it in a list or use Dataset.from_tensors."
                )
        lengths = {leaf.shape[0] for leaf in leaves}
        if len(lengths) != 1:
            shapes = [leaf.shape for leaf in leaves]
            raise ValueError(
                "Dataset.from_tensor_slices: all arrays must have the same first dimension, "
                f"received shapes {shapes}."
            )
        length = lengths.pop()

        def make_iterator() -> Iterator:
            for index in range(length):
                yield _pack(tensors, iter([leaf[index] for leaf in leaves]))

        dataset = Dataset(make_iterator, length)
        dataset._slices = (tensors, leaves)  # lets batch() slice instead of stacking
        return dataset

    @staticmethod
    def from_tensors(tensors: Any) -> Dataset:
        """A dataset with the single element ``tensors``."""
        element = _map_leaves(np.asarray, tensors)
        return Dataset(lambda: iter([element]), 1)

    @staticmethod
    def from_generator(generator: Callable[[], Iterable], cardinality: int = UNKNOWN_CARDINALITY) -> Dataset:
        """Elements of ``generator()``, a function called once per pass (not a generator object,
        which could only be iterated once)."""
        if not callable(generator):
            raise TypeError(
                "Dataset.from_generator: `generator` must be a callable returning an iterable, "
                f"received {generator!r}. Pass the generator function, not its result."
            )
        return Dataset(lambda: iter(generator()), cardinality)

    @staticmethod
    def range(*args: int) -> Dataset:
        """``range(...)`` as int64 scalars."""
        values = range(*args)
        return Dataset(lambda: (np.int64(v) for v in values), len(values))

    @staticmethod
    def zip(*datasets: Any) -> Dataset:
        """Elements of several datasets side by side, as tuples; stops at the shortest."""
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, list)):
            datasets = tuple(datasets[0])
        cards = [d.cardinality() for d in datasets]
        if all(c == INFINITE_CARDINALITY for c in cards):
            card = INFINITE_CARDINALITY
        elif any(c == UNKNOWN_CARDINALITY for c in cards):
            card = UNKNOWN_CARDINALITY
        else:
            card = min(c for c in cards if c >= 0)
        return Dataset(lambda: zip(*datasets), card, batched=any(d._batched for d in datasets))

    # --- iteration ------------------------------------------------------------------------------

    def __iter__(self) -> Iterator:
        return iter(self._make_iterator())

    def as_numpy_iterator(self) -> Iterator:
        """An iterator over the elements (already NumPy), as tf.data's method of that name."""
        return iter(self)

    def cardinality(self) -> int:
        """The number of elements; -1 when infinite, -2 when unknown (after ``filter``)."""
        return self._cardinality

    def __len__(self) -> int:
        if self._cardinality == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite (it repeats forever), so it has no length.")
        if self._cardinality < 0:
            raise TypeError(
                "The dataset length is unknown (a filter or generator makes it so); iterate it to "
                "count the elements."
            )
        return self._cardinality

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        card = {INFINITE_CARDINALITY: "infinite", UNKNOWN_CARDINALITY: "unknown"}.get(
            self._cardinality, self._cardinality
        )
        return f"<numeras Dataset: {card} elements>"

    @property
    def element_spec(self) -> Any:
        """Shapes and dtypes of one element, as ``ArraySpec`` leaves in the element's structure
        (the batch axis is ``None`` unless every batch is full). Reads the first element once."""
        if self._element_spec is None:
            first = next(iter(self.take(1)), None)
            if first is None:
                raise ValueError("element_spec: the dataset is empty.")
            batched = self._batched

            def spec(leaf: Any) -> ArraySpec:
                array = np.asarray(leaf)
                shape = tuple(array.shape)
                if batched and shape:
                    shape = (None,) + shape[1:]
                return ArraySpec(shape, array.dtype)

            self._element_spec = _map_leaves(spec, first)
        return self._element_spec

    def _derive(self, make_iterator: Callable[[], Iterable], cardinality: int):
        # Element-wise transformations keep the batching of their input.
        derived = Dataset(make_iterator, cardinality, batched=self._batched)
        derived._batch_size = self._batch_size
        return derived

    # --- transformations ------------------------------------------------------------------------

    def take(self, count: int) -> Dataset:
        """The first ``count`` elements (all of them when ``count`` is -1)."""
        count = _check_count("take", count, allow_minus_one=True)
        if count == -1:
            return self
        card = self._cardinality
        new_card = count if card == INFINITE_CARDINALITY else (min(card, count) if card >= 0 else card)
        return self._derive(lambda: _closing_islice(self, 0, count), new_card)

    def skip(self, count: int) -> Dataset:
        """All but the first ``count`` elements."""
        count = _check_count("skip", count)
        card = self._cardinality
        new_card = max(card - count, 0) if card >= 0 else card
        return self._derive(lambda: _closing_islice(self, count, None), new_card)

    def map(self, map_func: Callable, num_parallel_calls: int | None = None, deterministic: Any = None) -> Dataset:
        """``map_func`` applied to every element; a tuple element is unpacked into positional
        arguments, as tf.data does. ``num_parallel_calls`` worker threads (``AUTOTUNE``: one per
        CPU) run it concurrently; the output keeps the input order."""
        workers = _num_workers(num_parallel_calls)

        def apply(element: Any) -> Any:
            if isinstance(element, tuple) and not hasattr(element, "_fields"):
                return map_func(*element)
            return map_func(element)

        if workers == 1:
            return self._derive(lambda: (apply(element) for element in self), self._cardinality)
        return self._derive(lambda: _parallel_map(self, apply, workers), self._cardinality)

    def filter(self, predicate: Callable) -> Dataset:
        """The elements for which ``predicate(element)`` is true (tuples unpacked as in ``map``)."""

        def keep(element: Any) -> bool:
            if isinstance(element, tuple) and not hasattr(element, "_fields"):
                return bool(predicate(*element))
            return bool(predicate(element))

        card = INFINITE_CARDINALITY if self._cardinality == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY
        return self._derive(lambda: (element for element in self if keep(element)), card)

    def batch(self, batch_size: int, drop_remainder: bool = False, num_parallel_calls: Any = None) -> Dataset:
        """Consecutive elements stacked into batches of ``batch_size`` along a new first axis;
        the last batch is shorter unless ``drop_remainder``."""
        batch_size = _check_count("batch", batch_size)
        if batch_size == 0:
            raise ValueError("Dataset.batch: `batch_size` must be at least 1, received 0.")
        card = self._cardinality
        if card >= 0:
            card = card // batch_size if drop_remainder else -(-card // batch_size)
        slices = getattr(self, "_slices", None)
        if slices is not None:
            # Straight from arrays: each batch is one slice per array, no per-element stacking.
            structure, leaves = slices
            length = leaves[0].shape[0]
            stop = length - length % batch_size if drop_remainder else length

            def sliced() -> Iterator:
                for start in range(0, stop, batch_size):
                    yield _pack(structure, iter([leaf[start : start + batch_size] for leaf in leaves]))

            result = Dataset(sliced, card, batched=not drop_remainder)
            result._batch_size = batch_size
            return result

        def batches() -> Iterator:
            iterator = iter(self)
            try:
                while True:
                    chunk = list(itertools.islice(iterator, batch_size))
                    if not chunk or (drop_remainder and len(chunk) < batch_size):
                        return
                    yield _stack(chunk)
            finally:
                _close(iterator)

        result = Dataset(batches, card, batched=not drop_remainder)
        result._batch_size = batch_size
        return result

    def unbatch(self) -> Dataset:
        """The elements of each batch one by one (the inverse of ``batch``)."""

        def elements() -> Iterator:
            for batch in self:
                leaves = [np.asarray(leaf) for leaf in _flatten(batch)]
                for index in range(leaves[0].shape[0]):
                    yield _pack(batch, iter([leaf[index] for leaf in leaves]))

        card = INFINITE_CARDINALITY if self._cardinality == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY
        return Dataset(elements, card)

    def shuffle(self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True) -> Dataset:
        """Elements drawn at random from a buffer of ``buffer_size`` (a buffer at least as large as
        the dataset gives a uniform permutation). With ``reshuffle_each_iteration`` each pass has a
        new order (still reproducible from ``seed``); without it every pass repeats the first one."""
        buffer_size = _check_count("shuffle", buffer_size)
        if buffer_size == 0:
            raise ValueError("Dataset.shuffle: `buffer_size` must be at least 1, received 0.")
        base_seed = int(np.random.randint(2**31)) if seed is None else int(seed)
        passes = itertools.count()

        def shuffled() -> Iterator:
            epoch = next(passes) if reshuffle_each_iteration else 0
            rng = np.random.default_rng([base_seed, epoch])
            iterator = iter(self)
            buffer: list = []
            try:
                for element in iterator:
                    if len(buffer) < buffer_size:
                        buffer.append(element)
                        continue
                    index = int(rng.integers(buffer_size))
                    yield buffer[index]
                    buffer[index] = element
            finally:
                _close(iterator)
            for index in rng.permutation(len(buffer)):
                yield buffer[index]

        return self._derive(shuffled, self._cardinality)

    def cache(self, filename: str = "") -> Dataset:
        """The elements kept in memory after the first complete pass; later passes replay them
        without running the pipeline above (decoding, mapping) again."""
        if filename:
            raise NotImplementedError(
                "Dataset.cache: only the in-memory cache (filename='') is supported, received "
                f"filename={filename!r}."
            )
        store: dict = {}

        def cached() -> Iterator:
            if "elements" in store:
                yield from store["elements"]
                return
            seen = []
            for element in self:
                seen.append(element)
                yield element
            # Only a complete pass is kept: an early stop must not truncate later epochs.
            store["elements"] = seen

        return self._derive(cached, self._cardinality)

    def prefetch(self, buffer_size: int = AUTOTUNE) -> Dataset:
        """Elements produced ahead by a background thread into a queue of ``buffer_size``
        (``AUTOTUNE``: 2). An error in the pipeline is raised in the consumer with its original
        traceback; stopping early (``break``) stops and joins the thread."""
        if buffer_size == AUTOTUNE:
            buffer_size = 2
        buffer_size = _check_count("prefetch", buffer_size)
        if buffer_size == 0:
            return self
        return self._derive(lambda: _prefetch(self, buffer_size), self._cardinality)

    def repeat(self, count: int | None = None) -> Dataset:
        """The dataset ``count`` times in a row (forever when ``count`` is None or -1)."""
        if count is None:
            count = -1
        count = _check_count("repeat", count, allow_minus_one=True)
        card = self._cardinality
        if count == -1:
            new_card = 0 if card == 0 else INFINITE_CARDINALITY
        else:
            new_card = card * count if card >= 0 else card
        if count == 0:
            new_card = 0

        def repeated() -> Iterator:
            passes = itertools.count() if count == -1 else range(count)
            for _ in passes:
                produced = False
                for element in self:
                    produced = True
                    yield element
                if not produced:  # an empty dataset repeated forever is still empty
                    return

        return self._derive(repeated, new_card)

    def apply(self, transformation: Callable[[Dataset], Dataset]) -> Dataset:
        """``transformation(self)``, for chaining."""
        return transformation(self)


def _closing_islice(dataset: Dataset, start: int, stop: int | None) -> Iterator:
    iterator = iter(dataset)
    try:
        yield from itertools.islice(iterator, start, stop)
    finally:
        _close(iterator)


def _parallel_map(dataset: Dataset, apply: Callable, workers: int) -> Iterator:
    """``apply`` over the dataset in ``workers`` threads, results in input order, at most
    ``2 * workers`` elements in flight."""
    iterator = iter(dataset)
    pending: deque = deque()
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="numeras-map")
    try:
        for element in iterator:
            pending.append(executor.submit(apply, element))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True)
        _close(iterator)


_END = object()


def _prefetch(dataset: Dataset, buffer_size: int) -> Iterator:
    """The producer thread pushes (element, error) pairs; the consumer yields or re-raises."""
    slots: queue.Queue = queue.Queue(maxsize=buffer_size)
    stop = threading.Event()

    def put(item: Any) -> bool:
        # A timeout, so a producer blocked on a full queue notices that the consumer left.
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = None
        try:
            iterator = iter(dataset)
            for element in iterator:
                if not put((element, None)):
                    return
            put((_END, None))
        except BaseException as error:  # handed to the consumer, which raises it
            put((None, error))
        finally:
            if iterator is not None:
                _close(iterator)

    producer = threading.Thread(target=produce, name="numeras-prefetch", daemon=True)
    producer.start()
    try:
        while True:
            element, error = slots.get()
            if error is not None:
                # The exception object carries the producer's traceback; raising it here
                # prepends the consumer's frames, so the original line stays visible.
                raise error
            if element is _END:
                return
            yield element
    finally:
        stop.set()
        producer.join()
