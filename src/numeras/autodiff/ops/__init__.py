"""Primitives: the only ops with VJPs of their own. Everything else is composed from these."""

from numeras.autodiff.ops import elementwise, linalg, nn, reduction, shape
from numeras.autodiff.ops._core import as_tensor, constant, record
from numeras.autodiff.ops.elementwise import (
    abs,
    add,
    cast,
    clip,
    divide,
    erf,
    exp,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    relu,
    sigmoid,
    sign,
    sqrt,
    stop_gradient,
    subtract,
    tanh,
    where,
)
from numeras.autodiff.ops.linalg import dense, matmul
from numeras.autodiff.ops.nn import (
    log_softmax,
    sigmoid_cross_entropy,
    softmax,
    softmax_cross_entropy,
    sparse_softmax_cross_entropy,
)
from numeras.autodiff.ops.reduction import argmax, argmin, max, sum
from numeras.autodiff.ops.shape import (
    broadcast_to,
    concatenate,
    getitem,
    pad,
    reshape,
    take_along_axis,
    transpose,
)

PRIMITIVES = (
    "abs add cast clip divide erf exp log log1p maximum minimum multiply negative power relu "
    "sigmoid sqrt subtract tanh where matmul dense log_softmax softmax softmax_cross_entropy "
    "sparse_softmax_cross_entropy sigmoid_cross_entropy max sum broadcast_to concatenate getitem "
    "pad reshape take_along_axis transpose"
).split()
"""Names of the ops that carry their own VJP (listed for readers and for the test harness)."""

# Spelled out (not PRIMITIVES + [...]) so that linters see these imports are re-exported.
__all__ = [
    "abs", "add", "cast", "clip", "divide", "erf", "exp", "log", "log1p", "maximum", "minimum",
    "multiply", "negative", "power", "relu", "sigmoid", "sqrt", "subtract", "tanh", "where", "matmul",
    "dense",
    "log_softmax", "softmax", "softmax_cross_entropy", "sparse_softmax_cross_entropy",
    "sigmoid_cross_entropy", "max", "sum", "broadcast_to", "concatenate", "getitem", "pad", "reshape",
    "take_along_axis", "transpose",
    "argmax", "argmin", "sign", "stop_gradient", "as_tensor", "constant", "record",
    "elementwise", "linalg", "nn", "reduction", "shape",
]
assert set(PRIMITIVES) <= set(__all__)

# Convolution and pooling primitives (numeras.ops exposes them under Keras 3's names).
from numeras.autodiff.ops.convolution import conv, conv_transpose, depthwise_conv, separable_conv  # noqa: E402
from numeras.autodiff.ops.gather import take_rows  # noqa: E402
from numeras.autodiff.ops.pooling import average_pool, max_pool  # noqa: E402

PRIMITIVES += ["conv", "conv_transpose", "max_pool", "average_pool", "take_rows"]
__all__ += ["conv", "conv_transpose", "depthwise_conv", "separable_conv", "max_pool", "average_pool", "take_rows"]

# Whole-sequence recurrent primitives (SimpleRNN, LSTM, GRU); the recurrent layers call them.
from numeras.autodiff.ops.recurrent import gru, lstm, simple_rnn  # noqa: E402

PRIMITIVES += ["simple_rnn", "lstm", "gru"]
__all__ += ["simple_rnn", "lstm", "gru"]
# Element-wise functions, running sums and products, scatters, einsum and linear algebra.
from numeras.autodiff.ops import accumulate, decompositions, elementary  # noqa: E402
from numeras.autodiff.ops.accumulate import *  # noqa: E402,F403 - cumsum, cumprod, prod
from numeras.autodiff.ops.decompositions import *  # noqa: E402,F403 - solve, inv, det, cholesky...
from numeras.autodiff.ops.einsum import *  # noqa: E402,F403 - einsum (the op; the module keeps its name)
from numeras.autodiff.ops.elementary import *  # noqa: E402,F403 - sin, cos, ..., mod, floor, round
from numeras.autodiff.ops.scatter import *  # noqa: E402,F403 - scatter, scatter_update, slice_update

_DIFFERENTIABLE_MORE = (
    "sin cos tan arcsin arccos arctan sinh cosh arcsinh arccosh arctanh expm1 log2 log10 cbrt rsqrt "
    "erfinv arctan2 mod cumsum cumprod prod scatter scatter_update slice_update einsum inv solve det "
    "slogdet cholesky eigh"
).split()
PRIMITIVES += _DIFFERENTIABLE_MORE
__all__ += _DIFFERENTIABLE_MORE + [n for n in elementary.__all__ if n not in _DIFFERENTIABLE_MORE]
__all__ += ["accumulate", "decompositions", "elementary"]
