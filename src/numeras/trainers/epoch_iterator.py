"""``EpochIterator``: the one data path of ``fit``, ``evaluate`` and ``predict`` (Keras 3's
``trainers/epoch_iterator.py``).

It takes what the user passed (``x``, ``y``, ``sample_weight``, ``class_weight``,
``batch_size``, ``steps``, ``shuffle``), checks the batching arguments, picks the data adapter
that converts and checks the data (arrays, generators, ``PyDataset``, other iterables), splits
off or builds the validation data, and yields ``(step, batch)`` for each epoch. An ``EpochHook``
(the BLAS thread tuner during ``fit``) sees every epoch start, may time chosen steps, and is
finished when the iterator is closed; closing also stops any data worker. ``OutputCollector``
gathers ``predict``'s batches.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from typing import Any

from numeras.autodiff import Tensor
from numeras.backend import xp
from numeras.distribution import distribution_lib
from numeras.trainers.data_adapters import DataAdapter, get_data_adapter
from numeras.trainers.data_adapters import data_adapter_utils as data_utils
from numeras.trainers.data_adapters.data_adapter_utils import check_batch_size
from numeras.utils.tree import flatten, is_nested, pack_sequence_as

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
                shuffle=shuffle, class_weight=class_weight, method=method,
            )
        self.data_adapter = data_adapter
        self.hook = hook
        self.method = method
        self.ran_dry = False
        self._batches: Iterator[Any] | None = None
        self._epochs_read = 0

    def require_steps(self, passes: int, argument: str) -> None:
        """Refuse, before training, data that cannot give ``passes`` epochs as asked: a generator
        read without ``argument`` (``steps_per_epoch``/``validation_steps``) more than once, or
        an endless ``PyDataset`` without it."""
        adapter = self.data_adapter
        if adapter.num_batches is not None:
            return
        if adapter.endless:
            raise ValueError(
                f"{self.method}: the data is an endless PyDataset (its num_batches is None), so an "
                f"epoch never ends by itself. Pass `{argument}=<batches per epoch>`."
            )
        if adapter.one_pass and passes > 1:
            raise ValueError(
                f"{self.method}: the data is a Python generator and `{argument}` is None, so the first "
                "epoch reads it to the end and the next would find nothing (and an endless generator "
                f"would never end the first). Pass `{argument}=<batches per epoch>` (e.g. "
                "len(samples) // batch_size), or use a numeras.utils.PyDataset, which can be read again."
            )

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
        return EpochIterator(data_adapter=validation, method="fit (validation_split)")

    def validation_iterator(
        self,
        validation_data: Any,
        validation_split: float,
        validation_batch_size: int | None,
        validation_steps: int | None,
    ) -> EpochIterator | None:
        """``fit``'s validation data: ``validation_data`` (a tuple ``(x_val, y_val[, weights])``
        of arrays, or a generator, ``PyDataset`` or iterable of batches) or else the last
        ``validation_split`` of this iterator's arrays; ``None`` when there is neither."""
        if validation_data is None and not validation_split:
            return None
        batch_size = self.data_adapter.batch_size
        if validation_batch_size:
            batch_size = check_batch_size(validation_batch_size, "fit", "validation_batch_size")
        if validation_data is None:
            return self.split_validation(validation_split, batch_size, validation_steps)
        method = "fit (validation_data)"
        if not isinstance(validation_data, (tuple, list)):
            return EpochIterator(validation_data, batch_size=batch_size, steps_per_epoch=validation_steps,
                                 method=method)
        if len(validation_data) not in (2, 3):
            raise ValueError(
                "fit: `validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight), "
                "or a generator, PyDataset or iterable of such batches; received a "
                f"{type(validation_data).__name__} of {len(validation_data)} items."
            )
        parts = [data_utils.to_data(v, f"validation_data[{i}]") for i, v in enumerate(validation_data)]
        return EpochIterator(*parts, batch_size=batch_size, steps_per_epoch=validation_steps, method=method)

    def enumerate_epoch(self) -> Iterator[tuple[int, Any]]:
        """``(step, batch)`` for each batch of one epoch. Stopping early (``break``) is fine.
        After an epoch that found no batch (a used-up generator), ``ran_dry`` is set in ``fit``'s
        later epochs (with a warning; the loop stops) and an error is raised otherwise."""
        adapter, hook = self.data_adapter, self.hook
        adapter.on_epoch_begin()
        self._batches = batches = adapter.get_numpy_iterator()
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
        self._batches = None
        adapter.on_epoch_end()
        self._epochs_read += 1
        self.ran_dry = adapter.ran_dry
        if self.ran_dry:
            self._report_dry()

    def _report_dry(self) -> None:
        if self.method == "fit" and self._epochs_read > 1:
            warnings.warn(
                "fit: your input ran out of data; interrupting training after "
                f"{self._epochs_read - 1} epochs. Make sure it can yield steps_per_epoch * epochs "
                "batches (a generator that loops with `while True:`).",
                stacklevel=3,
            )
            return
        raise ValueError(
            f"{self.method}: the data yielded no batch (a generator used up by an earlier epoch or call?). "
            "Create a new generator, or pass steps so that its batches last."
        )

    def close(self) -> None:
        """Stop the epoch in progress, if any (its data workers included), and finish the hook."""
        batches, self._batches = self._batches, None
        if batches is not None and hasattr(batches, "close"):
            batches.close()
        self.data_adapter.close()
        if self.hook is not None:
            self.hook.finish()

    def __enter__(self) -> EpochIterator:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
        distribution = distribution_lib.distribution()
        if exc_info[1] is not None and distribution is not None:
            distribution.on_loop_error(exc_info[1])  # one process leaving would hang the others


class OutputCollector:
    """``predict``'s outputs, batch after batch, written into arrays allocated at the first
    batch when the number of samples is known (concatenated at the end otherwise)."""

    def __init__(self, data_adapter: Any) -> None:
        rows = data_adapter.num_samples
        batches = data_adapter.num_batches
        if rows is not None and batches is not None:
            rows = min(rows, batches * data_adapter.batch_size)
        self.rows = rows
        self.structure: Any = None
        self.buffers: list = []
        self.position = 0

    def add(self, batch_out: Any) -> Any:
        """Store one batch's outputs; returns them as arrays, for the callbacks."""
        if isinstance(batch_out, Tensor):
            arrays = [batch_out.data]
        else:
            arrays = [leaf.data if isinstance(leaf, Tensor) else xp.asarray(leaf) for leaf in flatten(batch_out)]
        if self.structure is None:
            self.structure = batch_out
            if self.rows is not None:
                self.buffers = [xp.empty((self.rows, *a.shape[1:]), dtype=a.dtype) for a in arrays]
            else:
                self.buffers = [[] for _ in arrays]
        count = len(arrays[0])
        for buffer, array in zip(self.buffers, arrays):
            if isinstance(buffer, list):
                buffer.append(array.copy())
            else:
                buffer[self.position : self.position + count] = array
        self.position += count
        return arrays[0] if not is_nested(self.structure) else pack_sequence_as(self.structure, arrays)

    def result(self) -> Any:
        if self.structure is None:
            return xp.empty((0,))
        results = [
            xp.concatenate(buffer) if isinstance(buffer, list) else buffer[: self.position]
            for buffer in self.buffers
        ]
        return results[0] if not is_nested(self.structure) else pack_sequence_as(self.structure, results)
