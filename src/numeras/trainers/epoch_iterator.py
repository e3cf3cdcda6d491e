"""``EpochIterator``: the one data path of ``fit``, ``evaluate`` and ``predict`` (Keras 3's
``trainers/epoch_iterator.py``).

It takes what the user passed (``x``, ``y``, ``sample_weight``, ``class_weight``,
``batch_size``, ``steps``, ``shuffle``), checks the batching arguments, picks the data adapter
that converts and checks the data, splits off validation data when asked, and yields
``(step, batch)`` for each epoch. An ``EpochHook`` (the BLAS thread tuner during ``fit``) sees
every epoch start, may time chosen steps, and is finished when the iterator is closed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from numeras.distribution import distribution_lib
from numeras.trainers.data_adapters import DataAdapter, get_data_adapter
from numeras.trainers.data_adapters.data_adapter_utils import check_batch_size

_X_ROLE = {
    "fit": "the training inputs",
    "evaluate": "the inputs to evaluate on",
    "predict": "the inputs to predict on",
}


class EpochHook:
    """What the epoch iterator calls around the steps it yields. ``probing(step)`` is asked
    before each step; when it says True, the time the consumer spends on that step (until it
    asks for the next batch) goes to ``record``. ``ThreadTuner`` (backend/blas_threads.py)
    has this shape; a hook need not subclass this class."""

    def begin_epoch(self, steps: int | None) -> None:
        """An epoch of ``steps`` batches (``None`` if unknown) is about to start."""

    def probing(self, step: int) -> bool:
        """Whether to time ``step`` (called before the step is yielded)."""
        return False

    def record(self, step: int, seconds: float) -> None:
        """How long the consumer took over a timed step."""

    def finish(self) -> None:
        """The loop is over (normally or not): undo any setting the hook changed."""


class EpochIterator:
    """Batches of one dataset, epoch after epoch.

    Build it from the data (``x`` and the rest, as ``fit`` takes them) or around a
    ``data_adapter`` already made. ``enumerate_epoch()`` yields ``(step, batch)`` pairs for one
    epoch; ``num_batches`` is the steps per epoch, when known. Use it as a context manager (or
    call ``close``) so the hook is finished however the loop ends.
    """

    def __init__(
        self,
        x: Any = None,
        y: Any = None,
        sample_weight: Any = None,
        batch_size: int | None = None,
        steps_per_epoch: int | None = None,
        shuffle: bool = False,
        class_weight: dict | None = None,
        method: str = "fit",
        data_adapter: DataAdapter | None = None,
        hook: Any = None,
    ) -> None:
        if data_adapter is None:
            if x is None:
                raise ValueError(f"{method}: `x` is required ({_X_ROLE.get(method, 'the inputs')}).")
            batch_size = check_batch_size(batch_size, method)
            data_adapter = get_data_adapter(
                x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps_per_epoch,
                shuffle=shuffle, class_weight=class_weight,
            )
        self.data_adapter = data_adapter
        self.hook = hook

    @property
    def num_batches(self) -> int | None:
        return self.data_adapter.num_batches

    def split_validation(
        self, validation_split: float, validation_batch_size: int, validation_steps: int | None = None
    ) -> EpochIterator:
        """Keep the first ``1 - validation_split`` of the samples here and return an iterator
        over the rest, unshuffled, in batches of ``validation_batch_size``."""
        self.data_adapter, validation = self.data_adapter.split_validation(
            validation_split, validation_batch_size, validation_steps
        )
        return EpochIterator(data_adapter=validation)

    def enumerate_epoch(self) -> Iterator[tuple[int, Any]]:
        """``(step, batch)`` for each batch of one epoch. Stopping early (``break``) is fine."""
        adapter, hook = self.data_adapter, self.hook
        adapter.on_epoch_begin()
        batches = adapter.get_numpy_iterator()
        distribution = distribution_lib.distribution()
        if distribution is not None:
            # Under DataParallel each process keeps its slice of every global batch.
            batches = distribution.shard_batches(batches)
        if hook is None:
            yield from enumerate(batches)
        else:
            hook.begin_epoch(adapter.num_batches)
            for step, batch in enumerate(batches):
                if hook.probing(step):
                    started = time.perf_counter()
                    yield step, batch
                    hook.record(step, time.perf_counter() - started)
                else:
                    yield step, batch
        adapter.on_epoch_end()

    def close(self) -> None:
        if self.hook is not None:
            self.hook.finish()

    def __enter__(self) -> EpochIterator:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
        distribution = distribution_lib.distribution()
        if exc_info[1] is not None and distribution is not None:
            distribution.on_loop_error(exc_info[1])  # one process leaving would hang the others
