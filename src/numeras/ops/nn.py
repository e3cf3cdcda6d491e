"""``numeras.ops.nn``: the neural-network ops of Keras 3's ``keras.ops.nn`` that numeras has
(each also at ``numeras.ops``): activations, convolution and pooling, normalization, one-hot
encodings and the cross-entropies (which live with the losses, loaded on first use)."""

from numeras.autodiff.composites import (  # noqa: F401 - re-exported
    average_pool,
    conv,
    conv_transpose,
    depthwise_conv,
    elu,
    gelu,
    hard_sigmoid,
    hard_silu,
    leaky_relu,
    log_softmax,
    max_pool,
    one_hot,
    relu,
    relu6,
    selu,
    separable_conv,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
)
from numeras.autodiff.ops.normalization import (  # noqa: F401 - re-exported
    batch_normalization,
    moments,
)


def __getattr__(name: str):
    if name in _CROSSENTROPIES:
        from numeras.losses import functions

        return getattr(functions, name)
    raise AttributeError(f"module 'numeras.ops.nn' has no attribute {name!r}")


_CROSSENTROPIES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")
__all__ = ["average_pool", "conv", "conv_transpose", "depthwise_conv", "elu", "gelu", "hard_sigmoid", "hard_silu", "leaky_relu", "log_softmax", "max_pool", "one_hot", "relu", "relu6", "selu", "separable_conv", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "batch_normalization", "moments"] + list(_CROSSENTROPIES)
