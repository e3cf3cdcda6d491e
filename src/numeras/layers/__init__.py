"""Layers: the building blocks of models, with Keras 3's names and arguments."""

from numeras.layers.core import Activation, Dense, Identity, Lambda
from numeras.layers.input_layer import Input, InputLayer
from numeras.layers.layer import Layer
from numeras.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from numeras.layers.regularization import Dropout
from numeras.layers.reshaping import Flatten, Reshape
from numeras.layers.serialization import deserialize, get, register, serialize
from numeras.saving.object_registration import register_base_class_arguments as _register_base_class_arguments
from numeras.saving.object_registration import register_builtins as _register_builtins
from numeras.symbolic import KerasTensor, Node, SymbolicTensor

_LAYERS = "layers"

__all__ = [
    "Activation",
    "Add",
    "Average",
    "Concatenate",
    "Dense",
    "Dot",
    "Dropout",
    "Flatten",
    "Identity",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Lambda",
    "Layer",
    "Maximum",
    "Minimum",
    "Multiply",
    "Node",
    "Reshape",
    "Subtract",
    "SymbolicTensor",
    "add",
    "average",
    "concatenate",
    "deserialize",
    "dot",
    "get",
    "maximum",
    "minimum",
    "multiply",
    "register",
    "serialize",
    "subtract",
]

# Convolutional networks (chapters 5, 8, 9): convolutions, pooling, normalization, noise,
# preprocessing and spatial reshaping.
from numeras.layers.convolutional import (  # noqa: E402
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from numeras.layers.noise import (  # noqa: E402
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from numeras.layers.normalization import BatchNormalization  # noqa: E402
from numeras.layers.pooling import (  # noqa: E402
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from numeras.layers.preprocessing import Rescaling  # noqa: E402
from numeras.layers.reshaping2d import (  # noqa: E402
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

_CONVNET_LAYERS = [
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    BatchNormalization,
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    DepthwiseConv1D,
    DepthwiseConv2D,
    GaussianDropout,
    GaussianNoise,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    Rescaling,
    SeparableConv1D,
    SeparableConv2D,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
]
__all__ += [
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BatchNormalization",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Rescaling",
    "SeparableConv1D",
    "SeparableConv2D",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]

from numeras.layers.layer import _ALLOWED_KWARGS  # noqa: E402
from numeras.layers.operators import KERAS_CLASSES as _KERAS_CLASSES  # noqa: E402
from numeras.layers.operators import KERAS_MODULE as _KERAS_MODULE  # noqa: E402
from numeras.layers.operators import TensorOperator  # noqa: E402

__all__ += ["TensorOperator"]

# Text and categorical inputs (chapter 11): embeddings and the TensorFlow-free preprocessing layers.
from numeras.layers.embedding import Embedding  # noqa: E402
from numeras.layers.preprocessing import (  # noqa: E402
    CategoryEncoding,
    Hashing,
    IntegerLookup,
    StringLookup,
    TextVectorization,
)

__all__ += ["CategoryEncoding", "Embedding", "Hashing", "IntegerLookup", "StringLookup", "TextVectorization"]

# Sequence masks: Masking marks padded time steps (see numeras.layers.layer on masks).
from numeras.layers.masking import Masking  # noqa: E402

__all__ += ["Masking"]


# Image augmentation, feature normalization and bucketing (chapter 8; Keras 3's preprocessing layers).
from numeras.layers.preprocessing import (  # noqa: E402
    CenterCrop,
    Discretization,
    Normalization,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Resizing,
)

__all__ += [
    "CenterCrop", "Discretization", "Normalization", "RandomBrightness", "RandomContrast", "RandomCrop",
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "Resizing",
]

# Transformers (chapter 11): layer normalization and attention.
from numeras.layers.attention import AdditiveAttention, Attention, MultiHeadAttention  # noqa: E402
from numeras.layers.layer_normalization import LayerNormalization  # noqa: E402

__all__ += ["AdditiveAttention", "Attention", "LayerNormalization", "MultiHeadAttention"]

# Activation, normalization, regularization and wrapper layers of Keras 3 beyond the above.
from numeras.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: E402
from numeras.layers.normalization_layers import GroupNormalization, UnitNormalization  # noqa: E402
from numeras.layers.permute import Permute  # noqa: E402
from numeras.layers.regularization_layers import ActivityRegularization, AlphaDropout  # noqa: E402
from numeras.layers.wrappers import SpectralNormalization, Wrapper  # noqa: E402

__all__ += [
    "ActivityRegularization",
    "AlphaDropout",
    "ELU",
    "GroupNormalization",
    "LeakyReLU",
    "PReLU",
    "Permute",
    "ReLU",
    "Softmax",
    "SpectralNormalization",
    "UnitNormalization",
    "Wrapper",
]

# Recurrent layers and sequence wrappers (chapters 6 and 10): cells, RNN, SimpleRNN/LSTM/GRU
# (fused whole-sequence ops), Bidirectional, TimeDistributed, RepeatVector.
from numeras.layers.recurrent import GRU, LSTM, RNN, SimpleRNN  # noqa: E402
from numeras.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells  # noqa: E402
from numeras.layers.rnn_wrappers import Bidirectional, RepeatVector, TimeDistributed  # noqa: E402

__all__ += [
    "Bidirectional", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RepeatVector", "SimpleRNN", "SimpleRNNCell",
    "StackedRNNCells", "TimeDistributed",
]

# -- keep this block last: it registers every layer class imported above ----------------------
def _is_layer_class(value) -> bool:
    return isinstance(value, type) and issubclass(value, Layer)


# Every layer class above, loadable by name (saved models, ``deserialize``).
_register_builtins(_LAYERS, {name: globals()[name] for name in __all__ if _is_layer_class(globals()[name])})
_register_builtins("keras_operations", {f"{_KERAS_MODULE}>{name}": TensorOperator for name in _KERAS_CLASSES.values()})
_register_base_class_arguments(Layer, _ALLOWED_KWARGS)
