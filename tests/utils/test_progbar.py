"""numeras.utils.progbar.Progbar: Keras 3's format, throttling, and whole lines off a terminal."""

from __future__ import annotations

import re

import numpy as np
import pytest

from numeras.utils import progbar as progbar_module
from numeras.utils.progbar import Progbar, is_interactive_display, set_interactive_display

BAR = "━" * 20
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar_module, "_clock", fake)
    return fake


@pytest.fixture
def non_interactive():
    set_interactive_display(False)
    yield
    set_interactive_display(None)


@pytest.fixture
def interactive():
    set_interactive_display(True)
    yield
    set_interactive_display(None)


def run_steps(bar: Progbar, clock: FakeClock, steps: int, seconds_per_step: float, values=None) -> None:
    start = clock.now
    for step in range(1, steps + 1):
        clock.now = start + step * seconds_per_step
        bar.update(step, values(step) if values else None)


def test_non_interactive_writes_only_the_final_line(clock, non_interactive, capsys):
    bar = Progbar(469)
    run_steps(bar, clock, 469, 0.004, values=lambda s: [("accuracy", 0.9254), ("loss", 0.2570)])
    out = capsys.readouterr().out
    assert out == f"469/469 {BAR} 2s 4ms/step - accuracy: 0.9254 - loss: 0.2570\n"
    assert "\r" not in out and "\b" not in out and "\x1b" not in out


def test_stateless_metrics_are_step_weighted_means_and_final_value_is_exact(clock, non_interactive, capsys):
    bar = Progbar(4, verbose=1)
    bar.update(1, [("loss", 1.0)])
    bar.update(3, [("loss", 4.0)])  # stands for steps 2 and 3
    assert bar._values["loss"] == [9.0, 3]  # (1*1 + 4*2) over 3 steps
    bar.update(4, [("loss", 0.5)])  # the final value is displayed as given
    assert "loss: 0.5000" in capsys.readouterr().out


def test_stateful_metrics_are_displayed_as_given(clock, interactive, capsys):
    bar = Progbar(10, stateful_metrics=["acc"], interval=0.0)
    bar.update(1, [("acc", 0.2), ("loss", 1.0)])
    bar.update(2, [("acc", 0.6), ("loss", 3.0)])
    last = ANSI.sub("", capsys.readouterr().out.split("\r")[-1])
    assert "acc: 0.6000" in last and "loss: 2.0000" in last


def test_verbose_2_prints_one_summary_line(clock, non_interactive, capsys):
    bar = Progbar(469, verbose=2)
    run_steps(bar, clock, 469, 0.004, values=lambda s: {"accuracy": 0.9254, "loss": 0.257})
    assert capsys.readouterr().out == "469/469 - 2s - 4ms/step - accuracy: 0.9254 - loss: 0.2570\n"


def test_verbose_0_prints_nothing(clock, interactive, capsys):
    bar = Progbar(5, verbose=0)
    run_steps(bar, clock, 5, 0.1, values=lambda s: [("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_interactive_redraws_in_place_with_eta_and_colours(clock, interactive, capsys):
    bar = Progbar(100, interval=0.05)
    run_steps(bar, clock, 100, 0.01, values=lambda s: [("loss", 0.5)])
    out = capsys.readouterr().out
    frames = out.split("\r")[1:]
    # 100 steps of 10 ms with a 50 ms interval: the first step and then every 5th, plus the end.
    assert 18 <= len(frames) <= 22
    assert "\b" not in out and out.endswith("\n") and out.count("\n") == 1
    assert "\x1b[32m" in frames[-1] and "\x1b[1m" in frames[0]
    first = ANSI.sub("", frames[0])
    # Keras shows whole seconds of ETA, rounded down: 99 steps * 10 ms -> "0s".
    assert first == "  1/100 " + "━" * 20 + " 0s 10ms/step - loss: 0.5000"
    final = ANSI.sub("", frames[-1])
    assert final == f"100/100 {BAR} 1s 10ms/step - loss: 0.5000\n"
    # Halfway, ten characters of the bar are green (done) and ten white (to do).
    halfway = [f for f in frames if ANSI.sub("", f).startswith(" 5")]
    assert any(f"\x1b[32m{'━' * 10}\x1b[0m\x1b[37m{'━' * 10}" in f for f in halfway)


def test_interactive_pads_a_shorter_line_over_a_longer_one(clock, interactive, capsys):
    bar = Progbar(3, interval=0.0)
    bar.update(1, [("loss", 12345.678)])
    bar.update(2, [("loss", 0.1)], finalize=False)
    frames = capsys.readouterr().out.split("\r")[1:]
    assert len(ANSI.sub("", frames[1])) == len(ANSI.sub("", frames[0]))


def test_time_units_and_eta_formats():
    fmt = progbar_module._format_time_per_unit
    assert fmt(2.4, "step") == "2s/step"
    assert fmt(0.0042, "step") == "4ms/step"
    assert fmt(0.00025, "sample") == "250us/sample"
    assert fmt(0.0, "step") == "0s/step"
    eta = progbar_module._format_eta
    assert eta(42.7) == "42s"
    assert eta(125) == "2:05"
    assert eta(3725) == "1:02:05"


def test_small_values_use_scientific_notation(clock, non_interactive, capsys):
    bar = Progbar(1)
    bar.update(1, [("loss", 0.0001234), ("neg", -0.5), ("zero", 0.0)])
    out = capsys.readouterr().out
    assert "loss: 1.2340e-04" in out and "neg: -0.5000" in out and "zero: 0.0000e+00" in out


def test_unknown_target_and_add(clock, non_interactive, capsys):
    bar = Progbar(None)
    bar.add(3, [("loss", np.float32(0.25))])
    bar.add(2)
    assert bar._seen_so_far == 5
    assert capsys.readouterr().out == ""  # never finalized, never a complete line
    bar.update(5, finalize=True)
    assert capsys.readouterr().out.startswith("      5/Unknown 0s")


def test_array_values_are_averaged(clock, non_interactive, capsys):
    bar = Progbar(1)
    bar.update(1, [("loss", np.array([0.2, 0.4]))])
    assert "loss: 0.3000" in capsys.readouterr().out



def test_detection_follows_stdout_and_can_be_forced(monkeypatch):
    class Tty:
        def isatty(self):
            return True

        def write(self, text):
            pass

        def flush(self):
            pass

    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    monkeypatch.delitem(__import__("sys").modules, "ipykernel", raising=False)
    monkeypatch.setattr("sys.stdout", Tty())
    assert is_interactive_display()
    try:
        set_interactive_display(False)
        assert not is_interactive_display()
        assert not Progbar(3)._dynamic_display
    finally:
        set_interactive_display(None)


def test_detection_false_for_a_pipe(monkeypatch, capsys):
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    monkeypatch.delitem(__import__("sys").modules, "ipykernel", raising=False)
    monkeypatch.delitem(__import__("sys").modules, "google.colab", raising=False)
    assert not is_interactive_display()  # capsys's stream is not a terminal


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"target": -1}, "`target`"),
        ({"target": "10"}, "`target`"),
        ({"target": 10, "verbose": 3}, "`verbose`"),
        ({"target": 10, "width": 0}, "`width`"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Progbar(**kwargs)


def test_set_interactive_display_rejects_non_bool():
    with pytest.raises(TypeError, match="enabled"):
        set_interactive_display("yes")
