"""``numeras.optimizers.legacy``: the names tf.keras 2 had for its legacy optimizers.

As in Keras 3, they exist so that imports resolve, but creating one raises ImportError, with the
numeras optimizer to use instead.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]


class _LegacyOptimizer:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        raise ImportError(
            "`keras.optimizers.legacy` is not supported in Keras 3 (nor in numeras). Use "
            f"`numeras.optimizers.{name}` instead: it takes the same arguments (`lr` becomes "
            "`learning_rate`, `decay` a learning-rate schedule)."
        )


class Optimizer(_LegacyOptimizer):
    """tf.keras 2's legacy optimizer base; raises ImportError (use ``numeras.optimizers.Optimizer``)."""


class Adagrad(_LegacyOptimizer):
    """tf.keras 2's legacy Adagrad; raises ImportError (use ``numeras.optimizers.Adagrad``)."""


class Adam(_LegacyOptimizer):
    """tf.keras 2's legacy Adam; raises ImportError (use ``numeras.optimizers.Adam``)."""


class Ftrl(_LegacyOptimizer):
    """tf.keras 2's legacy Ftrl; raises ImportError (use ``numeras.optimizers.Ftrl``)."""


class RMSprop(_LegacyOptimizer):
    """tf.keras 2's legacy RMSprop; raises ImportError (use ``numeras.optimizers.RMSprop``)."""


class SGD(_LegacyOptimizer):
    """tf.keras 2's legacy SGD; raises ImportError (use ``numeras.optimizers.SGD``)."""
