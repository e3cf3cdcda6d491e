"""``PyDataset`` (alias ``Sequence``): a dataset written in Python as numbered batches, which
``fit``/``evaluate``/``predict`` can load ahead of the model in worker threads or processes
(Keras 3's ``keras.utils.PyDataset``; the first edition's ``keras.utils.Sequence``).

Subclass it, call ``super().__init__(**kwargs)``, and write ``__len__`` (the number of batches)
and ``__getitem__(index)`` (batch ``index``: ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``).
``on_epoch_begin``/``on_epoch_end`` run around every epoch, e.g. to reshuffle the samples.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from typing import Any


class PyDataset:
    """Batches by index, for ``fit(dataset)``. Loading runs in the training process unless
    ``workers > 1`` (or ``use_multiprocessing=True``): then ``workers`` threads (processes with
    ``use_multiprocessing``, which need a dataset that can be copied into them) load up to
    ``max_queue_size`` batches ahead, and the model still receives them in order.

    Args:
        workers: Threads or processes that load batches (1: load in the training process).
        use_multiprocessing: Load in processes rather than threads (for Python-heavy loading
            that threads cannot run in parallel).
        max_queue_size: Batches loaded ahead at most (memory versus smoothness).

    A ``num_batches`` property returning ``None`` makes the dataset endless (``steps_per_epoch``
    is then required). With ``fit(shuffle=True)`` the batches are visited in a new random order
    each epoch (the samples inside a batch are the dataset's business).
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self) -> None:
        missing = [name for name in ("_workers", "_use_multiprocessing", "_max_queue_size") if not hasattr(self, name)]
        if not missing:
            return
        self._workers = getattr(self, "_workers", 1)
        self._use_multiprocessing = getattr(self, "_use_multiprocessing", False)
        self._max_queue_size = getattr(self, "_max_queue_size", 10)
        warnings.warn(
            f"{type(self).__name__} should call `super().__init__(**kwargs)` in its constructor; "
            "`**kwargs` can include `workers`, `use_multiprocessing` and `max_queue_size`. Do not pass "
            "these arguments to `fit()`: they belong to the dataset.",
            stacklevel=3,
        )

    @property
    def workers(self) -> int:
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        """Batch number ``index``: ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index) returning a batch.")

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch (``len(self)``), or ``None`` for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must define __len__ (the number of batches), or a `num_batches` "
            "property returning it (None for an endless dataset)."
        )

    def __iter__(self) -> Iterator[Any]:
        count = self.num_batches
        for index in range(count) if count is not None else itertools.count():
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called before every epoch."""

    def on_epoch_end(self) -> None:
        """Called after every epoch (e.g. to shuffle the samples)."""


Sequence = PyDataset
