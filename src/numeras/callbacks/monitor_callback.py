"""What the callbacks that watch a metric share: reading it from the logs, and deciding whether
a new value improves on the best one (lower for losses, higher for accuracies)."""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

from numeras.callbacks.callback import Callback

__all__ = ["MonitorCallback", "infer_direction", "print_message"]


def print_message(message: str) -> None:
    """Print a callback's message on stdout, as Keras's ``io_utils.print_msg``."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def _named_metrics(model: Any) -> list[tuple[str, Any]]:
    named = []
    for metric in getattr(model, "metrics", None) or []:
        if hasattr(metric, "named_metrics"):
            named.extend(metric.named_metrics())
        else:
            named.append((getattr(metric, "name", ""), metric))
    return named


def infer_direction(model: Any, monitor: str) -> str | None:
    """``"min"`` or ``"max"`` for the quantity ``monitor`` (``val_`` prefix ignored): losses
    decrease; a metric's direction comes from the metric object (``_direction``, ``"up"`` for
    accuracies, ``"down"`` for errors). ``None`` when it cannot be told."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for reported, metric in _named_metrics(model):
        if name in (reported, getattr(metric, "name", None)):
            direction = getattr(metric, "_direction", None)
            if direction is not None:
                return "max" if direction == "up" else "min"
    return None


class MonitorCallback(Callback):
    """Base class of callbacks that monitor a quantity (``ModelCheckpoint``...).

    Args:
        monitor: the key of the logs to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (inferred from the metric: see
            ``infer_direction``; an unknown metric raises a ValueError asking for ``mode``).
        baseline: the initial best value (``None``: the first value seen improves).
        min_delta: the smallest change that counts as an improvement.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None, min_delta: float = 0) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=2
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Callable[[float, float], bool] | None = None

    def _set_monitor_op(self) -> None:
        direction = self.mode if self.mode != "auto" else infer_direction(self.model, self.monitor)
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor!r}, but numeras "
                "isn't able to automatically determine whether that metric should be maximized "
                "or minimized. Pass `mode='max'` in order to monitor based on the highest metric "
                "value, or pass `mode='min'` in order to use the lowest value."
            )
        if direction == "min":
            self.monitor_op = lambda a, b: a < b
            self.min_delta = -abs(self.min_delta)
            if self.best is None:
                self.best = math.inf
        else:
            self.monitor_op = lambda a, b: a > b
            self.min_delta = abs(self.min_delta)
            if self.best is None:
                self.best = -math.inf

    def _is_improvement(self, monitor_value: float, reference_value: float | None) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
