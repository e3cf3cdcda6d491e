"""Keras 3's text progress bar: ``469/469 ━━━━━━━━━━━━━━━━━━━━ 2s 4ms/step - accuracy: 0.9254 - loss: 0.2570``.

On an interactive display (a terminal, Jupyter/IPython, Colab, PyCharm's console) the bar is
redrawn in place with ``\\r`` at most every ``interval`` seconds. When standard output is a file, a
pipe or a CI log, redrawing would leave a mess of carriage returns, so ``verbose=1`` writes only the
finished line of each bar and nothing is ever written but whole lines.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

from numeras.backend import xp

__all__ = ["Progbar", "is_interactive_display", "set_interactive_display"]

# Looked up on every call (not bound at import) so tests can substitute a fake clock.
_clock = time.perf_counter

_forced_interactive: bool | None = None

_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_WHITE = "\x1b[37m"
_RESET = "\x1b[0m"
_BAR_CHAR = "━"


def set_interactive_display(enabled: bool | None) -> None:
    """Force the progress bar's display mode: ``True`` redraws in place with ``\\r``, ``False``
    writes whole lines only, ``None`` (the default) detects it from ``sys.stdout``."""
    global _forced_interactive
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(
            f"set_interactive_display: `enabled` must be True, False or None, received {enabled!r}."
        )
    _forced_interactive = enabled


def is_interactive_display() -> bool:
    """Whether a progress bar created now would redraw itself in place.

    True when forced by :func:`set_interactive_display`, when ``sys.stdout`` is a terminal, inside
    a Jupyter/IPython kernel (which includes Colab) or in PyCharm's run console, like Keras.
    """
    if _forced_interactive is not None:
        return _forced_interactive
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is not None:
        try:
            if isatty():
                return True
        except ValueError:  # a closed stream
            return False
    return "ipykernel" in sys.modules or "google.colab" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _format_time_per_unit(seconds: float, unit_name: str) -> str:
    """Seconds per unit the way Keras writes them: ``2s/step``, ``4ms/step`` or ``950us/step``."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(seconds: float) -> str:
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int((seconds % 3600) // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_metric(value: Any) -> str:
    """Four decimals, or scientific notation for magnitudes at or below 1e-3 (Keras's rule)."""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    return str(value)


def _as_number(value: Any) -> Any:
    """A Python float for scalars (Python, NumPy or Tensor); the mean for arrays; else as given."""
    if type(value) is float:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    try:
        return float(xp.mean(xp.asarray(value, dtype="float64")))
    except (TypeError, ValueError):
        return value


class Progbar:
    """Displays a progress bar, in Keras 3's format.

    Args:
        target: Total number of steps expected, or ``None`` if unknown.
        width: Width of the bar in characters.
        verbose: 0 (silent), 1 (a bar, redrawn while running) or 2 (one line when finished).
        interval: Minimum time in seconds between two redraws.
        stateful_metrics: Names of metrics displayed as given. Every other metric is averaged by
            the bar over the steps it was reported for:
            ``mean = sum(value_i * steps_i) / sum(steps_i)``.
        unit_name: Name of a step in the time-per-step column (``"step"``, ``"sample"``).
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ) -> None:
        if target is not None and (isinstance(target, bool) or not isinstance(target, int) or target < 0):
            if isinstance(target, float) and target.is_integer() and target >= 0:
                target = int(target)
            else:
                raise ValueError(
                    "Progbar: `target` must be a non-negative integer number of steps, or None when "
                    f"unknown; received {target!r}."
                )
        if verbose not in (0, 1, 2) or isinstance(verbose, bool):
            raise ValueError(
                f"Progbar: `verbose` must be 0 (silent), 1 (progress bar) or 2 (one line), received {verbose!r}."
            )
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"Progbar: `width` must be a positive integer, received {width!r}.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = float(interval)
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()

        self._dynamic_display = is_interactive_display()
        self._seen_so_far = 0
        # name -> [weighted sum, total weight]; dict order is display order (first report wins).
        self._values: dict[str, list[Any]] = {}
        self._start = _clock()
        self._last_update = -math.inf
        self._time_after_first_step: float | None = None
        self._prev_total_width = 0

    def update(
        self,
        current: int,
        values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Record progress up to step ``current`` and redraw the bar if it is due.

        Args:
            current: Number of steps done so far (1-based: the step just finished).
            values: ``(name, value_for_last_step)`` pairs, or a dict. Names in
                ``stateful_metrics`` are shown as given, others averaged over steps.
            finalize: Whether this is the last update; defaults to ``current >= target``.
        """
        target = self.target
        if finalize is None:
            finalize = target is not None and current >= target
        if values:
            self._record(current, values.items() if isinstance(values, Mapping) else values, finalize)
        self._seen_so_far = current

        now = _clock()
        time_per_unit = self._estimate_step_duration(current, now)
        verbose = self.verbose
        if verbose == 1:
            if not finalize:
                # A non-interactive stream gets only the finished line: an in-progress line would
                # need a carriage return to be replaced later.
                if not self._dynamic_display or now - self._last_update < self.interval:
                    return
            self._draw(current, finalize, now, time_per_unit)
        elif verbose == 2 and finalize:
            self._write(self._summary_line(current, now, time_per_unit) + "\n")
        self._last_update = now

    def add(self, n: int, values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        """Advance the bar by ``n`` steps: ``update(seen_so_far + n, values)``."""
        self.update(self._seen_so_far + n, values)

    # -- bookkeeping ----------------------------------------------------------------------
    def _record(self, current: int, pairs: Iterable[tuple[str, Any]], finalize: bool) -> None:
        stored = self._values
        stateful = self.stateful_metrics
        for name, value in pairs:
            value = _as_number(value)
            if finalize or name in stateful or not isinstance(value, float):
                # The final value of a bar is exact (the epoch's result), not a mean of means.
                stored[name] = [value, 1]
                continue
            # Weight by the number of steps this value stands for, at least one so that a second
            # report for the same step still counts.
            weight = max(current - self._seen_so_far, 1)
            entry = stored.get(name)
            if entry is None or not isinstance(entry[0], float):
                stored[name] = [value * weight, weight]
            else:
                entry[0] += value * weight
                entry[1] += weight

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step, ignoring the first step (often slow) once there are later ones."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit

    def _metrics_text(self) -> str:
        parts = []
        for name, (total, count) in self._values.items():
            shown = total / max(1, count) if isinstance(total, float) else total
            parts.append(f" - {name}: {_format_metric(shown)}")
        return "".join(parts)

    # -- rendering ------------------------------------------------------------------------
    def _draw(self, current: int, finalize: bool, now: float, time_per_unit: float) -> None:
        ansi = self._dynamic_display
        bold, reset = (_BOLD, _RESET) if ansi else ("", "")
        target = self.target
        if target:
            count = f"{current:{len(str(target))}d}/{target}"
            done = min(self.width, max(0, int(self.width * current / target)))
            done_bar = _BAR_CHAR * done
            todo_bar = _BAR_CHAR * (self.width - done)
            plain_bar = f"{count} {done_bar}{todo_bar}"
            if ansi:
                shown_bar = f"{bold}{count}{reset} "
                if done:
                    shown_bar += f"{_GREEN}{done_bar}{reset}"
                shown_bar += f"{_WHITE}{todo_bar}{reset}"
            else:
                shown_bar = plain_bar
        else:
            plain_bar = shown_bar = f"{current:7d}/Unknown"

        if target and not finalize:
            clock_text = _format_eta(time_per_unit * (target - current))
        else:
            clock_text = f"{now - self._start:.0f}s"
        rest = f" {_format_time_per_unit(time_per_unit, self.unit_name)}{self._metrics_text()}"
        plain_width = len(plain_bar) + 1 + len(clock_text) + len(rest)
        line = f"{shown_bar} {bold}{clock_text}{reset}{rest}"

        if ansi:
            # Pad with spaces so a shorter line fully covers the one it replaces.
            padding = " " * max(0, self._prev_total_width - plain_width)
            self._write("\r" + line + padding + ("\n" if finalize else ""))
            self._prev_total_width = plain_width
        else:
            self._write(line + "\n")

    def _summary_line(self, current: int, now: float, time_per_unit: float) -> str:
        """``469/469 - 2s - 4ms/step - accuracy: 0.9254 - loss: 0.2570`` (verbose=2)."""
        target = self.target
        count = f"{current:{len(str(target))}d}/{target}" if target else f"{current}/Unknown"
        return (
            f"{count} - {now - self._start:.0f}s - "
            f"{_format_time_per_unit(time_per_unit, self.unit_name)}{self._metrics_text()}"
        )

    @staticmethod
    def _write(message: str) -> None:
        # To sys.stdout, or to the "numeras" logger after config.disable_interactive_logging().
        from numeras.backend import config

        config.print_msg(message, line_break=False)
