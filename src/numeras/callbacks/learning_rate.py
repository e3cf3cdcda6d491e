"""Callbacks that change the optimizer's learning rate between epochs:
``LearningRateScheduler`` (from a function of the epoch) and ``ReduceLROnPlateau`` (when a
metric stops improving). Both record the rate in the epoch logs as ``learning_rate``."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

from numeras.callbacks.callback import Callback
from numeras.callbacks.monitor_callback import print_message

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]


def _optimizer_of(callback: Callback) -> Any:
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{type(callback).__name__}: the model's optimizer must have a `learning_rate` "
            "attribute; compile the model with an optimizer first."
        )
    return optimizer


def current_learning_rate(optimizer: Any) -> float:
    """The optimizer's learning rate now, as a Python float."""
    value = optimizer.learning_rate
    value = getattr(value, "data", value)
    return float(value)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``.

    ``schedule`` receives the epoch index (from 0) and the current rate and returns the new rate
    (a float); a function of the epoch alone is accepted too.

    Example::

        def scheduler(epoch, lr):
            return lr if epoch < 10 else lr * math.exp(-0.1)

        model.fit(x, y, epochs=15, callbacks=[LearningRateScheduler(scheduler)])
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = _optimizer_of(self)
        try:
            learning_rate = self.schedule(epoch, current_learning_rate(optimizer))
        except TypeError:  # the old API: schedule(epoch)
            learning_rate = self.schedule(epoch)
        if hasattr(learning_rate, "dtype") and getattr(learning_rate, "ndim", 1) == 0:
            learning_rate = float(learning_rate)
        if not isinstance(learning_rate, float):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate!r}"
            )
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            print_message(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = current_learning_rate(_optimizer_of(self))


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for
    ``patience`` epochs (``new_lr = max(lr * factor, min_lr)``).

    Args:
        monitor: the quantity to watch.
        factor: the reduction factor (< 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints a message at each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (maximise when ``"acc"`` is in the name).
        min_delta: the threshold for an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the lower bound of the rate.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected argument(s) {sorted(kwargs)}.")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0
        self.best = 0.0
        self.mode = mode
        self.monitor_op: Callable[[float, float], bool] | None = None
        self._reset()

    def _reset(self) -> None:
        if self.mode not in ("auto", "min", "max"):
            warnings.warn(f"Learning rate reduction mode {self.mode} is unknown, fallback to auto mode.", stacklevel=2)
            self.mode = "auto"
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: a < b - self.min_delta
            self.best = math.inf
        else:
            self.monitor_op = lambda a, b: a > b + self.min_delta
            self.best = -math.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs if logs is not None else {}
        optimizer = _optimizer_of(self)
        logs["learning_rate"] = current_learning_rate(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = current_learning_rate(optimizer)
                # Compared in float32, the dtype of the rate itself.
                if old_lr > float(_as_float32(self.min_lr)):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print_message(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


def _as_float32(value: float) -> Any:
    from numeras.backend import xp

    return xp.float32(value)
