"""Stop training when a monitored quantity stops improving."""

from __future__ import annotations

import math
import warnings
from typing import Any

from numeras.callbacks.callback import Callback
from numeras.callbacks.monitor_callback import infer_direction, print_message

__all__ = ["EarlyStopping"]


class EarlyStopping(Callback):
    """Stop training when a monitored metric has stopped improving.

    At the end of each epoch the monitored value (``val_loss`` by default) is compared with the
    best so far; after ``patience`` epochs without an improvement of more than ``min_delta``,
    ``model.stop_training`` is set and ``fit`` ends after that epoch.

    Args:
        monitor: the quantity to watch (a key of the epoch logs).
        min_delta: the smallest absolute change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints a message when stopping (and when restoring weights).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (losses are minimised, accuracies maximised).
        baseline: training stops unless the model improves on this value within ``patience``
            epochs (the counter only restarts on values better than both ``baseline`` and the
            best so far).
        restore_best_weights: put back the weights of the best epoch when training ends (even
            if it did not stop early).
        start_from_epoch: epochs of warm-up during which the value is not monitored.

    Example::

        callback = EarlyStopping(monitor="loss", patience=3)
        # Training stops when `loss` has not improved for three consecutive epochs.
        history = model.fit(x, y, epochs=10, callbacks=[callback])
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights: list | None = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"EarlyStopping mode {mode} is unknown, fallback to auto mode.", stacklevel=2)
            mode = "auto"
        self.mode = mode
        self.monitor_op: Any = None
        self.best = math.inf

    def _set_monitor_op(self) -> None:
        direction = self.mode if self.mode != "auto" else infer_direction(self.model, self.monitor)
        if direction is None:
            raise ValueError(
                f"EarlyStopping callback received monitor={self.monitor!r} but numeras isn't able "
                "to automatically determine whether that metric should be maximized or "
                "minimized. Pass `mode='max'` in order to do early stopping based on the highest "
                "metric value, or pass `mode='min'` in order to use the lowest value."
            )
        if direction == "min":
            self.monitor_op = lambda a, b: a < b
            self.min_delta = -abs(self.min_delta)
            self.best = math.inf
        else:
            self.monitor_op = lambda a, b: a > b
            self.min_delta = abs(self.min_delta)
            self.best = -math.inf

    def on_train_begin(self, logs: dict | None = None) -> None:
        # The callback can be reused for several fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()  # delayed until the model's metrics exist
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the current weights are the best seen.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Only restart the count when both the baseline and the previous best are beaten.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_message(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_message(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: dict | None) -> float | None:
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return value

    def _is_improvement(self, monitor_value: float, reference_value: float) -> bool:
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
