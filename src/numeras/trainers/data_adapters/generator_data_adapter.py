"""``GeneratorDataAdapter``: batches from a Python generator or any other iterator (an object
with ``__next__``), which can be read only once (Keras 3's ``generator_data_adapter.py``).

Without ``steps_per_epoch`` an epoch runs until the generator is exhausted, so only one epoch
can read it; ``fit`` refuses more epochs before training starts (the trainer asks ``one_pass``).
With ``steps_per_epoch`` each epoch takes that many batches and the next epoch continues where
it stopped, as the first edition's ``fit_generator`` did with endless generators.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from numeras.trainers.data_adapters.stream_data_adapter import StreamDataAdapter


class GeneratorDataAdapter(StreamDataAdapter):
    """Reads an iterator of batches ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``. Its first
    batch is read at once (an empty generator or a malformed batch fails before training) and
    kept for the first epoch."""

    kind = "generator"
    one_pass = True

    def __init__(self, generator: Iterator[Any], steps: int | None = None, class_weight: Any = None,
                 method: str = "fit") -> None:
        super().__init__(steps=steps, class_weight=class_weight, method=method)
        self._generator = generator
        try:
            first = next(generator)
        except StopIteration:
            raise ValueError(
                f"{method}: the generator yielded no batch. It must yield at least one "
                "(x,), (x, y) or (x, y, sample_weight) tuple; a generator that was already used "
                "(by an earlier fit or evaluate) is empty: create a new one."
            ) from None
        self._split(first, 0)
        self._buffered = [first]

    def _first_raw(self) -> Any:
        return self._buffered[0] if self._buffered else None

    def _start_pass(self) -> Iterator[Any]:
        return self._read()

    def _read(self) -> Iterator[Any]:
        while self._buffered:
            yield self._buffered.pop(0)
        # A plain loop, not `yield from`: dropping this pass must not close the user's generator.
        for batch in self._generator:  # noqa: UP028
            yield batch
