"""``numeras.ops``: the operations of Keras 3's ``keras.ops``, differentiable by numeras.

Each name here is either a primitive with its own VJP (``numeras.autodiff.ops``) or a composite
of them (``numeras.autodiff.composites``). The namespaces are arranged as Keras arranges them:
``ops.numpy``, ``ops.nn``, ``ops.linalg`` and ``ops.image`` (whose ops, unlike the others, are
not repeated at the top), plus ``ops.core`` and ``ops.math`` (Keras's keras.src.ops.core and
.math modules, whose ops are all at the top too).
"""

from numeras.autodiff.composites import *  # noqa: F403
from numeras.autodiff.composites import __all__ as _composite_names

__all__ = list(_composite_names)


# Convolution and pooling (primitives with their own VJPs), under Keras 3's keras.ops names.
from numeras.autodiff.ops.convolution import conv, conv_transpose, depthwise_conv, separable_conv  # noqa: E402
from numeras.autodiff.ops.pooling import average_pool, max_pool  # noqa: E402

__all__ += ["conv", "conv_transpose", "depthwise_conv", "separable_conv", "max_pool", "average_pool"]
from numeras.autodiff.ops.normalization import batch_normalization, moments  # noqa: E402

__all__ += ["batch_normalization", "moments"]
from numeras.autodiff.ops.layer_normalization import layer_normalization  # noqa: E402

__all__ += ["layer_normalization"]

# The cross-entropies of keras.ops (the losses of numeras.losses build on them).
from numeras.ops.crossentropy import (  # noqa: E402
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)

__all__ += ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"]

# Keras's core, math and linalg ops are all reachable at the top; the image ops only in ops.image.
from numeras.ops import core, image, linalg, math, nn, numpy  # noqa: E402
from numeras.ops.core import *  # noqa: E402,F403
from numeras.ops.linalg import *  # noqa: E402,F403
from numeras.ops.math import *  # noqa: E402,F403

__all__ += [n for n in core.__all__ + math.__all__ + linalg.__all__ if n not in __all__]
__all__ += ["core", "image", "linalg", "math", "nn", "numpy"]

__all__ = list(dict.fromkeys(__all__))  # each name once, in the order it was added
