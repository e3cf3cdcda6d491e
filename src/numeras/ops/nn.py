"""``numeras.ops.nn``: the neural-network ops of Keras 3's ``keras.ops.nn`` that numeras has
(each also at ``numeras.ops``): activations, convolution and pooling, normalization, one-hot
encodings and the cross-entropies (which live with the losses, loaded on first use)."""

from numeras.autodiff.composites import (  # noqa: F401 - re-exported
    average_pool,
    celu,
    conv,
    conv_transpose,
    depth_to_space,
    depthwise_conv,
    elu,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    layer_normalization,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    max_pool,
    multi_hot,
    normalize,
    one_hot,
    psnr,
    relu,
    relu6,
    rms_normalization,
    selu,
    separable_conv,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    space_to_depth,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    swish,
    tanh_shrink,
    threshold,
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
__all__ = ["average_pool", "celu", "conv", "conv_transpose", "depth_to_space", "depthwise_conv", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax", "max_pool", "multi_hot", "normalize", "one_hot", "psnr", "relu", "relu6", "rms_normalization", "selu", "separable_conv", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "space_to_depth", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold", "batch_normalization", "moments"] + list(_CROSSENTROPIES)
