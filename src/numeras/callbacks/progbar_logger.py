"""The callback that prints fit/evaluate/predict progress, in Keras 3's format."""

from __future__ import annotations

from typing import Any

from numeras.callbacks.callback import Callback
from numeras.utils.progbar import Progbar

__all__ = ["ProgbarLogger"]


class _EveryName:
    """A container holding every metric name."""

    def __contains__(self, name: object) -> bool:
        return True


_EVERY_NAME = _EveryName()


class ProgbarLogger(Callback):
    """Prints metrics to stdout: ``Epoch 1/5`` then
    ``469/469 ━━━━━━━━━━━━━━━━━━━━ 2s 4ms/step - accuracy: 0.9254 - loss: 0.2570``.

    ``fit``, ``evaluate`` and ``predict`` add one themselves when ``verbose`` is not 0. It reads
    ``verbose`` (0, 1, 2 or ``"auto"`` = 1), ``epochs`` and ``steps`` (batches per epoch, ``None``
    when unknown) from the run's params. Validation inside ``fit`` is silent; its ``val_*``
    results appear on the epoch's line.

    Args:
        count_mode: Accepted for compatibility with Keras 2 code (``"steps"`` or ``"samples"``);
            progress is always counted in steps, as in Keras 3.
        stateful_metrics: Accepted for compatibility with Keras 2 code and ignored: the logs are
            already running means, so every metric is shown as given.
    """

    def __init__(self, count_mode: str = "steps", stateful_metrics: Any = None) -> None:
        super().__init__()
        if count_mode not in ("steps", "samples"):
            raise ValueError(
                f"ProgbarLogger: `count_mode` must be 'steps' or 'samples', received {count_mode!r}."
            )
        self.seen = 0
        self.progbar: Progbar | None = None
        self.target: int | None = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        if verbose == "auto":
            verbose = 1
        if verbose not in (0, 1, 2) or isinstance(verbose, bool):
            raise ValueError(
                f"ProgbarLogger: params['verbose'] must be 0, 1, 2 or 'auto', received {verbose!r}."
            )
        self.verbose = verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        # Validation runs through the same callbacks inside fit; keep it off the screen.
        self._called_in_fit = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        # So that reusing this logger for a later evaluate() prints again.
        self._called_in_fit = False

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            from numeras.backend import config

            config.print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        # The logs hold the batch's predictions, not metrics.
        self._update_progbar(batch, None)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._finalize_progbar(logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        self._finalize_progbar(logs)

    def _reset_progbar(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> None:
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step")
            # Every log entry is already the epoch's running mean (as in tf.keras, unlike Keras 3
            # which averages the averages again mid-epoch): display each as given.
            self.progbar.stateful_metrics = _EVERY_NAME

    def _update_progbar(self, batch: int, logs: dict[str, Any] | None) -> None:
        if self.progbar is None:
            self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, logs, finalize=False)

    def _finalize_progbar(self, logs: dict[str, Any] | None) -> None:
        if self.progbar is None:
            self._maybe_init_progbar()
        if self.target is None:
            # Unknown length: the count reached is the length.
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, logs, finalize=True)
