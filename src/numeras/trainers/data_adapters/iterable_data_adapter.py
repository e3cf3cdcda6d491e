"""``IterableDataAdapter``: batches from any re-iterable object (one that gives a new iterator
each time ``iter()`` is called): a torch ``DataLoader``, a ``tf.data.Dataset``,
``numeras.utils.Dataset`` or a user's class with ``__iter__`` (Keras 3 reads the first two through
``torch_data_loader_adapter.py`` and ``tf_dataset_adapter.py``; numeras needs neither library:
their batches are read as NumPy arrays).

Each epoch without ``steps_per_epoch`` is one pass, ``iter(data)``; ``len(data)``, when the
object has one, is the number of batches per pass (shown by the progress bar).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from numeras.trainers.data_adapters.stream_data_adapter import StreamDataAdapter


class IterableDataAdapter(StreamDataAdapter):
    """Reads ``iterable``, a new pass per epoch (or, with ``steps``, when the last pass ends)."""

    def __init__(self, iterable: Any, steps: int | None = None, class_weight: Any = None,
                 method: str = "fit") -> None:
        super().__init__(steps=steps, class_weight=class_weight, method=method)
        self._iterable = iterable
        self.kind = _describe(iterable)
        self._held_pass: Iterator[Any] | None = None

    def _pass_length(self) -> int | None:
        try:
            return int(len(self._iterable))
        except (TypeError, ValueError, NotImplementedError):
            return None  # an endless or unsized dataset

    def _first_raw(self) -> Any:
        # The pass opened to read the first batch becomes the first epoch's pass, so a DataLoader
        # does not start its workers twice.
        if self._held_pass is None:
            first_pass = iter(self._iterable)
            try:
                first = next(first_pass)
            except StopIteration:
                raise ValueError(f"{self.method}: the {self.kind} yielded no batch.") from None
            self._held_pass = _prepend(first, first_pass)
            self._held_first = first
        return self._held_first

    def _start_pass(self) -> Iterator[Any]:
        held, self._held_pass = self._held_pass, None
        return held if held is not None else iter(self._iterable)


def _prepend(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _describe(iterable: Any) -> str:
    cls = type(iterable)
    return f"{cls.__module__.split('.')[0]}.{cls.__qualname__}" if cls.__module__ != "builtins" else cls.__name__
