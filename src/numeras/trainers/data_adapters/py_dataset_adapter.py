"""``PyDatasetAdapter``: batches from a ``numeras.utils.PyDataset``, loaded in order, in the
training process or ahead of it by worker threads or processes (Keras 3's
``py_dataset_adapter.py``).

Each epoch visits the dataset's indices (in a fresh random order with ``shuffle``), at most
``steps_per_epoch`` of them; an endless dataset (``num_batches`` None) continues from the index
the last epoch reached. With workers, ``OrderedBatchLoader`` keeps up to ``max_queue_size``
batches in flight and hands them over in index order. A worker's exception stops the workers and
is raised in the training process with its original traceback; no worker outlives the epoch.
"""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
from collections.abc import Iterator
from typing import Any

from numeras import backend
from numeras.trainers.data_adapters.stream_data_adapter import StreamDataAdapter
from numeras.utils.py_dataset import PyDataset


class PyDatasetAdapter(StreamDataAdapter):
    """Reads a ``PyDataset``; a new pass (and, with workers, a new pool) each epoch, so changes
    the dataset makes in ``on_epoch_end`` reach the workers."""

    kind = "PyDataset"
    continues_across_epochs = False

    def __init__(self, dataset: PyDataset, steps: int | None = None, shuffle: bool = False,
                 class_weight: Any = None, method: str = "fit") -> None:
        super().__init__(steps=steps, class_weight=class_weight, method=method)
        self.dataset = dataset
        self.kind = f"PyDataset {type(dataset).__name__}"
        self._shuffle = shuffle
        self._next_endless_index = 0
        self._loader: OrderedBatchLoader | None = None
        self._first_batch: tuple[int, Any] | None = None
        workers, processes, queue_size = dataset.workers, dataset.use_multiprocessing, dataset.max_queue_size
        for name, value, least in (("workers", workers, 0), ("max_queue_size", queue_size, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(
                    f"{type(dataset).__name__}: `{name}` must be an integer >= {least}, received {value!r} "
                    "(set it with super().__init__(workers=..., max_queue_size=...))."
                )
        self._workers = workers if workers > 1 or (workers > 0 and processes) else 0
        self._use_processes = bool(processes)
        self._queue_size = queue_size

    @property
    def endless(self) -> bool:
        return self.dataset.num_batches is None

    def _pass_length(self) -> int | None:
        return self.dataset.num_batches

    def _first_raw(self) -> Any:
        if self._first_batch is None:
            if self.dataset.num_batches == 0:
                raise ValueError(f"{self.method}: the {self.kind} has no batches (its length is 0).")
            first_index = 0
            self._first_batch = (first_index, _load(self.dataset, first_index))
        return self._first_batch[1]

    def _epoch_indices(self) -> list[int]:
        count = self.dataset.num_batches
        if count is None:
            start = self._next_endless_index
            return list(range(start, start + self._steps))
        order = list(range(count))
        if self._shuffle:
            order = backend.random_generator().permutation(count).tolist()
        return order[: self._steps] if self._steps else order

    def _start_pass(self) -> Iterator[Any]:
        indices = self._epoch_indices()
        known = {}
        # The batch read before training to check the model is used once, unless the dataset
        # may change in on_epoch_begin.
        if self._first_batch is not None and type(self.dataset).on_epoch_begin is PyDataset.on_epoch_begin:
            known = dict([self._first_batch])
        self._first_batch = None
        if self._workers:
            self._loader = OrderedBatchLoader(
                self.dataset, indices, self._workers, self._use_processes, self._queue_size, known
            )
            return self._counted(self._loader)
        return self._counted(known.pop(i) if i in known else _load(self.dataset, i) for i in indices)

    def _counted(self, batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            self._next_endless_index += 1
            yield batch

    def _close_pass(self) -> None:
        if self._loader is not None:
            self._loader.close()
            self._loader = None
        self._pass = None

    def on_epoch_begin(self) -> None:
        self.dataset.on_epoch_begin()

    def on_epoch_end(self) -> None:
        self._close_pass()
        self.dataset.on_epoch_end()


def _load(dataset: PyDataset, index: int) -> Any:
    """``dataset[index]``, with the index added to any error's message."""
    try:
        return dataset[index]
    except Exception as error:
        if hasattr(error, "add_note"):  # Python >= 3.11
            error.add_note(f"(raised by {type(dataset).__name__}.__getitem__({index}))")
        raise


# The dataset a worker process reads, installed by the pool's initializer (with the "fork" start
# method it is inherited, not pickled).
_WORKER_DATASET: Any = None


def _install_dataset(dataset: PyDataset) -> None:
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _load_in_worker_process(index: int) -> Any:
    return _load(_WORKER_DATASET, index)


class OrderedBatchLoader:
    """Iterates over ``dataset[i] for i in indices`` with ``workers`` threads (or processes)
    loading up to ``max_queue_size`` batches ahead; batches come out in the order of ``indices``.
    ``known`` maps indices to batches already loaded. ``close()`` cancels what is queued and
    waits for the running loads, so no thread or process is left behind."""

    def __init__(self, dataset: PyDataset, indices: list[int], workers: int, use_processes: bool,
                 max_queue_size: int, known: dict | None = None) -> None:
        self.dataset = dataset
        self._indices = iter(indices)
        self._known = known or {}
        if use_processes:
            methods = multiprocessing.get_all_start_methods()
            # fork shares the dataset without pickling it, as Keras's process pool does.
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            self._executor: concurrent.futures.Executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=workers, mp_context=context, initializer=_install_dataset, initargs=(dataset,)
            )
            self._load = _load_in_worker_process
        else:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=workers, thread_name_prefix="numeras-PyDataset"
            )
            self._load = lambda index: _load(dataset, index)
        self._pending: collections.deque = collections.deque()
        self._closed = False
        for _ in range(max(max_queue_size, workers)):
            if not self._submit_next():
                break

    def _submit_next(self) -> bool:
        index = next(self._indices, None)
        if index is None:
            return False
        if index in self._known:
            future: concurrent.futures.Future = concurrent.futures.Future()
            future.set_result(self._known.pop(index))
        else:
            future = self._executor.submit(self._load, index)
        self._pending.append(future)
        return True

    def __iter__(self) -> OrderedBatchLoader:
        return self

    def __next__(self) -> Any:
        if not self._pending:
            self.close()
            raise StopIteration
        future = self._pending.popleft()
        try:
            batch = future.result()
        except BaseException:
            # Stop the other workers first, then let the worker's error (with its traceback)
            # reach the training loop.
            self.close()
            raise
        self._submit_next()
        return batch

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)
