"""Learning-rate schedules against Keras 3's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

import numeras as nm
from numeras.optimizers import schedules


def _value(schedule, step):
    out = schedule(step)
    assert isinstance(out, nm.Tensor)
    return out.numpy()


@pytest.mark.parametrize("step", [0, 1, 7, 250, 10_000])
def test_exponential_decay(step):
    smooth = schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.96)
    stairs = schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.96, staircase=True)
    np.testing.assert_allclose(_value(smooth, step), 0.1 * 0.96 ** (step / 100), rtol=1e-6)
    np.testing.assert_allclose(_value(stairs, step), 0.1 * 0.96 ** (step // 100), rtol=1e-6)


@pytest.mark.parametrize("step", [0, 1, 3, 10])
def test_inverse_time_decay(step):
    smooth = schedules.InverseTimeDecay(0.5, decay_steps=2.0, decay_rate=0.3)
    stairs = schedules.InverseTimeDecay(0.5, decay_steps=2.0, decay_rate=0.3, staircase=True)
    np.testing.assert_allclose(_value(smooth, step), 0.5 / (1 + 0.3 * step / 2.0), rtol=1e-6)
    np.testing.assert_allclose(_value(stairs, step), 0.5 / (1 + 0.3 * (step // 2)), rtol=1e-6)


def test_piecewise_constant_decay_boundaries_belong_to_the_earlier_interval():
    schedule = schedules.PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1])
    steps = np.array([0, 99, 100, 101, 110, 111, 5000])
    np.testing.assert_allclose(_value(schedule, steps), [1.0, 1.0, 1.0, 0.5, 0.5, 0.1, 0.1])
    assert schedule(0).dtype == "float32"
    with pytest.raises(ValueError, match="one more element"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="strictly increasing"):
        schedules.PiecewiseConstantDecay([5, 2], [1.0, 0.5, 0.1])


@pytest.mark.parametrize("step", [0, 5, 10, 15, 25])
def test_polynomial_decay(step):
    plain = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=0.5)
    s = min(step, 10)
    np.testing.assert_allclose(_value(plain, step), (0.1 - 0.01) * (1 - s / 10) ** 0.5 + 0.01, rtol=1e-6)
    cyclic = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=0.5, cycle=True)
    horizon = 10 * (1 if step == 0 else math.ceil(step / 10))
    np.testing.assert_allclose(_value(cyclic, step), (0.1 - 0.01) * (1 - step / horizon) ** 0.5 + 0.01, rtol=1e-6)


@pytest.mark.parametrize("step", [0, 3, 50, 100, 150])
def test_cosine_decay(step):
    schedule = schedules.CosineDecay(0.2, decay_steps=100, alpha=0.1)
    s = min(step, 100)
    expected = 0.2 * ((1 - 0.1) * 0.5 * (1 + math.cos(math.pi * s / 100)) + 0.1)
    np.testing.assert_allclose(_value(schedule, step), expected, rtol=1e-6)


@pytest.mark.parametrize("step", [0, 5, 10, 60, 110, 500])
def test_cosine_decay_with_warmup(step):
    schedule = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    if step < 10:
        expected = 0.1 * step / 10
    else:
        s = min(step, 110) - 10
        expected = 0.1 * 0.5 * (1 + math.cos(math.pi * s / 100))
    np.testing.assert_allclose(_value(schedule, step), expected, rtol=1e-6, atol=1e-9)


def _sgdr(step, initial, first, t_mul, m_mul, alpha):
    # Walk the restarts one period at a time.
    period, start, peak = first, 0.0, 1.0
    while step >= start + period:
        start += period
        period *= t_mul
        peak *= m_mul
    fraction = (step - start) / period
    return initial * ((1 - alpha) * peak * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha)


@pytest.mark.parametrize("t_mul,m_mul", [(1.0, 1.0), (2.0, 0.5)])
@pytest.mark.parametrize("step", [0, 4, 10, 15, 29, 31, 75])
def test_cosine_decay_restarts(step, t_mul, m_mul):
    schedule = schedules.CosineDecayRestarts(0.3, first_decay_steps=10, t_mul=t_mul, m_mul=m_mul, alpha=0.05)
    expected = _sgdr(step, 0.3, 10, t_mul, m_mul, 0.05)
    np.testing.assert_allclose(_value(schedule, step), expected, rtol=1e-5)


def test_schedules_accept_variables_tensors_and_arrays_of_steps():
    schedule = schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    counter = nm.Variable(np.array(2, dtype="int64"), trainable=False)
    np.testing.assert_allclose(_value(schedule, counter), 0.25)
    np.testing.assert_allclose(_value(schedule, np.arange(3)), [1.0, 0.5, 0.25])


@pytest.mark.parametrize("cls", [schedules.ExponentialDecay, schedules.InverseTimeDecay, schedules.PolynomialDecay])
def test_decay_steps_must_be_positive(cls):
    args = (0.1, 0) if cls is schedules.PolynomialDecay else (0.1, 0, 0.5)
    with pytest.raises(ValueError, match="decay_steps"):
        cls(*args)


@pytest.mark.parametrize(
    "schedule",
    [
        schedules.ExponentialDecay(0.1, 1000, 0.9, staircase=True),
        schedules.InverseTimeDecay(0.1, 1, 0.5),
        schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.05, 0.01]),
        schedules.PolynomialDecay(0.1, 100, 0.001, power=2.0, cycle=True),
        schedules.CosineDecay(0.1, 100, alpha=0.2, warmup_target=0.5, warmup_steps=5),
        schedules.CosineDecayRestarts(0.1, 10, t_mul=3.0, m_mul=0.9, alpha=0.01),
    ],
    ids=lambda s: type(s).__name__,
)
def test_serialize_round_trip(schedule):
    config = schedules.serialize(schedule)
    assert config["module"] == "keras.optimizers.schedules"
    assert config["class_name"] == type(schedule).__name__
    rebuilt = schedules.deserialize(config)
    assert type(rebuilt) is type(schedule)
    assert rebuilt.get_config() == schedule.get_config()
    steps = np.arange(0, 60, 7)
    np.testing.assert_array_equal(_value(rebuilt, steps), _value(schedule, steps))


def test_custom_schedule_needs_call_and_can_be_deserialized_with_custom_objects():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, start):
            self.start = start

        def __call__(self, step):
            return self.start * 0.5 ** float(step)

        def get_config(self):
            return {"start": self.start}

    config = schedules.serialize(Halving(0.8))
    rebuilt = schedules.deserialize(config, custom_objects={"Halving": Halving})
    assert rebuilt(2) == pytest.approx(0.2)
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(ValueError, match="Unknown"):
        schedules.deserialize({"class_name": "Halving", "config": {"start": 1.0}})
