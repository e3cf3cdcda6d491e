"""Convolution layers: Keras's weight shapes and parameter counts, output shapes, gradients through
the layer (inputs and weights, float64), config round trips and a training step."""

import numpy as np
import pytest
from conv_layer_checks import (
    assert_config_round_trip,
    assert_output_shape,
    assert_training_step_lowers_loss,
    layer_gradcheck,
)

from numeras import layers, models, ops

# (label, factory, input shape, weight shapes in Keras's order, parameter count)
CASES = [
    ("conv1d", lambda: layers.Conv1D(4, 3, dtype="float64"), (2, 9, 5), [(3, 5, 4), (4,)], 64),
    ("conv1d_causal_dilated", lambda: layers.Conv1D(3, 2, padding="causal", dilation_rate=2, dtype="float64"),
     (2, 7, 2), [(2, 2, 3), (3,)], 15),
    ("conv2d", lambda: layers.Conv2D(4, 3, dtype="float64"), (2, 7, 6, 3), [(3, 3, 3, 4), (4,)], 112),
    ("conv2d_same_strided", lambda: layers.Conv2D(4, (3, 2), strides=2, padding="same", dtype="float64"),
     (2, 7, 6, 3), [(3, 2, 3, 4), (4,)], 76),
    ("conv2d_groups", lambda: layers.Conv2D(6, 3, groups=2, use_bias=False, dtype="float64"),
     (2, 6, 6, 4), [(3, 3, 2, 6)], 108),
    ("conv2d_channels_first", lambda: layers.Conv2D(4, 3, data_format="channels_first", dtype="float64"),
     (2, 3, 7, 6), [(3, 3, 3, 4), (4,)], 112),
    ("conv3d", lambda: layers.Conv3D(2, 2, dtype="float64"), (2, 4, 5, 4, 2), [(2, 2, 2, 2, 2), (2,)], 34),
    ("conv1d_transpose", lambda: layers.Conv1DTranspose(3, 3, strides=2, dtype="float64"),
     (2, 5, 4), [(3, 3, 4), (3,)], 39),
    ("conv2d_transpose", lambda: layers.Conv2DTranspose(3, 3, strides=2, padding="same", dtype="float64"),
     (2, 4, 3, 4), [(3, 3, 3, 4), (3,)], 111),
    ("conv2d_transpose_output_padding",
     lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=1, dtype="float64"),
     (2, 3, 3, 2), [(3, 3, 2, 2), (2,)], 38),
    ("conv3d_transpose", lambda: layers.Conv3DTranspose(2, 2, strides=2, dtype="float64"),
     (1, 2, 3, 2, 2), [(2, 2, 2, 2, 2), (2,)], 34),
    ("depthwise2d", lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, dtype="float64"),
     (2, 6, 5, 3), [(3, 3, 3, 2), (6,)], 60),
    ("depthwise1d", lambda: layers.DepthwiseConv1D(3, padding="same", dtype="float64"),
     (2, 7, 3), [(3, 3, 1), (3,)], 12),
    ("separable2d", lambda: layers.SeparableConv2D(5, 3, depth_multiplier=2, padding="same", dtype="float64"),
     (2, 5, 5, 3), [(3, 3, 3, 2), (1, 1, 6, 5), (5,)], 89),
    ("separable1d", lambda: layers.SeparableConv1D(4, 3, strides=2, dtype="float64"),
     (2, 9, 3), [(3, 3, 1), (1, 3, 4), (4,)], 25),
]


@pytest.fixture(params=CASES, ids=[case[0] for case in CASES])
def case(request):
    label, factory, shape, weight_shapes, params = request.param
    x = np.random.default_rng(0).normal(size=shape)
    return factory, x, weight_shapes, params


def test_weights_parameter_count_and_output_shape(case):
    factory, x, weight_shapes, params = case
    layer = factory()
    out = assert_output_shape(layer, x)
    assert [tuple(w.shape) for w in layer.weights] == weight_shapes
    assert layer.count_params() == params
    assert out.dtype == "float64"


def test_gradients_through_the_layer_match_finite_differences(case):
    factory, x, _, _ = case
    assert layer_gradcheck(factory(), x)


def test_config_round_trip_and_training_step(case):
    factory, x, _, _ = case
    layer = factory()
    layer(x)
    clone = assert_config_round_trip(layer)
    assert_output_shape(clone, x)
    assert_training_step_lowers_loss(layer, x)


def test_conv2d_computes_activation_of_conv_plus_bias():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 6, 3)).astype("float32")
    layer = layers.Conv2D(4, 3, activation="relu", bias_initializer="random_normal")
    y = layer(x).numpy()
    expected = np.maximum(ops.conv(x, layer.kernel).numpy() + layer.bias.numpy(), 0)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert y.dtype == np.float32
    tanh = layers.Conv2D(4, 3, activation="tanh", padding="same")
    np.testing.assert_allclose(
        tanh(x).numpy(), np.tanh(ops.conv(x, tanh.kernel, padding="same").numpy()), rtol=1e-5, atol=1e-6
    )


def test_fused_relu_gradients_through_the_layer():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 6, 6, 2))
    layer = layers.Conv2D(3, 3, activation="relu", bias_initializer="random_normal", dtype="float64")
    layer.build(x.shape)
    pre = ops.conv(x, layer.kernel).numpy() + layer.bias.numpy()
    assert np.abs(pre).min() > 1e-4  # finite differences stay on one side of relu's kink
    assert layer_gradcheck(layer, x)


def test_book_listing_5_1_shapes_and_parameter_counts():
    model = models.Sequential(
        [
            layers.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    shapes = [layer.output_shape for layer in model.layers]
    assert shapes == [
        (None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64), (None, 5, 5, 64), (None, 3, 3, 64),
        (None, 576), (None, 64), (None, 10),
    ]
    assert [layer.count_params() for layer in model.layers] == [320, 0, 18496, 0, 36928, 0, 36928, 650]
    assert model.count_params() == 93322
    out = model(np.zeros((3, 28, 28, 1), dtype="float32"))
    assert out.shape == (3, 10) and out.dtype == "float32"


def test_kernel_initializer_uses_the_receptive_field():
    layer = layers.Conv2D(64, 3)
    layer.build((None, 13, 13, 32))
    limit = np.sqrt(6 / (3 * 3 * 32 + 3 * 3 * 64))
    kernel = layer.kernel.numpy()
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]


def test_separable_and_depthwise_weight_names_follow_keras():
    separable = layers.SeparableConv2D(4, 3)
    separable.build((None, 8, 8, 3))
    assert [w.name for w in separable.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    depthwise = layers.DepthwiseConv2D(3)
    depthwise.build((None, 8, 8, 3))
    assert [w.name for w in depthwise.weights] == ["kernel", "bias"]


def test_errors_name_the_argument_and_the_fix():
    with pytest.raises(ValueError, match="`filters` must be a positive integer"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match="`kernel_size` must be an int or a tuple of 2 ints"):
        layers.Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match="divisible by `groups`"):
        layers.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="together with `dilation_rate`"):
        layers.Conv2D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="causal"):
        layers.Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match=r"x.reshape\(\(-1, 28, 28, 1\)\)"):
        layers.Conv2D(4, 3)(np.zeros((2, 28, 28), dtype="float32"))
    with pytest.raises(ValueError, match="input channels \\(3\\) must be divisible by `groups` \\(2\\)"):
        layers.Conv2D(4, 3, groups=2).build((None, 8, 8, 3))
    with pytest.raises(ValueError, match="output_padding"):
        layers.Conv2DTranspose(4, 3, strides=2, output_padding=2)
