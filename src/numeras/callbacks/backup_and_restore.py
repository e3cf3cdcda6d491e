"""Back up the training state regularly so an interrupted ``fit`` resumes where it stopped."""

from __future__ import annotations

import json
import os
import shutil
import warnings
import zipfile
from typing import Any

from numeras.backend import xp
from numeras.callbacks.callback import Callback
from numeras.callbacks.save_frequency import BatchSaveCounter
from numeras.saving.file_io import atomic_write

__all__ = ["BackupAndRestore"]


class BackupAndRestore(Callback):
    """Save the model's weights, the optimizer's state and the epoch reached into
    ``backup_dir`` during training; at the start of the next ``fit`` with the same
    ``backup_dir``, restore them and continue from the epoch after the last backup.

    Run the same script again after a crash (a killed process, a full disk, a bug in a later
    epoch): the weights, the optimizer's slots and step counter (so Adam's moments and a
    learning-rate schedule continue) and the epoch come back, and training goes on as if it had
    not stopped. When ``fit`` ends normally the backup is deleted (``delete_checkpoint``).

    The state is one ``.npz`` file (NumPy arrays only, loaded without pickle) written to a
    temporary file and renamed into place, so a crash during a backup leaves the previous
    backup intact.

    Args:
        backup_dir: the folder of the backup (only this callback should write there).
        save_freq: ``"epoch"`` (back up at the end of each epoch) or an integer: back up every
            that many batches (a resumed run then restarts the interrupted epoch).
        double_checkpoint: keep the previous backup too, used if the latest is unreadable.
        delete_checkpoint: delete ``backup_dir`` when training finishes.

    Example::

        callback = BackupAndRestore(backup_dir="/tmp/backup")
        model.fit(x, y, epochs=10, callbacks=[callback])  # interrupted at epoch 4...
        model.fit(x, y, epochs=10, callbacks=[callback])  # ...continues with epoch 5
    """

    def __init__(
        self,
        backup_dir: Any,
        save_freq: Any = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed: give the folder to keep the backup in.")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                "Expected either 'epoch' or a positive integer number of batches."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._state_path = os.path.join(self.backup_dir, "latest.weights.npz")
        self._previous_state_path = self._state_path + ".bkp"
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._batch_counter = BatchSaveCounter(save_freq)
        self._current_epoch = 0

    # -- restoring -------------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        if not getattr(self.model, "built", True):
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you call "
                "`fit()`: start it with keras.Input(...) or call model.build(input_shape)."
            )
        self._current_epoch = 0
        self._batch_counter.reset()
        if not os.path.exists(self._state_path):
            return
        try:
            self._restore(self._state_path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            if self.double_checkpoint and os.path.exists(self._previous_state_path):
                warnings.warn(
                    f"BackupAndRestore: the latest backup {self._state_path} is unreadable "
                    f"({error}); restoring the previous one.",
                    stacklevel=2,
                )
                self._restore(self._previous_state_path)
            else:
                raise

    def _restore(self, path: str) -> None:
        with xp.load(path, allow_pickle=False) as archive:
            weights = [archive[f"weight_{i}"] for i in range(int(archive["num_weights"]))]
            optimizer_state = [archive[f"optimizer_{i}"] for i in range(int(archive["num_optimizer_variables"]))]
            epoch = int(archive["epoch"])
        self.model.set_weights(weights)
        self._restore_optimizer(optimizer_state)
        self._current_epoch = epoch
        self.model._initial_epoch = epoch

    def _restore_optimizer(self, values: list) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not values:
            return
        if not getattr(optimizer, "built", True) and hasattr(optimizer, "build"):
            # Create the slots (momentums, ...) so that they can take the saved values.
            optimizer.build(self.model.trainable_weights)
        variables = list(optimizer.variables)
        if len(variables) != len(values) or any(
            tuple(v.shape) != tuple(value.shape) for v, value in zip(variables, values)
        ):
            warnings.warn(
                f"BackupAndRestore: skipping the optimizer state: the backup has {len(values)} "
                f"optimizer variables, the optimizer '{getattr(optimizer, 'name', '')}' has "
                f"{len(variables)} of other shapes (was the optimizer changed?). Training "
                "resumes with fresh optimizer state.",
                stacklevel=3,
            )
            return
        for variable, value in zip(variables, values):
            variable.assign(value)

    # -- backing up ------------------------------------------------------------------------
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._batch_counter.should_save(batch):
            self._save()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch + 1
        self._batch_counter.end_epoch()
        if self.save_freq == "epoch":
            self._save()

    def _save(self) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        arrays: dict[str, Any] = {}
        weights = self.model.get_weights()
        for i, value in enumerate(weights):
            arrays[f"weight_{i}"] = value
        optimizer = getattr(self.model, "optimizer", None)
        optimizer_variables = list(getattr(optimizer, "variables", None) or []) if optimizer is not None else []
        for i, variable in enumerate(optimizer_variables):
            arrays[f"optimizer_{i}"] = variable.numpy()
        arrays["num_weights"] = xp.asarray(len(weights))
        arrays["num_optimizer_variables"] = xp.asarray(len(optimizer_variables))
        arrays["epoch"] = xp.asarray(self._current_epoch)
        arrays["batch"] = xp.asarray(self._batch_counter.last_batch_seen)
        if self.double_checkpoint and os.path.exists(self._state_path):
            shutil.copyfile(self._state_path, self._previous_state_path)
        _write_atomically(self._state_path, lambda f: xp.savez(f, **arrays))
        metadata = json.dumps({"epoch": self._current_epoch, "batch": self._batch_counter.last_batch_seen})
        _write_atomically(self._metadata_path, lambda f: f.write(metadata.encode("utf-8")))

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)


def _write_atomically(path: str, write: Any) -> None:
    """Write ``path`` with ``write(handle)`` through saving's atomic writer: readers see the
    old content or the new one, never a partial file."""
    with atomic_write(path) as handle:
        write(handle)
