"""One object that calls every callback of a run, in order, at each moment of the loop."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from numeras.callbacks.callback import HOOK_NAMES, Callback, overrides_hook
from numeras.callbacks.history import History
from numeras.callbacks.progbar_logger import ProgbarLogger

__all__ = ["CallbackList"]


def _flatten_callbacks(callbacks: Any) -> list[Callback]:
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            "`callbacks` must be a list of numeras.callbacks.Callback instances, received "
            f"{type(callbacks).__name__}. Pass e.g. `callbacks=[History()]`."
        )
    flat: list[Callback] = []
    for index, item in enumerate(callbacks):
        if isinstance(item, (list, tuple)):
            flat.extend(_flatten_callbacks(item))
        elif isinstance(item, Callback):
            flat.append(item)
        else:
            raise TypeError(
                f"`callbacks[{index}]` must be a numeras.callbacks.Callback instance, received "
                f"{type(item).__name__} ({item!r}). Subclass Callback, or wrap a function in "
                "LambdaCallback(on_epoch_end=...)."
            )
    return flat


def _pythonify_logs(logs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Logs with keys sorted and values as Python floats (NumPy scalars, 0-d arrays and tensors
    converted; anything float() refuses kept as is), nested dicts merged in, as Keras does."""
    if not logs:
        return {}
    result: dict[str, Any] = {}
    for key in sorted(logs):
        value = logs[key]
        if isinstance(value, Mapping):
            result.update(_pythonify_logs(value))
            continue
        if type(value) is not float:
            try:
                value = float(value)
            except (TypeError, ValueError):
                pass
        result[key] = value
    return result


class CallbackList(Callback):
    """Calls a list of callbacks together, so a training loop has one object to notify.

    Args:
        callbacks: ``Callback`` instances (a list, possibly nested, or a single one), called in
            order.
        add_history: Append a :class:`History` unless the list already has one.
        add_progbar: Append a :class:`ProgbarLogger` unless the list already has one.
        model: The model the callbacks act on; becomes every callback's ``self.model``.
        **params: Run parameters given to every callback's ``set_params``, e.g.
            ``verbose=1, epochs=5, steps=469``.

    A hook no callback overrides is skipped without touching the callbacks or the logs, so a
    ``fit`` whose callbacks only act at epoch boundaries pays well under a microsecond per batch.
    Logs reach callbacks with sorted keys and Python float values, like Keras 3; the predict
    batch hooks get their logs (the batch's outputs) unchanged.
    """

    def __init__(
        self,
        callbacks: Iterable[Callback] | Callback | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks: list[Callback] = _flatten_callbacks(callbacks)
        self._history: History | None = None
        self._progbar: ProgbarLogger | None = None
        self._add_default_callbacks(add_history, add_progbar)
        self._listeners: dict[str, tuple[Callback, ...]] = {}
        self._refresh_listeners()
        self.set_model(model)
        self.set_params(params)

    # -- configuration --------------------------------------------------------------------
    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        for callback in self.callbacks:
            if isinstance(callback, ProgbarLogger):
                self._progbar = callback
            elif isinstance(callback, History):
                self._history = callback
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def _refresh_listeners(self) -> None:
        """Which callbacks do something in each hook; the hooks consult only these."""
        self._listeners = {
            name: tuple(cb for cb in self.callbacks if overrides_hook(cb, name)) for name in HOOK_NAMES
        }
        for name, listeners in self._listeners.items():
            setattr(self, "_" + name, listeners)

    def listeners(self, hook_name: str) -> tuple[Callback, ...]:
        """The callbacks whose ``hook_name`` is not the base class's no-op.

        A training loop may test ``callbacks.listeners("on_train_batch_end")`` to skip building
        per-batch logs nobody reads.
        """
        if hook_name not in self._listeners:
            raise ValueError(f"Unknown callback hook {hook_name!r}; expected one of {', '.join(HOOK_NAMES)}.")
        return self._listeners[hook_name]

    def append(self, callback: Callback) -> None:
        """Add a callback at the end, giving it this list's model and params."""
        (callback,) = _flatten_callbacks([callback])
        self.callbacks.append(callback)
        if isinstance(callback, History) and self._history is None:
            self._history = callback
        if isinstance(callback, ProgbarLogger) and self._progbar is None:
            self._progbar = callback
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self._refresh_listeners()

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)
        # A callback may replace its hooks when configured; look again.
        self._refresh_listeners()

    def set_model(self, model: Any) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)
        self._refresh_listeners()

    # -- run-level hooks ------------------------------------------------------------------
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._on_train_begin:
            logs = _pythonify_logs(logs)
            for callback in self._on_train_begin:
                callback.on_train_begin(logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._on_train_end:
            logs = _pythonify_logs(logs)
            for callback in self._on_train_end:
                callback.on_train_end(logs)

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._on_test_begin:
            logs = _pythonify_logs(logs)
            for callback in self._on_test_begin:
                callback.on_test_begin(logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._on_test_end:
            logs = _pythonify_logs(logs)
            for callback in self._on_test_end:
                callback.on_test_end(logs)

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._on_predict_begin:
            logs = logs or {}
            for callback in self._on_predict_begin:
                callback.on_predict_begin(logs)

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._on_predict_end:
            logs = logs or {}
            for callback in self._on_predict_end:
                callback.on_predict_end(logs)

    # -- epoch hooks ----------------------------------------------------------------------
    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._on_epoch_begin:
            logs = _pythonify_logs(logs)
            for callback in self._on_epoch_begin:
                callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._on_epoch_end:
            # One dict shared by all callbacks, so entries one adds (a learning rate, say) are
            # seen by those after it, History included.
            logs = _pythonify_logs(logs)
            for callback in self._on_epoch_end:
                callback.on_epoch_end(epoch, logs)

    # -- batch hooks (run once per batch: keep the no-listener path to one test) ----------
    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._on_train_batch_begin:
            logs = _pythonify_logs(logs)
            for callback in self._on_train_batch_begin:
                callback.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._on_train_batch_end:
            logs = _pythonify_logs(logs)
            for callback in self._on_train_batch_end:
                callback.on_train_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._on_test_batch_begin:
            logs = _pythonify_logs(logs)
            for callback in self._on_test_batch_begin:
                callback.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._on_test_batch_end:
            logs = _pythonify_logs(logs)
            for callback in self._on_test_batch_end:
                callback.on_test_batch_end(batch, logs=logs)

    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._on_predict_batch_begin:
            logs = logs or {}
            for callback in self._on_predict_batch_begin:
                callback.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._on_predict_batch_end:
            logs = logs or {}
            for callback in self._on_predict_batch_end:
                callback.on_predict_batch_end(batch, logs=logs)

    # Legacy aliases: the base class's train-batch hooks forward to these on each callback.
    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._on_batch_begin:
            logs = _pythonify_logs(logs)
            for callback in self._on_batch_begin:
                callback.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._on_batch_end:
            logs = _pythonify_logs(logs)
            for callback in self._on_batch_end:
                callback.on_batch_end(batch, logs=logs)
