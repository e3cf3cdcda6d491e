"""``numeras.ops.nn``: the neural-network ops of Keras 3's ``keras.ops.nn`` that numeras has
(each also at ``numeras.ops``): activations, convolution and pooling, normalization, one-hot
encodings and the cross-entropies (``numeras.ops.crossentropy``, which the losses build on)."""

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
from numeras.ops.crossentropy import (  # noqa: F401 - re-exported
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)

_CROSSENTROPIES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")
__all__ = ["average_pool", "celu", "conv", "conv_transpose", "depth_to_space", "depthwise_conv", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax", "max_pool", "multi_hot", "normalize", "one_hot", "psnr", "relu", "relu6", "rms_normalization", "selu", "separable_conv", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "space_to_depth", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold", "batch_normalization", "moments"] + list(_CROSSENTROPIES)
