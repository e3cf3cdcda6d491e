"""LambdaCallback and TerminateOnNaN."""

from __future__ import annotations

import math

import pytest
from fake_training_loop import FakeModel, fake_fit

from numeras.callbacks import CallbackList, LambdaCallback, TerminateOnNaN


def test_lambda_callback_calls_each_function_with_keras_arguments(model):
    calls = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, round(logs["loss"], 6))),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: calls.append(("train_end", round(logs["loss"], 6))),
        on_test_end=lambda logs: calls.append(("test_end", logs["loss"])),
    )
    fake_fit(model, [cb], epochs=1, steps=2, val_steps=1, batch_logs=lambda e, s: {"loss": 0.5 + s})
    assert calls == [
        ("train_begin", {}),
        ("epoch_begin", 0),
        ("batch_begin", 0),
        ("batch_end", 0, 0.5),
        ("batch_begin", 1),
        ("batch_end", 1, 1.5),
        ("test_end", 0.25),
        ("epoch_end", 0, ["loss", "val_accuracy", "val_loss"]),
        ("train_end", 1.5),
    ]


def test_lambda_callback_only_listens_where_given():
    cbs = CallbackList([LambdaCallback(on_epoch_end=lambda epoch, logs: None)])
    assert cbs.listeners("on_train_batch_end") == ()
    assert len(cbs.listeners("on_epoch_end")) == 1


def test_lambda_callback_errors_name_the_argument():
    with pytest.raises(TypeError, match="on_epoch_ends"):
        LambdaCallback(on_epoch_ends=lambda epoch, logs: None)
    with pytest.raises(TypeError, match="`on_epoch_end` must be a function"):
        LambdaCallback(on_epoch_end=3)


def test_lambda_callback_can_change_the_model(model):
    def decay(epoch, logs):
        model.optimizer.learning_rate *= 0.5

    fake_fit(model, [LambdaCallback(on_epoch_end=decay)], epochs=3, steps=1)
    assert model.optimizer.learning_rate == pytest.approx(0.001 / 8)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_terminate_on_nan_stops_training(model, capsys, bad):
    def logs(epoch, step):
        return {"loss": bad if (epoch, step) == (1, 2) else 0.5}

    history = fake_fit(model, [TerminateOnNaN()], epochs=4, steps=5, batch_logs=logs)
    assert model.stop_training is True
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"
    # The loop stopped in epoch 1 and still closed that epoch, as Keras does.
    assert history.epoch == [0, 1]


def test_terminate_on_nan_ignores_finite_and_missing_loss(model, capsys):
    fake_fit(model, [TerminateOnNaN()], epochs=2, steps=3, batch_logs=lambda e, s: {"accuracy": math.nan})
    assert model.stop_training is False
    assert capsys.readouterr().out == ""


def test_terminate_on_nan_can_raise():
    cb = TerminateOnNaN(raise_error=True)
    cb.set_model(FakeModel())
    with pytest.raises(RuntimeError, match="batch 4"):
        cb.on_train_batch_end(4, {"loss": math.nan})
