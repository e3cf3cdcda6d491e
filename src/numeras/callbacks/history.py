"""The callback behind the object ``Model.fit`` returns."""

from __future__ import annotations

from typing import Any

from numeras.callbacks.callback import Callback

__all__ = ["History", "HistoryDict"]

# Metric names Keras 2 logged (and "Deep Learning with Python"'s first edition reads) paired with
# the names Keras 3 logs for the same metric.
_RENAMED_KEYS = {
    "acc": "accuracy",
    "mean_absolute_error": "mae",
    "mean_squared_error": "mse",
    "mean_absolute_percentage_error": "mape",
    "mean_squared_logarithmic_error": "msle",
}
_OTHER_NAME = {**_RENAMED_KEYS, **{modern: old for old, modern in _RENAMED_KEYS.items()}}


class HistoryDict(dict):
    """``History.history``: a plain dict, except that a missing key raises a KeyError that names
    the key that was logged instead, e.g. ``history['acc']`` when the model logged ``accuracy``
    (Keras 2's name for it), or ``history['val_mean_absolute_error']`` for ``val_mae``."""

    def __missing__(self, key: Any) -> Any:
        if isinstance(key, str):
            prefix, name = ("val_", key[4:]) if key.startswith("val_") else ("", key)
            other = _OTHER_NAME.get(name)
            if other is not None and prefix + other in self:
                raise KeyError(
                    f"{key!r}: this model logged the metric as {prefix + other!r} ({name!r} is "
                    f"{'Keras 2' if name in _RENAMED_KEYS else 'Keras 3'}'s name); read "
                    f"history.history[{prefix + other!r}]."
                )
        raise KeyError(f"{key!r}: the logged keys are {sorted(self)}.")


class History(Callback):
    """Records each epoch's logs; ``fit`` adds one automatically and returns it.

    Attributes:
        history: ``{name: [value of epoch 0, value of epoch 1, ...]}`` for every key of the
            epoch-end logs, e.g. ``history.history["val_loss"]``. A key that first appears in a
            later epoch has a shorter list.
        epoch: The epoch indices recorded by the current ``fit`` call.
        params: The run's parameters (``verbose``, ``epochs``, ``steps``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = HistoryDict()
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        # Re-attached every epoch so the model points at the latest state even when the user
        # passed their own History.
        if self.model is not None:
            self.model.history = self

    def plot(self, path: Any = None, metrics: Any = None, **kwargs: Any) -> Any:
        """Draw the training and validation curves (needs matplotlib); saved as a PNG when
        ``path`` is given. See ``numeras.callbacks.plot_history``."""
        from numeras.callbacks.history_plot import plot_history

        return plot_history(self, path=path, metrics=metrics, **kwargs)
