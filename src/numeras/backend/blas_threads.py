"""How many threads the BLAS library uses during ``fit``, chosen by timing training steps.

OpenBLAS splits each matrix product across its threads, and they wait for one another. If another
program keeps a core busy, the waiting dominates. On a 2-core machine with one busy process, an
epoch of the seed MLP took 1.8 s with 2 threads and 0.96 s with 1.

:class:`ThreadTuner` tries both settings at the start of every epoch: a few steps with the thread
count the user has, then a few with one thread. It keeps the faster for the rest of the epoch,
and gives the user's setting back when training ends. The tuner never uses more threads than the
user set. It needs ``threadpoolctl`` (``pip install numeras[fast]``). Setting the environment
variable ``NUMERAS_BLAS_TUNING=0`` turns it off.

``fit`` installs the tuner as the hook of its epoch iterator (``numeras/trainers/
epoch_iterator.py``), which calls ``begin_epoch`` at each epoch, ``probing``/``record`` around
the steps it yields (a timed step runs from its batch being handed out until the next is asked
for) and ``finish`` when training ends; this module knows nothing of the trainer.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

PROBE_STEPS = 5
"""Steps timed with each setting, per epoch, each run after one untimed step that absorbs the
switch (OpenBLAS wakes or parks its threads)."""


class _BlasLibraries:
    """The BLAS libraries threadpoolctl finds loaded: their thread counts, read and set."""

    def __init__(self, controllers: list) -> None:
        self._controllers = controllers
        self.original = [c.num_threads for c in controllers]

    @property
    def most(self) -> int:
        return max(self.original, default=1)

    def use(self, threads: int) -> None:
        for controller, original in zip(self._controllers, self.original):
            wanted = min(threads, original)
            if controller.num_threads != wanted:
                controller.set_num_threads(wanted)

    def restore(self) -> None:
        for controller, original in zip(self._controllers, self.original):
            if controller.num_threads != original:
                controller.set_num_threads(original)


def _find_libraries() -> _BlasLibraries | None:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    controllers = ThreadpoolController().select(user_api="blas").lib_controllers
    return _BlasLibraries(controllers) if controllers else None


class ThreadTuner:
    """Per epoch: one untimed step and ``PROBE_STEPS`` timed ones with the user's thread count,
    the same with one thread, then the faster setting until the epoch ends. Faster means a lower
    mean step time: under load, steps with several threads are fast or very slow (a thread was
    descheduled while the others waited), and the mean is what an epoch pays."""

    def __init__(self, libraries: Any) -> None:
        self.libraries = libraries
        self.choices: list[int] = []  # the thread count kept in each epoch, for inspection
        self._times: dict[int, list[float]] = {}
        self._tuning = False

    @classmethod
    def create(cls) -> ThreadTuner | None:
        """A tuner, or None when there is nothing to tune: tuning switched off, threadpoolctl
        missing, or the BLAS already limited to one thread."""
        if os.environ.get("NUMERAS_BLAS_TUNING", "1") == "0":
            return None
        libraries = _find_libraries()
        if libraries is None or libraries.most <= 1:
            return None
        return cls(libraries)

    def _setting(self, step: int) -> int | None:
        """The thread count step ``step`` of the epoch runs with while probing (None after)."""
        if step <= PROBE_STEPS:
            return self.libraries.most
        if step <= 2 * PROBE_STEPS + 1:
            return 1
        return None

    @staticmethod
    def _timed(step: int) -> bool:
        return step not in (0, PROBE_STEPS + 1)

    def begin_epoch(self, steps: int | None) -> None:
        """Start probing, unless the epoch is too short (or of unknown length) to afford it."""
        self._times = {}
        self._tuning = steps is not None and steps >= 4 * (PROBE_STEPS + 1)
        self.libraries.use(self.libraries.most)

    def probing(self, step: int) -> bool:
        """True when ``step`` is to be timed; sets the BLAS threads it runs with."""
        if not self._tuning:
            return False
        threads = self._setting(step)
        if threads is None:
            return False
        self.libraries.use(threads)
        return self._timed(step)

    def record(self, step: int, seconds: float) -> None:
        """The time of a probed step; after the last probe, keep the faster setting."""
        threads = self._setting(step)
        self._times.setdefault(threads, []).append(seconds)
        if step == 2 * PROBE_STEPS + 1:
            many = statistics.fmean(self._times[self.libraries.most])
            one = statistics.fmean(self._times[1])
            best = 1 if one < many else self.libraries.most
            self.libraries.use(best)
            self.choices.append(best)
            self._tuning = False

    def finish(self) -> None:
        """Give the BLAS libraries back the thread counts they had."""
        self.libraries.restore()
