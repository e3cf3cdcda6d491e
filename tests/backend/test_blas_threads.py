"""The BLAS thread tuner used by fit, driven with made-up step times (nothing is timed here)."""

import numpy as np
import pytest

from numeras.backend import blas_threads
from numeras.backend.blas_threads import PROBE_STEPS, ThreadTuner


class FakeController:
    def __init__(self, threads):
        self.num_threads = threads
        self.history = []

    def set_num_threads(self, threads):
        self.num_threads = threads
        self.history.append(threads)


def _tuner(threads=2):
    controller = FakeController(threads)
    return ThreadTuner(blas_threads._BlasLibraries([controller])), controller


def _run_epoch(tuner, controller, steps, seconds_for):
    """Drive one epoch; seconds_for(threads) is the made-up time of a probed step."""
    tuner.begin_epoch(steps)
    seen = []
    for step in range(steps):
        if tuner.probing(step):
            tuner.record(step, seconds_for(controller.num_threads))
        seen.append(controller.num_threads)
    return seen


def test_keeps_one_thread_when_it_is_faster_and_restores_at_the_end():
    tuner, controller = _tuner(2)
    seen = _run_epoch(tuner, controller, 40, {2: 0.010, 1: 0.006}.__getitem__)
    assert seen[: PROBE_STEPS + 1] == [2] * (PROBE_STEPS + 1)
    assert seen[PROBE_STEPS + 1 : 2 * PROBE_STEPS + 2] == [1] * (PROBE_STEPS + 1)
    assert set(seen[2 * PROBE_STEPS + 2 :]) == {1}
    assert tuner.choices == [1]
    tuner.finish()
    assert controller.num_threads == 2


def test_the_mean_decides_so_rare_slow_steps_count():
    tuner, controller = _tuner(2)
    times = iter([0.002, 0.002, 0.002, 0.030, 0.030] + [0.004] * PROBE_STEPS)  # median favours 2
    _run_epoch(tuner, controller, 40, lambda threads: next(times))
    assert tuner.choices == [1]


def test_keeps_the_users_threads_when_they_are_faster_and_reprobes_each_epoch():
    tuner, controller = _tuner(2)
    _run_epoch(tuner, controller, 40, {2: 0.004, 1: 0.006}.__getitem__)
    assert controller.num_threads == 2
    _run_epoch(tuner, controller, 40, {2: 0.009, 1: 0.006}.__getitem__)  # the machine got busy
    assert tuner.choices == [2, 1]


def test_short_epochs_are_not_probed():
    tuner, controller = _tuner(2)
    seen = _run_epoch(tuner, controller, 4 * (PROBE_STEPS + 1) - 1, lambda threads: pytest.fail("timed"))
    assert set(seen) == {2} and tuner.choices == []


def test_never_more_threads_than_the_user_set():
    controller = FakeController(1)
    libraries = blas_threads._BlasLibraries([controller])
    libraries.use(4)
    assert controller.num_threads == 1 and controller.history == []


def test_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv("NUMERAS_BLAS_TUNING", "0")
    assert ThreadTuner.create() is None


def test_fit_probes_every_epoch_and_gives_the_threads_back():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from numeras import layers, models

    before = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    model = models.Sequential([layers.Dense(8, activation="relu", input_shape=(6,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")
    model.fit(x, x[:, :1], batch_size=2, epochs=2, verbose=0)  # 32 steps per epoch
    after = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    assert after == before
    tuner = model._blas_thread_tuner
    if max(before, default=1) > 1:
        assert len(tuner.choices) == 2 and set(tuner.choices) <= {1, max(before)}
    else:
        assert tuner is None
