"""The callback behind the object ``Model.fit`` returns."""

from __future__ import annotations

from typing import Any

from numeras.callbacks.callback import Callback

__all__ = ["History"]


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
        self.history: dict[str, list[Any]] = {}
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
