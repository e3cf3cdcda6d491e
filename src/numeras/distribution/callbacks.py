"""Which callbacks run on processes other than rank 0.

Under ``DataParallel`` every process runs the same ``fit`` with the same global logs, so most
callbacks (History, EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN,
LambdaCallback) must run everywhere to keep the processes in step. Those that print or write
files run on rank 0 only: otherwise four processes would write the same checkpoint at once.
Rank 0 alone restores a ``BackupAndRestore`` backup; ``fit`` then broadcasts what it restored.
"""

from __future__ import annotations

from typing import Any

# Matched by class name anywhere in a callback's class hierarchy, so user subclasses of these
# stay on rank 0 too, and callbacks added later by name (TensorBoard) need no import here.
RANK_ZERO_ONLY = frozenset({"ProgbarLogger", "ModelCheckpoint", "CSVLogger", "BackupAndRestore", "TensorBoard"})


def is_rank_zero_only(callback: Any) -> bool:
    return getattr(callback, "rank_zero_only", False) or any(
        cls.__name__ in RANK_ZERO_ONLY for cls in type(callback).__mro__
    )


def callbacks_for_other_ranks(callbacks: Any) -> Any:
    """``callbacks`` (``None``, one callback or a possibly nested list) without those that
    print or write files."""
    if callbacks is None:
        return None
    if isinstance(callbacks, (list, tuple)):
        return [c for c in (callbacks_for_other_ranks(item) for item in callbacks) if c is not None]
    return None if is_rank_zero_only(callbacks) else callbacks
