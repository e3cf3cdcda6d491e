"""ProgbarLogger output for fit/evaluate/predict, on a terminal and off one."""

from __future__ import annotations

import re

import pytest
from fake_training_loop import fake_evaluate, fake_fit, fake_predict

from numeras.callbacks import ProgbarLogger

BAR = "━" * 20
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def mnist_logs(epoch, step):
    # Running means that end on Keras's example values at the last of 469 steps.
    return {"loss": 0.2570 + (468 - step) * 1e-4, "accuracy": 0.9254 - (468 - step) * 1e-4}


def test_fit_verbose_1_non_interactive_exact_lines(model, clock, non_interactive, capsys):
    fake_fit(model, epochs=2, steps=469, verbose=1, batch_logs=mnist_logs, clock=clock)
    out = capsys.readouterr().out
    line = f"469/469 {BAR} 2s 4ms/step - accuracy: 0.9254 - loss: 0.2570"
    assert out == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"
    assert "\r" not in out and "\b" not in out and "\x1b" not in out


def test_fit_verbose_1_non_interactive_generic_format(model, non_interactive, capsys):
    # Real clock: whatever the speed, the line has Keras's shape.
    fake_fit(model, epochs=1, steps=469, verbose=1, batch_logs=mnist_logs)
    out = capsys.readouterr().out
    assert re.fullmatch(
        rf"469/469 {BAR} \d+s \d+(s|ms|us)/step - accuracy: 0\.9254 - loss: 0\.2570\n", out
    ), out
    assert "Epoch" not in out  # a single epoch has no "Epoch 1/1" header, as in Keras


def test_fit_with_validation_shows_val_metrics_after_train_metrics(model, clock, non_interactive, capsys):
    fake_fit(model, epochs=1, steps=469, verbose=1, val_steps=79, batch_logs=mnist_logs, clock=clock)
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # validation is silent inside fit
    assert out.endswith(" - accuracy: 0.9254 - loss: 0.2570 - val_accuracy: 0.8750 - val_loss: 0.2500\n")


def test_fit_verbose_2_one_line_per_epoch(model, clock, non_interactive, capsys):
    fake_fit(model, epochs=2, steps=469, verbose=2, val_steps=3, batch_logs=mnist_logs, clock=clock)
    out = capsys.readouterr().out
    line = (
        "469/469 - 2s - 4ms/step - accuracy: 0.9254 - loss: 0.2570 - val_accuracy: 0.8750 - val_loss: 0.2500"
    )
    assert out == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"


def test_fit_verbose_2_same_on_a_terminal(model, clock, interactive, capsys):
    fake_fit(model, epochs=1, steps=469, verbose=2, batch_logs=mnist_logs, clock=clock)
    assert capsys.readouterr().out == "469/469 - 2s - 4ms/step - accuracy: 0.9254 - loss: 0.2570\n"


def test_verbose_0_prints_nothing(model, clock, interactive, capsys):
    fake_fit(model, epochs=2, steps=10, verbose=0, val_steps=2, clock=clock)
    fake_evaluate(model, steps=5, verbose=0, clock=clock)
    fake_predict(model, steps=5, verbose=0, clock=clock)
    assert capsys.readouterr().out == ""


def test_fit_interactive_updates_in_place(model, clock, interactive, capsys):
    fake_fit(model, epochs=1, steps=469, verbose=1, batch_logs=mnist_logs, clock=clock)
    out = capsys.readouterr().out
    frames = out.split("\r")
    assert frames[0] == ""  # everything is drawn with a leading carriage return
    # 469 steps * 4 ms with a 50 ms throttle: about one redraw in 13 steps.
    assert 30 <= len(frames) - 1 <= 45
    assert "\b" not in out and out.count("\n") == 1 and out.endswith("\n")
    first = ANSI.sub("", frames[1])
    assert re.match(rf"  1/469 {BAR} 1s \d+ms/step - accuracy: 0\.8786 - loss: 0\.3038", first), first
    last = ANSI.sub("", frames[-1])
    assert last.startswith(f"469/469 {BAR} 2s 4ms/step - accuracy: 0.9254 - loss: 0.2570")
    # Mid-epoch frames show the running means as logged, not a mean of them.
    mid = ANSI.sub("", frames[len(frames) // 2])
    step = int(mid.split("/")[0])
    expected = mnist_logs(0, step - 1)
    assert f"accuracy: {expected['accuracy']:.4f} - loss: {expected['loss']:.4f}" in mid


def test_evaluate_prints_one_bar(model, clock, non_interactive, capsys):
    fake_evaluate(model, steps=313, verbose=1, clock=clock)
    assert capsys.readouterr().out == f"313/313 {BAR} 1s 2ms/step - accuracy: 0.8750 - loss: 0.2500\n"


def test_predict_prints_a_bar_without_metrics(model, clock, non_interactive, capsys):
    fake_predict(model, steps=313, verbose=1, clock=clock, seconds_per_step=0.0012)
    assert capsys.readouterr().out == f"313/313 {BAR} 0s 1ms/step\n"


def test_unknown_number_of_steps_is_learned_from_the_first_epoch(model, clock, non_interactive, capsys):
    logger = ProgbarLogger()
    logger.set_params({"verbose": 1, "epochs": 2, "steps": None})
    logger.set_model(model)
    logger.on_train_begin()
    for epoch in range(2):
        logger.on_epoch_begin(epoch)
        for step in range(7):
            clock.now += 0.5
            logger.on_train_batch_end(step, {"loss": 0.5})
        logger.on_epoch_end(epoch, {"loss": 0.5})
    assert logger.target == 7
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"7/7 {BAR} 4s 500ms/step - loss: 0.5000"


def test_logger_after_fit_prints_for_evaluate(model, clock, non_interactive, capsys):
    logger = ProgbarLogger()
    fake_fit(model, [logger], epochs=1, steps=3, verbose=1, clock=clock)
    fake_evaluate(model, [logger], steps=3, verbose=1, clock=clock)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"3/3 {BAR}")


def test_verbose_auto_means_1_and_bad_values_are_named():
    logger = ProgbarLogger()
    logger.set_params({"verbose": "auto", "epochs": 1, "steps": 3})
    assert logger.verbose == 1
    with pytest.raises(ValueError, match="verbose"):
        logger.set_params({"verbose": 5, "epochs": 1, "steps": 3})
    with pytest.raises(ValueError, match="count_mode"):
        ProgbarLogger(count_mode="epochs")
