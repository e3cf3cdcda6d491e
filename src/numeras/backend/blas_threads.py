"""How many threads the BLAS library uses during ``fit``, chosen by timing training steps.

OpenBLAS splits each matrix product across its threads, and they wait for one another by spinning.
If another program keeps a core busy, the waiting dominates: on a 2-core machine under load, one
epoch of the seed MLP with 2 BLAS threads took 50.6 s of wall time and 11.6 s of CPU time, the next
with one thread 3.4 s and 0.9 s (BENCHMARKS.md, "Steady epochs on a shared machine").

:class:`ThreadTuner` compares the user's thread count ("many") with one thread at the start of
every epoch, in alternating blocks (many, one, many, one: a load that drifts during the probe hits
both alike), each block one untimed step that absorbs the switch and ``PROBE_STEPS`` timed ones.
When the first block of each shows a setting clearly slower (``CLEAR_FACTOR``),
the probe stops there. Many threads must beat one thread's mean step time by ``SWITCH_MARGIN`` to be chosen over it, and
a setting kept last epoch stays unless the other beats it by that margin (no flip-flopping on
noise). One thread is the default of a tie because it costs half the CPU time and cannot spin.
While many threads are kept, every step is timed and each ``WATCH_STEPS`` are compared with the
one-thread probe: when the machine gets busy in mid-epoch the tuner falls back to one thread for
the rest of the epoch. The tuner never uses more threads than the user set, applies the choice to
every BLAS library loaded (NumPy's, and SciPy's if present), and gives the user's setting back when
training ends. It uses ``threadpoolctl`` (a dependency of numeras). Setting the environment
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

PROBE_STEPS = 4
"""Timed steps per probe block; each block starts with one untimed step that absorbs the switch
(OpenBLAS wakes or parks its threads)."""

PROBE_ROUNDS = 2
"""Blocks per setting in a probe: many, one, many, one."""

PROBE_LENGTH = 2 * PROBE_ROUNDS * (PROBE_STEPS + 1)
"""Steps an epoch's probe takes."""

SWITCH_MARGIN = 0.10
"""How much lower (as a fraction) a setting's mean step time must be to replace the one preferred
(last epoch's choice, else one thread). Step times on a shared machine vary by more than this
from block to block; a smaller real gain is not worth the flip-flopping."""

CLEAR_FACTOR = 1.5
"""After the first block of each setting, a setting whose mean step time is this many times the
other's has lost: the probe ends there. Under load a many-thread probe step burns ~25 ms of CPU
spinning; close calls alone pay for the second round."""

WATCH_STEPS = 20
"""While many threads are kept, the mean of each run of this many steps is compared with the
one-thread probe."""


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


_CONTROLLERS: list | None = None


def blas_controllers() -> list:
    """threadpoolctl's controllers of the loaded BLAS libraries (found once: finding them scans
    every loaded library), or [] without threadpoolctl. The tuner and the recurrent ops use them."""
    global _CONTROLLERS
    if _CONTROLLERS is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # a dependency, but a broken environment should still train
            _CONTROLLERS = []
        else:
            _CONTROLLERS = list(ThreadpoolController().select(user_api="blas").lib_controllers)
    return _CONTROLLERS


def _find_libraries() -> _BlasLibraries | None:
    controllers = blas_controllers()
    return _BlasLibraries(controllers) if controllers else None


class ThreadTuner:
    """Per epoch: a probe of ``PROBE_LENGTH`` steps (blocks of the user's thread count and of one
    thread, alternating), then the chosen setting until the epoch ends, watched while it is the
    many-thread one. Faster means a lower mean step time: under load, steps with several threads
    are fast or very slow (a thread was descheduled while the others spun), and the mean is what
    an epoch pays."""

    def __init__(self, libraries: Any) -> None:
        self.libraries = libraries
        self.choices: list[int] = []  # the thread count chosen after each epoch's probe
        self.fallbacks: list[int] = []  # steps (of the epoch) where the watch fell back to one thread
        self._kept: int | None = None  # the setting the last epoch ended with
        self._one_thread_mean = 0.0
        self._times: dict[int, list[float]] = {}
        self._tuning = False
        self._watching = False
        self._watched: list[float] = []

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
        if step >= PROBE_LENGTH:
            return None
        return self.libraries.most if (step // (PROBE_STEPS + 1)) % 2 == 0 else 1

    @staticmethod
    def _timed(step: int) -> bool:
        return step % (PROBE_STEPS + 1) != 0

    def begin_epoch(self, steps: int | None) -> None:
        """Start probing, unless the epoch is too short (or of unknown length) to afford it."""
        self._times = {}
        self._watching = False
        self._watched = []
        self._tuning = steps is not None and steps >= 4 * PROBE_LENGTH
        if self._tuning:
            self.libraries.use(self.libraries.most)
        else:  # not probed: keep the last choice (the user's setting before any)
            self.libraries.use(self._kept or self.libraries.most)

    def probing(self, step: int) -> bool:
        """True when ``step`` is to be timed; sets the BLAS threads it runs with."""
        if self._watching:
            return True
        if not self._tuning:
            return False
        threads = self._setting(step)
        if threads is None:
            return False
        self.libraries.use(threads)
        return self._timed(step)

    def record(self, step: int, seconds: float) -> None:
        """The time of a timed step: a probe's, or a watched one."""
        if self._watching:
            self._watch(step, seconds)
            return
        self._times.setdefault(self._setting(step), []).append(seconds)
        if step == PROBE_LENGTH - 1 or (step == 2 * (PROBE_STEPS + 1) - 1 and self._clear()):
            self._choose()

    def _clear(self) -> bool:
        """True when one block of each setting already tells them apart by ``CLEAR_FACTOR``."""
        many = statistics.fmean(self._times[self.libraries.most])
        one = statistics.fmean(self._times[1])
        return max(many, one) >= CLEAR_FACTOR * min(many, one)

    def _choose(self) -> None:
        many, one = self.libraries.most, 1
        means = {threads: statistics.fmean(times) for threads, times in self._times.items()}
        preferred = self._kept or one
        other = many if preferred == one else one
        best = other if means[other] < means[preferred] * (1 - SWITCH_MARGIN) else preferred
        self.libraries.use(best)
        self.choices.append(best)
        self._kept = best
        self._tuning = False
        self._watching = best != one
        self._one_thread_mean = means[one]

    def _watch(self, step: int, seconds: float) -> None:
        """Many threads kept: fall back to one for the rest of the epoch when a run of
        ``WATCH_STEPS`` steps is slower on average than the one-thread probe by the margin."""
        self._watched.append(seconds)
        if len(self._watched) < WATCH_STEPS:
            return
        if statistics.fmean(self._watched) * (1 - SWITCH_MARGIN) > self._one_thread_mean:
            self.libraries.use(1)
            self._kept = 1
            self.fallbacks.append(step)
            self._watching = False
        self._watched = []

    def finish(self) -> None:
        """Give the BLAS libraries back the thread counts they had."""
        self.libraries.restore()
