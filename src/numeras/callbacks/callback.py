"""The base class every callback subclasses: one no-op method per moment of fit/evaluate/predict."""

from __future__ import annotations

from typing import Any

__all__ = ["Callback", "HOOK_NAMES"]

HOOK_NAMES: tuple[str, ...] = (
    "on_batch_begin",
    "on_batch_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)
"""Every hook a callback can override, as Keras 3 names them."""


class Callback:
    """Base class used to build new callbacks.

    Pass callbacks to ``Model.fit``, ``evaluate`` or ``predict`` and override the ``on_*`` methods
    for the moments you care about. ``self.model`` is the model being run and ``self.params`` a
    dict such as ``{"verbose": 1, "epochs": 5, "steps": 469}``.

    ``logs`` dicts hold Python floats: in batch hooks the running means of the epoch so far, at
    epoch end the epoch's results plus ``val_*`` entries when there is validation data.

    Example::

        class PrintLoss(Callback):
            def on_epoch_end(self, epoch, logs=None):
                print(f"epoch {epoch}: loss {logs['loss']:.4f}")
    """

    def __init__(self) -> None:
        self.params: dict[str, Any] | None = None
        self._model: Any = None

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self._model = model

    @property
    def model(self) -> Any:
        """The model these callbacks are attached to (``None`` before ``set_model``)."""
        return self._model

    @model.setter
    def model(self, model: Any) -> None:
        # tf.keras let callbacks assign ``self.model``; keep that code working.
        self._model = model

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """A backwards compatibility alias for ``on_train_batch_begin``."""

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """A backwards compatibility alias for ``on_train_batch_end``."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of an epoch of ``fit`` (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of an epoch of ``fit``.

        ``logs`` holds the epoch's metric results, e.g. ``{'accuracy': 0.97, 'loss': 0.1}``, plus
        ``val_``-prefixed results when validation ran this epoch. Entries a callback adds are seen
        by the callbacks after it (``History`` comes last).
        """

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called before each training batch of ``fit`` (``batch`` counts from 0 in each epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after each training batch; ``logs`` holds the epoch's running metric means."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called before each batch of ``evaluate``, and of validation inside ``fit``."""

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after each batch of ``evaluate``, and of validation inside ``fit``."""

    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called before each batch of ``predict``."""

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after each batch of ``predict``; ``logs`` is ``{'outputs': batch_predictions}``."""

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called once at the end of ``fit``; ``logs`` are the last epoch's results."""

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of ``evaluate``, and of each validation run inside ``fit``."""

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of ``evaluate``; ``logs`` are its final metric results."""

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of ``predict``."""


def overrides_hook(callback: Callback, hook_name: str) -> bool:
    """Whether ``callback`` does something in ``hook_name``: its class or the instance itself
    (as ``LambdaCallback`` does) replaces the base class's no-op.

    The train-batch hooks also count as overridden when only their legacy aliases
    (``on_batch_begin``/``on_batch_end``) are, since the base class forwards to them.
    """
    if hook_name in getattr(callback, "__dict__", ()):
        return True
    if getattr(type(callback), hook_name, None) is not getattr(Callback, hook_name):
        return True
    if hook_name == "on_train_batch_begin":
        return overrides_hook(callback, "on_batch_begin")
    if hook_name == "on_train_batch_end":
        return overrides_hook(callback, "on_batch_end")
    return False
