"""Whether operations are recorded for differentiation: on by default, off inside ``no_grad()``
(inference, weight updates), back on inside ``enable_grad()`` (what a GradientTape does)."""

from __future__ import annotations


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """True while operations are being recorded for differentiation."""
    return _GradMode.enabled


class _GradModeScope:
    """Sets recording on or off for a ``with`` block and restores it after.

    A class rather than a generator-based context manager: entering it costs a fraction of a
    microsecond, which matters when inference runs once per batch.
    """

    __slots__ = ("enabled", "previous")

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.previous = True

    def __enter__(self) -> None:
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.previous


def no_grad() -> _GradModeScope:
    """Run the block without recording anything for differentiation (inference, weight updates)."""
    return _GradModeScope(False)


def enable_grad() -> _GradModeScope:
    """Record operations even inside :func:`no_grad` (what a GradientTape does)."""
    return _GradModeScope(True)
