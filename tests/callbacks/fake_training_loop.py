"""A fake model and fake fit/evaluate/predict loops calling callback hooks in Keras 3's order."""

from __future__ import annotations

from numeras.callbacks import CallbackList


class FakeOptimizer:
    def __init__(self) -> None:
        self.learning_rate = 0.001


class FakeModel:
    def __init__(self) -> None:
        self.stop_training = False
        self.optimizer = FakeOptimizer()
        self._weights = [0.0]

    def get_weights(self):
        return list(self._weights)

    def set_weights(self, weights):
        self._weights = list(weights)


class FakeClock:
    def __init__(self, start: float = 500.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def fake_fit(
    model,
    callbacks=None,
    epochs=2,
    steps=5,
    verbose=0,
    val_steps=0,
    batch_logs=None,
    clock=None,
    seconds_per_step=0.004,
):
    """Keras 3's ``fit`` call sequence with made-up metrics.

    ``batch_logs(epoch, step)`` gives the logs after each batch (running means); the epoch-end
    logs are the last batch's plus ``val_*`` when ``val_steps``.
    """
    if batch_logs is None:

        def batch_logs(epoch, step):
            return {"loss": 1.0 / (epoch + 1) + 0.01 * step, "accuracy": 0.5 + 0.1 * epoch}

    cbs = CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
    )
    model.stop_training = False
    cbs.on_train_begin()
    training_logs = None
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        logs = {}
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            if clock is not None:
                clock.now += seconds_per_step
            logs = batch_logs(epoch, step)
            cbs.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        epoch_logs = dict(logs)
        if val_steps:
            val_logs = fake_evaluate(model, callbacks=cbs, steps=val_steps)
            epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
        cbs.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if model.stop_training:
            break
    cbs.on_train_end(training_logs)
    return model.history


def fake_evaluate(model, callbacks=None, steps=3, verbose=0, clock=None, seconds_per_step=0.002):
    """Keras 3's ``evaluate``: reuses fit's CallbackList when given one (validation)."""
    if isinstance(callbacks, CallbackList):
        cbs = callbacks
    else:
        cbs = CallbackList(
            callbacks, add_progbar=verbose != 0, model=model, verbose=verbose, epochs=1, steps=steps
        )
    cbs.on_test_begin()
    logs = {}
    for step in range(steps):
        cbs.on_test_batch_begin(step)
        if clock is not None:
            clock.now += seconds_per_step
        logs = {"loss": 0.25, "accuracy": 0.875}
        cbs.on_test_batch_end(step, logs)
    cbs.on_test_end(logs)
    return logs


def fake_predict(model, callbacks=None, steps=3, verbose=0, clock=None, seconds_per_step=0.001):
    cbs = CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=1,
        steps=steps,
    )
    cbs.on_predict_begin()
    for step in range(steps):
        cbs.on_predict_batch_begin(step)
        if clock is not None:
            clock.now += seconds_per_step
        cbs.on_predict_batch_end(step, {"outputs": [step]})
    cbs.on_predict_end()
