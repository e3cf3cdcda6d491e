"""The BLAS thread tuner used by fit, driven with made-up step times (nothing is timed here)."""

import numpy as np
import pytest

from numeras.backend import blas_threads
from numeras.backend.blas_threads import (
    CLEAR_FACTOR,
    PROBE_LENGTH,
    PROBE_STEPS,
    SWITCH_MARGIN,
    WATCH_STEPS,
    ThreadTuner,
)


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


def _probe_settings(many):
    """The thread count of each probe step: alternating blocks of many threads and of one."""
    block = PROBE_STEPS + 1
    return [many if (step // block) % 2 == 0 else 1 for step in range(PROBE_LENGTH)]


def test_probes_in_alternating_blocks_keeps_one_thread_when_faster_and_restores_at_the_end():
    tuner, controller = _tuner(2)
    seen = _run_epoch(tuner, controller, 100, {2: 0.007, 1: 0.006}.__getitem__)
    assert seen[:PROBE_LENGTH] == _probe_settings(2)
    assert set(seen[PROBE_LENGTH:]) == {1}
    assert tuner.choices == [1]
    tuner.finish()
    assert controller.num_threads == 2


def test_a_clear_difference_ends_the_probe_after_one_block_of_each():
    tuner, controller = _tuner(2)
    timed = []

    def seconds_for(threads):
        timed.append(threads)
        return {2: 0.006 * CLEAR_FACTOR, 1: 0.006}[threads]

    seen = _run_epoch(tuner, controller, 100, seconds_for)
    first_blocks = 2 * (PROBE_STEPS + 1)
    assert seen[:first_blocks] == _probe_settings(2)[:first_blocks]
    assert set(seen[first_blocks:]) == {1} and timed == [2] * PROBE_STEPS + [1] * PROBE_STEPS
    assert tuner.choices == [1]


def test_the_mean_decides_so_rare_slow_steps_count():
    tuner, controller = _tuner(2)
    # many threads: mostly 2 ms with two 30 ms stalls (its median wins); one thread: always 5 ms
    many = iter([0.002, 0.002, 0.030, 0.002, 0.002, 0.030, 0.002, 0.002])
    _run_epoch(tuner, controller, 100, lambda threads: next(many) if threads == 2 else 0.005)
    assert tuner.choices == [1]


def test_many_threads_must_win_by_the_margin_and_the_kept_setting_has_the_benefit_of_the_doubt():
    tuner, controller = _tuner(2)
    slightly_faster = 1 - SWITCH_MARGIN / 2
    _run_epoch(tuner, controller, 100, {2: 0.010 * slightly_faster, 1: 0.010}.__getitem__)
    assert tuner.choices == [1]  # a gain within the noise: one thread, half the CPU
    _run_epoch(tuner, controller, 100, {2: 0.006, 1: 0.010}.__getitem__)
    assert tuner.choices == [1, 2]  # clearly faster
    _run_epoch(tuner, controller, 100, {2: 0.010, 1: 0.010 * slightly_faster}.__getitem__)
    assert tuner.choices == [1, 2, 2]  # no flip back on noise
    _run_epoch(tuner, controller, 100, {2: 0.009, 1: 0.006}.__getitem__)  # the machine got busy
    assert tuner.choices == [1, 2, 2, 1]


def test_falls_back_to_one_thread_when_many_get_slow_in_mid_epoch():
    tuner, controller = _tuner(2)
    busy_from = PROBE_LENGTH + 3 * WATCH_STEPS
    step_index = iter(range(1000))

    def seconds_for(threads):
        step = next(step_index)
        if threads == 1:
            return 0.010
        return 0.030 if step >= busy_from else 0.005

    seen = _run_epoch(tuner, controller, 200, seconds_for)
    assert tuner.choices == [2]
    fallback = tuner.fallbacks[0]
    assert busy_from <= fallback < busy_from + 2 * WATCH_STEPS
    assert set(seen[PROBE_LENGTH : busy_from]) == {2} and set(seen[fallback + 1 :]) == {1}
    # the next epoch starts from one thread: many must win its probe by the margin again
    _run_epoch(tuner, controller, 200, {2: 0.0095, 1: 0.010}.__getitem__)
    assert tuner.choices == [2, 1]


def test_short_epochs_are_not_probed_and_keep_the_last_choice():
    tuner, controller = _tuner(2)
    seen = _run_epoch(tuner, controller, 4 * PROBE_LENGTH - 1, lambda threads: pytest.fail("timed"))
    assert set(seen) == {2} and tuner.choices == []
    _run_epoch(tuner, controller, 100, {2: 0.010, 1: 0.006}.__getitem__)
    seen = _run_epoch(tuner, controller, 4 * PROBE_LENGTH - 1, lambda threads: pytest.fail("timed"))
    assert set(seen) == {1}


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
    x = np.random.default_rng(0).normal(size=(8 * PROBE_LENGTH, 6)).astype("float32")
    model.fit(x, x[:, :1], batch_size=2, epochs=2, verbose=0)  # 4 * PROBE_LENGTH steps per epoch
    after = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    assert after == before
    tuner = model._blas_thread_tuner
    if max(before, default=1) > 1:
        assert len(tuner.choices) == 2 and set(tuner.choices) <= {1, max(before)}
    else:
        assert tuner is None


def test_compiled_kernels_do_not_load_scipys_blas_and_users_numba_dot_still_works():
    """numba's NumPy support would load SciPy's OpenBLAS (a second thread pool) only to learn
    that np.dot can compile; the kernels keep it out, and a user's own np.dot still compiles."""
    pytest.importorskip("numba")
    pytest.importorskip("scipy")
    import os
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    code = textwrap.dedent("""
        import sys
        import numpy as np
        from numeras.backend import kernels
        kernels.set_enabled(True)
        assert kernels.compiled()
        z = np.array([-1.0, 2.0], dtype=np.float32)
        kernels.relu_inplace(z)  # compiles (or loads) a kernel: numba's NumPy support is imported
        assert z.tolist() == [0.0, 2.0]
        print("scipy.linalg loaded:", "scipy.linalg" in sys.modules)
        import numba

        @numba.njit
        def dot(a, b):
            return np.dot(a, b)

        print("dot:", dot(np.ones((2, 3)), np.ones((3, 2))).tolist())
    """)
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src), "NUMERAS_NUMBA": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "scipy.linalg loaded: False" in done.stdout
    assert "dot: [[3.0, 3.0], [3.0, 3.0]]" in done.stdout
