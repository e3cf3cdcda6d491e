"""Callback, CallbackList and History, driven by a fake loop in Keras 3's call order."""

from __future__ import annotations

import numpy as np
import pytest
from fake_training_loop import FakeModel, fake_evaluate, fake_fit, fake_predict

from numeras import Tensor
from numeras.callbacks import Callback, CallbackList, History, LambdaCallback, ProgbarLogger, TerminateOnNaN
from numeras.callbacks.callback import HOOK_NAMES, overrides_hook


class Recorder(Callback):
    """Records every hook call, overriding all of them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []


for _name in HOOK_NAMES:
    if _name.endswith(("begin", "end")) and ("batch" in _name or "epoch" in _name):

        def _hook(self, index, logs=None, _name=_name):
            self.calls.append((_name, index, logs))

    else:

        def _hook(self, logs=None, _name=_name):
            self.calls.append((_name, logs))

    setattr(Recorder, _name, _hook)


def names(calls):
    return [c[0] for c in calls]


def test_fit_calls_hooks_in_keras_order(model):
    rec = Recorder()
    fake_fit(model, [rec], epochs=2, steps=2, val_steps=1)
    epoch = [
        "on_epoch_begin",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_test_begin",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_test_end",
        "on_epoch_end",
    ]
    assert names(rec.calls) == ["on_train_begin", *epoch, *epoch, "on_train_end"]
    # A subclass overriding on_train_batch_* is not also sent the legacy aliases by the list.
    assert "on_batch_begin" not in names(rec.calls)
    assert [c[1] for c in rec.calls if c[0] == "on_epoch_end"] == [0, 1]
    assert [c[1] for c in rec.calls if c[0] == "on_train_batch_end"] == [0, 1, 0, 1]


def test_evaluate_and_predict_sequences(model):
    rec = Recorder()
    fake_evaluate(model, [rec], steps=2)
    assert names(rec.calls) == [
        "on_test_begin",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_test_end",
    ]
    rec.calls.clear()
    fake_predict(model, [rec], steps=1)
    assert names(rec.calls) == [
        "on_predict_begin",
        "on_predict_batch_begin",
        "on_predict_batch_end",
        "on_predict_end",
    ]
    # Predict logs carry the outputs untouched.
    assert rec.calls[2][2] == {"outputs": [0]}


def test_history_records_epoch_logs_and_is_set_on_model(model):
    history = fake_fit(model, epochs=3, steps=4, val_steps=2)
    assert isinstance(history, History)
    assert model.history is history
    assert history.epoch == [0, 1, 2]
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"] == pytest.approx([1.0 + 0.03, 0.5 + 0.03, 1 / 3 + 0.03])
    assert history.history["accuracy"] == pytest.approx([0.5, 0.6, 0.7])
    assert history.history["val_loss"] == [0.25, 0.25, 0.25]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 4}
    assert all(type(v) is float for values in history.history.values() for v in values)


def test_history_keeps_late_keys_and_resets_epochs_per_run():
    history = History()
    history.set_model(FakeModel())
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 0.5})
    history.on_epoch_end(1, {"loss": 0.3, "val_loss": 0.4})
    assert history.history == {"loss": [0.5, 0.3], "val_loss": [0.4]}
    history.on_train_begin()
    assert history.epoch == [] and history.history["loss"] == [0.5, 0.3]


def test_user_history_is_reused_not_duplicated(model):
    mine = History()
    cbs = CallbackList([mine], add_history=True, add_progbar=True, model=model, verbose=1, epochs=1, steps=2)
    assert sum(isinstance(c, History) for c in cbs.callbacks) == 1
    assert sum(isinstance(c, ProgbarLogger) for c in cbs.callbacks) == 1
    assert model.history is mine
    # Defaults go after the user's callbacks, so History sees what they add to the logs.
    assert isinstance(cbs.callbacks[-1], ProgbarLogger)


def test_entries_added_at_epoch_end_reach_history(model):
    def add_lr(epoch, logs):
        logs["learning_rate"] = model.optimizer.learning_rate

    history = fake_fit(model, [LambdaCallback(on_epoch_end=add_lr)], epochs=2, steps=1)
    assert history.history["learning_rate"] == [0.001, 0.001]


def test_params_and_model_reach_every_callback(model):
    a, b = Recorder(), Recorder()
    cbs = CallbackList([a, [b]], model=model, verbose=2, epochs=3, steps=10)
    assert cbs.callbacks == [a, b]
    assert a.model is model and b.model is model
    assert a.params == b.params == {"verbose": 2, "epochs": 3, "steps": 10}
    c = Recorder()
    cbs.append(c)
    assert c.model is model and c.params["epochs"] == 3
    cbs.on_epoch_begin(0)
    assert names(c.calls) == ["on_epoch_begin"]


def test_logs_become_sorted_python_floats():
    rec = Recorder()
    cbs = CallbackList([rec])
    cbs.on_train_batch_end(0, {"loss": np.float32(0.5), "accuracy": Tensor(np.array(0.25, dtype="float32"))})
    cbs.on_epoch_end(0, {"val_loss": np.float64(1.5), "loss": 2, "nested": {"extra": np.float32(3)}})
    cbs.on_train_batch_begin(1)
    batch_logs = rec.calls[0][2]
    assert list(batch_logs) == ["accuracy", "loss"]
    assert all(type(v) is float for v in batch_logs.values())
    assert rec.calls[1][2] == {"extra": 3.0, "loss": 2.0, "val_loss": 1.5}
    assert rec.calls[2][2] == {}


def test_unused_hooks_are_skipped(model):
    class EpochOnly(Callback):
        def __init__(self):
            super().__init__()
            self.epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            self.epochs += 1

    cbs = CallbackList([EpochOnly()], add_history=True, model=model, verbose=0, epochs=1, steps=1)
    for hook in ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_end", "on_predict_batch_end"):
        assert cbs.listeners(hook) == ()
    assert len(cbs.listeners("on_epoch_end")) == 2  # EpochOnly and History
    assert cbs.listeners("on_train_begin") == (cbs.callbacks[1],)  # History resets its epochs

    # Nobody reads batch logs: a bad value is never even converted.
    cbs.on_train_batch_end(0, {"loss": object()})


def test_override_detection_covers_instances_and_legacy_aliases():
    assert not overrides_hook(Callback(), "on_train_batch_end")
    nan = TerminateOnNaN()  # overrides only the legacy on_batch_end
    assert overrides_hook(nan, "on_train_batch_end") and overrides_hook(nan, "on_batch_end")
    assert not overrides_hook(nan, "on_train_batch_begin")
    lam = LambdaCallback(on_train_batch_begin=lambda batch, logs: None)
    assert overrides_hook(lam, "on_train_batch_begin") and not overrides_hook(lam, "on_epoch_end")


def test_base_class_forwards_train_batch_hooks_to_legacy_aliases(model):
    class Legacy(Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_batch_begin(self, batch, logs=None):
            self.seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            self.seen.append(("end", batch, logs["loss"]))

    legacy = Legacy()
    fake_fit(model, [legacy], epochs=1, steps=2, batch_logs=lambda e, s: {"loss": float(s)})
    assert legacy.seen == [("begin", 0), ("end", 0, 0.0), ("begin", 1), ("end", 1, 1.0)]
    # The list's own legacy entry points still reach them.
    CallbackList([legacy]).on_batch_end(7, {"loss": 3.0})
    assert legacy.seen[-1] == ("end", 7, 3.0)


def test_callback_base_attributes(model):
    cb = Callback()
    assert cb.model is None and cb.params is None
    cb.set_model(model)
    cb.set_params({"epochs": 1})
    assert cb.model is model and cb.params == {"epochs": 1}
    for name in HOOK_NAMES:  # every hook exists and does nothing by default
        hook = getattr(cb, name)
        if "batch" in name or "epoch" in name:
            assert hook(0, {}) is None
        else:
            assert hook({}) is None


def test_set_model_none_is_ignored():
    rec = Recorder()
    cbs = CallbackList([rec])
    cbs.set_model(None)
    assert rec.model is None


@pytest.mark.parametrize("bad", [object(), "History", lambda logs: None])
def test_non_callbacks_are_rejected_with_a_clear_error(bad):
    with pytest.raises(TypeError, match=r"callbacks\[0\].*Callback"):
        CallbackList([bad])


def test_non_list_callbacks_rejected():
    with pytest.raises(TypeError, match="`callbacks` must be a list"):
        CallbackList({"a": History()})
    assert len(CallbackList(History()).callbacks) == 1


def test_unknown_hook_name_in_listeners():
    with pytest.raises(ValueError, match="on_epoch_ends"):
        CallbackList().listeners("on_epoch_ends")
