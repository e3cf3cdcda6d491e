"""``numeras.ops``: the operations of Keras 3's ``keras.ops``, differentiable by numeras.

Each name here is either a primitive with its own VJP (``numeras.autodiff.ops``) or a composite
of them (``numeras.autodiff.functional``).
"""

from numeras.autodiff.functional import *  # noqa: F403
from numeras.autodiff.functional import __all__ as _functional_names

__all__ = list(_functional_names)


def __getattr__(name: str):
    # Keras puts the cross-entropies in keras.ops too; they live with the losses.
    if name in ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"):
        from numeras.losses import functions

        return getattr(functions, name)
    raise AttributeError(f"module 'numeras.ops' has no attribute {name!r}")
