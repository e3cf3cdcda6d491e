"""numeras.autodiff.ops.resize, the one source of interpolation weights and the resize primitive,
against the weights of jax.image.resize and tf.image.resize and against Keras's resizes
(fixtures/make_resize_fixtures.py wrote them with real JAX, TensorFlow and Keras 3.15.1)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from numeras import layers, ops
from numeras.autodiff.ops.resize import FLAVOURS, INTERPOLATIONS, interpolation_weights, resample_axis, resize
from numeras.testing import gradcheck
from numeras.testing.gradient_check import check_dtype_preserved
from numeras.utils import smart_resize

EXPECTED = np.load(pathlib.Path(__file__).parent / "fixtures" / "resize_expected.npz")
WEIGHT_KEYS = [key for key in EXPECTED.files if key.startswith(("jax/", "tensorflow/"))]
JAX_METHODS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


@pytest.mark.parametrize("key", WEIGHT_KEYS)
def test_weights_equal_the_library_they_follow(key):
    library, method, antialias, in_size, out_size = key.split("/")
    weights = interpolation_weights(int(in_size), int(out_size), method, flavour=library, antialias=antialias == "True")
    # The libraries place samples in float32, numeras in float64.
    np.testing.assert_allclose(weights, EXPECTED[key], atol=2e-6)


def test_the_flavours_differ_only_in_bicubic_without_antialiasing():
    for method in INTERPOLATIONS:
        for antialias in (False, True):
            for in_size, out_size in ((9, 5), (9, 13), (37, 18)):
                jax_weights, tensorflow_weights = (
                    interpolation_weights(in_size, out_size, method, flavour, antialias) for flavour in FLAVOURS
                )
                if method == "bicubic" and not antialias:
                    # TensorFlow's 1024-entry table moves weights by up to ~6e-4.
                    assert 1e-4 < np.abs(jax_weights - tensorflow_weights).max() < 1e-3
                else:
                    np.testing.assert_array_equal(jax_weights, tensorflow_weights)


def test_weights_are_cached_and_read_only():
    first = interpolation_weights(9, 5, "lanczos3", "tensorflow", True)
    assert interpolation_weights(9, 5, "lanczos3", "tensorflow", True) is first
    with pytest.raises(ValueError, match="read-only"):
        first[0, 0] = 1.0


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize(("flavour", "antialias"), [("jax", True), ("tensorflow", False), ("tensorflow", True)])
def test_resize_gradcheck_in_every_flavour(interpolation, flavour, antialias):
    x = np.random.default_rng(5).normal(size=(2, 7, 5, 2))
    assert gradcheck(lambda v: resize(v, (3, 8), interpolation, flavour, antialias), x)


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "area", "gaussian"])
def test_float32_stays_float32_forward_and_backward(interpolation):
    x = np.random.default_rng(6).normal(size=(1, 40, 6, 3))
    # (40 -> 13 rows: the banded path; 6 -> 11 columns: the dense product.)
    check_dtype_preserved(lambda v: resize(v, (13, 11), interpolation, "tensorflow", True), x)
    assert resize(x.astype("float32"), (13, 11), interpolation).dtype == "float32"


def test_bad_arguments_name_what_was_expected():
    x = np.zeros((1, 4, 4, 1))
    with pytest.raises(ValueError, match="`flavour` must be one of"):
        resize(x, (2, 2), "bilinear", flavour="torch")
    with pytest.raises(ValueError, match="`size` must be two positive integers"):
        resize(x, (0, 2))
    with pytest.raises(ValueError, match="`interpolation` must be one of"):
        interpolation_weights(4, 2, "cubic")


@pytest.mark.parametrize("method", JAX_METHODS)
@pytest.mark.parametrize("size", [(4, 6), (13, 16)])
def test_ops_image_resize_antialias_equals_keras(method, size):
    out = ops.image.resize(EXPECTED["image"], size, interpolation=method, antialias=True)
    np.testing.assert_allclose(out.numpy(), EXPECTED[f"ops_resize/{method}/{size[0]}x{size[1]}"], rtol=1e-5, atol=2e-3)


def test_resizing_layer_antialiased_bicubic_growth_is_exact_as_in_tensorflow_and_jax():
    # With antialias=True TensorFlow computes bicubic exactly even when growing (no table).
    out = layers.Resizing(13, 16, interpolation="bicubic", antialias=True)(EXPECTED["image"])
    np.testing.assert_allclose(out.numpy(), EXPECTED["ops_resize/bicubic/13x16"], rtol=1e-5, atol=2e-3)


@pytest.mark.parametrize("method", JAX_METHODS)
def test_smart_resize_follows_the_keras_backend(method):
    out = smart_resize(EXPECTED["image"][0], (5, 7), interpolation=method)
    np.testing.assert_allclose(out, EXPECTED[f"smart_resize/{method}"], rtol=1e-5, atol=2e-3)


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "lanczos3"])
def test_upsampling2d_is_ops_image_resize(interpolation):
    # Keras's UpSampling2D calls keras.ops.image.resize; so does numeras's.
    x = np.random.default_rng(8).normal(size=(2, 3, 2, 5)).astype("float32")
    up = layers.UpSampling2D((2, 3), data_format="channels_first", interpolation=interpolation)(x)
    resized = ops.image.resize(x, (4, 15), interpolation=interpolation, data_format="channels_first")
    np.testing.assert_array_equal(up.numpy(), resized.numpy())


def test_resample_axis_reads_integers_without_a_float_copy_and_equals_the_float_path():
    pixels = np.random.default_rng(9).integers(0, 256, (30, 8, 3)).astype("uint8")
    from_integers = resample_axis(pixels, 0, 11, "bicubic", "tensorflow", dtype=np.float32)
    from_floats = resample_axis(pixels.astype("float32"), 0, 11, "bicubic", "tensorflow")
    assert from_integers.dtype == np.float32
    np.testing.assert_allclose(from_integers, from_floats, rtol=1e-6, atol=1e-4)
    expected = np.einsum("oh,hwc->owc", interpolation_weights(30, 11, "bicubic", "tensorflow"), pixels.astype("float64"))
    np.testing.assert_allclose(from_integers, expected, rtol=1e-5, atol=1e-3)
