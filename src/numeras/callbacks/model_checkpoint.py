"""Save the model (or its weights) during training, every epoch or only when it improves."""

from __future__ import annotations

import os
import warnings
from typing import Any

from numeras.callbacks.monitor_callback import MonitorCallback, print_message
from numeras.callbacks.save_frequency import BatchSaveCounter

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights at some frequency, with ``model.save(filepath)`` or
    ``model.save_weights(filepath)``.

    ``filepath`` may contain format fields filled with the epoch (counted from 1) and the logs:
    ``"model-{epoch:02d}-{val_loss:.2f}.keras"`` gives ``model-03-0.42.keras``.

    Args:
        filepath: where to save; must end in ``.keras`` (the whole model) or, with
            ``save_weights_only=True``, in ``.weights.h5``.
        monitor: the quantity compared when ``save_best_only`` (a key of the logs).
        verbose: 1 prints a line at each decision.
        save_best_only: save only when ``monitor`` improves on the best value so far (with a
            filepath without fields, the file always holds the best model).
        save_weights_only: save only the weights.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        save_freq: ``"epoch"``, or an integer: save after that many batches.
        initial_value_threshold: the value to beat for the first save with ``save_best_only``.

    Example::

        callbacks = [ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True)]
        model.fit(x, y, validation_split=0.2, epochs=20, callbacks=callbacks)
    """

    def __init__(
        self,
        filepath: Any,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Any = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batch_counter = BatchSaveCounter(save_freq)
        self._current_epoch = 0
        if self.save_freq != "epoch" and (not isinstance(self.save_freq, int) or isinstance(self.save_freq, bool)):
            raise ValueError(
                f"Unrecognized save_freq: {self.save_freq!r}. Expected save_freq are 'epoch' or "
                "integer values (a number of batches)."
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format). Received: "
                    f"filepath={self.filepath}"
                )
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format). Received: "
                f"filepath={self.filepath}"
            )

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._batch_counter.should_save(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()  # delayed until the model's metrics exist
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _set_monitor_op(self) -> None:
        if self.save_best_only:
            super()._set_monitor_op()
        else:
            # Nothing is compared; an unknown metric direction must not stop the run.
            try:
                super()._set_monitor_op()
            except ValueError:
                self.monitor_op = lambda a, b: a < b

    def _should_save_model(self, epoch: int, batch: int | None, logs: dict | None, filepath: str) -> bool:
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print_message(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=2)
            return True
        if hasattr(current, "shape") and len(current.shape) > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                "Falling back to `save_best_only=False`.",
                stacklevel=2,
            )
            return True
        best_text = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_message(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_text} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print_message(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_text}")
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: dict | None) -> None:
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an "
                f"existing directory: {filepath}"
            )
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        method_name = "save_weights" if self.save_weights_only else "save"
        save = getattr(self.model, method_name, None)
        if save is None:
            raise AttributeError(
                f"ModelCheckpoint: the model has no `{method_name}` method, so it cannot be "
                "checkpointed. Saving needs numeras.saving (model.save / model.save_weights)."
            )
        save(filepath, overwrite=True)
        if self.verbose > 0:
            print_message(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict | None) -> str:
        """``filepath`` with its fields filled: ``epoch`` (from 1), ``batch`` and the logs."""
        logs = logs or {}
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}. '
                f"The fields available are epoch, batch and the logs: {sorted(logs)}."
            ) from None
