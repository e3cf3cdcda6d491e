"""Pooling layers: output shapes, values, gradients (first maximum on ties), configs, aliases."""

import numpy as np
import pytest
from conv_layer_checks import assert_config_round_trip, assert_output_shape, layer_gradcheck

from numeras import layers
from numeras.autodiff import GradientTape, Tensor

CASES = [
    ("max1d", lambda: layers.MaxPooling1D(dtype="float64"), (2, 9, 3)),
    ("max1d_same", lambda: layers.MaxPooling1D(3, strides=2, padding="same", dtype="float64"), (2, 9, 3)),
    ("max2d", lambda: layers.MaxPooling2D(dtype="float64"), (2, 7, 6, 3)),
    ("max2d_overlap_same", lambda: layers.MaxPooling2D(3, strides=2, padding="same", dtype="float64"), (2, 7, 6, 3)),
    ("max2d_channels_first", lambda: layers.MaxPooling2D(2, data_format="channels_first", dtype="float64"), (2, 3, 6, 7)),
    ("max3d", lambda: layers.MaxPooling3D(dtype="float64"), (2, 4, 5, 4, 2)),
    ("avg1d", lambda: layers.AveragePooling1D(dtype="float64"), (2, 9, 3)),
    ("avg2d", lambda: layers.AveragePooling2D((2, 3), dtype="float64"), (2, 7, 6, 3)),
    ("avg2d_same", lambda: layers.AveragePooling2D(3, strides=2, padding="same", dtype="float64"), (2, 7, 6, 3)),
    ("avg3d", lambda: layers.AveragePooling3D(dtype="float64"), (2, 4, 5, 4, 2)),
    ("global_avg1d", lambda: layers.GlobalAveragePooling1D(dtype="float64"), (2, 9, 3)),
    ("global_avg2d", lambda: layers.GlobalAveragePooling2D(dtype="float64"), (2, 7, 6, 3)),
    ("global_avg2d_keepdims", lambda: layers.GlobalAveragePooling2D(keepdims=True, dtype="float64"), (2, 7, 6, 3)),
    ("global_max2d", lambda: layers.GlobalMaxPooling2D(dtype="float64"), (2, 7, 6, 3)),
    ("global_max2d_channels_first", lambda: layers.GlobalMaxPooling2D(data_format="channels_first", dtype="float64"), (2, 3, 6, 7)),
    ("global_max3d", lambda: layers.GlobalMaxPooling3D(dtype="float64"), (2, 4, 5, 4, 2)),
]


@pytest.mark.parametrize("factory, shape", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pooling_layer_shapes_gradients_and_config(factory, shape):
    rng = np.random.default_rng(0)
    size = int(np.prod(shape))
    x = (rng.permutation(size).reshape(shape) - size / 2) * 0.01  # distinct values: no ties
    layer = factory()
    out = assert_output_shape(layer, x)
    assert layer.count_params() == 0 and out.dtype == "float64"
    assert layer_gradcheck(layer, x)
    assert_config_round_trip(layer)


def test_max_pooling_2d_values_and_keras_defaults():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    layer = layers.MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    np.testing.assert_array_equal(layer(x).numpy()[0, :, :, 0], [[5, 7], [13, 15]])
    avg = layers.AveragePooling2D()(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(avg, [[2.5, 4.5], [10.5, 12.5]])
    assert layers.MaxPooling2D(2, strides=1).compute_output_shape((None, 4, 4, 1)) == (None, 3, 3, 1)


def test_mnist_background_ties_send_the_gradient_to_one_entry_per_window():
    # A blank 26x26 map with a short stroke: most 2x2 windows are four tied zeros.
    x = np.zeros((1, 26, 26, 1), dtype="float32")
    x[0, 10, 5:9, 0] = 0.5
    t = Tensor(x)
    with GradientTape() as tape:
        tape.watch(t)
        total = layers.MaxPooling2D(2)(t)
        total = total.sum()
    grad = tape.gradient(total, t).numpy()[0, :, :, 0]
    assert grad.sum() == 13 * 13  # one unit of gradient per window, never one per tied entry
    assert set(np.unique(grad)) == {0.0, 1.0}
    # Blank windows credit their top-left entry; the stroke's windows credit the stroke, and the
    # window holding two equal stroke pixels (columns 6 and 7) credits the first.
    assert grad[0, 0] == 1 and grad[0, 1] == grad[1, 0] == grad[1, 1] == 0
    assert grad[10, 4:10].tolist() == [0, 1, 1, 0, 1, 0]


def test_pooling_aliases_and_errors():
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    with pytest.raises(ValueError, match="`pool_size` must hold positive ints"):
        layers.MaxPooling2D(0)
    with pytest.raises(ValueError, match="expected inputs of rank 4"):
        layers.MaxPooling2D()(np.zeros((2, 8, 8), dtype="float32"))
    with pytest.raises(ValueError, match="`padding` must be one of"):
        layers.AveragePooling2D(padding="full")
