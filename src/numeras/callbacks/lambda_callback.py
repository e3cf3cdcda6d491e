"""Callbacks made from plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numeras.callbacks.callback import HOOK_NAMES, Callback

__all__ = ["LambdaCallback"]


class LambdaCallback(Callback):
    """A callback built from functions, for simple one-off actions.

    Each function is called the way ``CallbackList`` calls that hook:

    - ``on_epoch_begin(epoch, logs)`` and ``on_epoch_end(epoch, logs)``: two positional arguments;
    - ``on_train_begin(logs)`` and ``on_train_end(logs)``: one positional argument;
    - ``on_train_batch_begin(batch, logs=...)`` and ``on_train_batch_end(batch, logs=...)``: a
      positional ``batch`` and a keyword ``logs``.

    Any other hook of :class:`Callback` can be given by name in ``kwargs``, e.g.
    ``LambdaCallback(on_test_end=lambda logs: ...)``.

    Example::

        print_batch = LambdaCallback(on_train_batch_begin=lambda batch, logs: print(batch))
    """

    def __init__(
        self,
        on_epoch_begin: Callable[..., Any] | None = None,
        on_epoch_end: Callable[..., Any] | None = None,
        on_train_begin: Callable[..., Any] | None = None,
        on_train_end: Callable[..., Any] | None = None,
        on_train_batch_begin: Callable[..., Any] | None = None,
        on_train_batch_end: Callable[..., Any] | None = None,
        **kwargs: Callable[..., Any],
    ) -> None:
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOK_NAMES))
        if unknown:
            raise TypeError(
                f"LambdaCallback got unexpected keyword argument(s) {unknown}. Expected hook names "
                f"of Callback: {', '.join(HOOK_NAMES)}. Check the spelling."
            )
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(
                    f"LambdaCallback: `{name}` must be a function, received {type(function).__name__} "
                    f"({function!r}). Pass e.g. `{name}=lambda ...: ...`."
                )
            # An instance attribute shadows the no-op method; CallbackList sees it as overridden.
            setattr(self, name, function)
