"""When a callback with Keras's ``save_freq`` argument saves: ``"epoch"`` (at each epoch's end,
decided by the callback) or every ``save_freq`` batches, counted across epochs."""

from __future__ import annotations

from typing import Any


class BatchSaveCounter:
    """Counts the batches seen since the last save, as Keras's ``ModelCheckpoint`` and
    ``BackupAndRestore`` do: ``batch`` is the index within the epoch, so a batch index not
    above the last one seen means a new epoch began and ``batch + 1`` batches ran in it."""

    def __init__(self, save_freq: Any) -> None:
        self.save_freq = save_freq
        self.reset()

    def reset(self) -> None:
        """Forget every batch seen (a new ``fit``)."""
        self.batches_since_last_save = 0
        self.last_batch_seen = 0

    def end_epoch(self) -> None:
        """The next batch index starts a new epoch."""
        self.last_batch_seen = 0

    def should_save(self, batch: int) -> bool:
        """Record the end of batch ``batch``; True when ``save_freq`` batches have run since the
        last save (never with ``save_freq="epoch"``)."""
        if self.save_freq == "epoch":
            return False
        added = batch + 1 if batch <= self.last_batch_seen else batch - self.last_batch_seen
        self.batches_since_last_save += added
        self.last_batch_seen = batch
        if self.batches_since_last_save >= self.save_freq:
            self.batches_since_last_save = 0
            return True
        return False
