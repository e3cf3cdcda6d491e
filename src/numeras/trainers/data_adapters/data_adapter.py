"""``DataAdapter``: the interface through which the epoch iterator reads one kind of training
data (Keras 3's ``trainers/data_adapters/data_adapter.py``).

An adapter turns what the user passed to ``fit``/``evaluate``/``predict`` into batches, each
packed as a step receives it (``x``, ``(x, y)`` or ``(x, y, sample_weight)``), and says what it
knows about their number and size. Each kind of data (arrays, generators, ``PyDataset``, other
iterables) is a subclass in its own module with one branch in ``get_data_adapter``; the streamed
kinds share ``StreamDataAdapter``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class DataAdapter:
    """Base class of the data adapters; every property may be ``None`` when unknown (a
    generator's length, say)."""

    def get_numpy_iterator(self) -> Iterator[Any]:
        """An iterator over one epoch's batches, as NumPy arrays packed for a step."""
        raise NotImplementedError

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch (after any ``steps_per_epoch`` limit), or ``None`` if unknown."""
        raise NotImplementedError

    @property
    def batch_size(self) -> int | None:
        """Samples in a full batch, or ``None`` if unknown."""
        raise NotImplementedError

    @property
    def has_partial_batch(self) -> bool | None:
        """Whether the last batch of the data is smaller than ``batch_size``."""
        raise NotImplementedError

    @property
    def partial_batch_size(self) -> int | None:
        """Samples in the last, partial batch; ``None`` when there is none."""
        raise NotImplementedError

    @property
    def num_samples(self) -> int | None:
        """Samples in the whole data (``predict`` sizes its outputs from it), or ``None``."""
        return None

    def in_memory_data(self) -> tuple[Any, Any] | None:
        """``(x, y)`` when the adapter holds all the data, so the trainer can check it against
        the model (input shapes, target/loss agreement) before the first step; ``None`` for data
        only seen batch by batch."""
        return None

    def data_to_check(self) -> tuple[Any, Any] | None:
        """``(x, y)`` to check against the model before the first step: all the data for
        in-memory adapters, the first batch for streamed ones; ``None`` when there is none."""
        return self.in_memory_data()

    def allow_variable_axes(self, model_input_shape: tuple | None) -> None:
        """The model's input shape (``None`` for free axes), so a streamed adapter accepts
        batches whose ``x`` varies along those axes."""

    @property
    def ran_dry(self) -> bool:
        """Whether the last epoch found no batch at all (a generator used up earlier)."""
        return False

    #: Whether the data can be read only once (a Python generator): an epoch without
    #: ``steps_per_epoch`` reads all of it, so a second epoch would find nothing.
    one_pass = False
    #: Whether the data is known to never end (a ``PyDataset`` whose ``num_batches`` is None):
    #: an epoch then needs ``steps_per_epoch``.
    endless = False

    def close(self) -> None:
        """Stop whatever the adapter started (worker threads or processes); idempotent."""

    def split_validation(
        self, validation_split: float, validation_batch_size: int, validation_steps: int | None
    ) -> tuple[DataAdapter, DataAdapter]:
        """Adapters for the first ``1 - validation_split`` of the samples (training, with this
        adapter's batching and shuffling) and the rest (validation, in order)."""
        raise ValueError(
            f"fit: `validation_split` is only supported for arrays, not for data read through "
            f"{type(self).__name__}. Pass `validation_data=(x_val, y_val)` instead."
        )

    def on_epoch_begin(self) -> None:
        """Called by the epoch iterator before each epoch's first batch."""

    def on_epoch_end(self) -> None:
        """Called by the epoch iterator after each epoch's last batch."""
