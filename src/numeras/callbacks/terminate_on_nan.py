"""Stop training as soon as the loss stops being a finite number."""

from __future__ import annotations

import math
import sys
from typing import Any

from numeras.callbacks.callback import Callback

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Terminates training when a batch's loss is NaN or infinite.

    By default it prints ``Batch 12: Invalid loss, terminating training`` and sets
    ``model.stop_training = True``, so ``fit`` finishes the epoch and calls every callback's
    ``on_train_end``. With ``raise_error=True`` it raises ``RuntimeError`` at once instead.
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        try:
            finite = math.isfinite(float(loss))
        except (TypeError, ValueError):
            return
        if finite:
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                "Terminating training immediately."
            )
        sys.stdout.write(f"Batch {batch}: Invalid loss, terminating training\n")
        sys.stdout.flush()
        if self.model is None:
            raise RuntimeError(
                "TerminateOnNaN found an invalid loss but has no model to stop: pass it to "
                "`model.fit(callbacks=[...])` or call `set_model(model)` first."
            )
        self.model.stop_training = True
