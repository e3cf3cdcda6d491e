"""load_img / img_to_array / array_to_img / save_img / smart_resize, and the NumPy resize that
image_dataset_from_directory uses, against Keras's outputs (fixtures written by Keras 3)."""

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from numeras.utils import array_to_img, img_to_array, load_img, save_img, smart_resize
from numeras.utils.image_utils import INTERPOLATIONS, resize_image

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = np.load(FIXTURES / "image_utils_expected.npz")
JPEG = FIXTURES / "images" / "cow" / "c0.jpg"


def test_smart_resize_equals_keras():
    image = EXPECTED["smart_resize/input"]
    np.testing.assert_allclose(smart_resize(image, (6, 6)), EXPECTED["smart_resize/output"], atol=1e-3)
    np.testing.assert_allclose(smart_resize(image, (4, 9)), EXPECTED["smart_resize/output_wide"], atol=1e-3)
    batch = smart_resize(np.stack([image, image]), (6, 6))
    assert batch.shape == (2, 6, 6, 3)
    first = smart_resize(image.transpose(2, 0, 1), (6, 6), data_format="channels_first")
    np.testing.assert_allclose(first.transpose(1, 2, 0), EXPECTED["smart_resize/output"], atol=1e-3)
    with pytest.raises(ValueError, match="rank|shape"):
        smart_resize(np.zeros((4, 4)), (2, 2))


def test_load_img_equals_keras():
    np.testing.assert_array_equal(img_to_array(load_img(JPEG)), EXPECTED["load_img/default"])
    np.testing.assert_array_equal(img_to_array(load_img(str(JPEG), target_size=(5, 7))), EXPECTED["load_img/target"])
    aspect = load_img(JPEG, color_mode="grayscale", target_size=(5, 7), keep_aspect_ratio=True)
    np.testing.assert_array_equal(img_to_array(aspect), EXPECTED["load_img/aspect"])
    with pytest.raises(ValueError, match="color_mode"):
        load_img(JPEG, color_mode="cmyk")
    with pytest.raises(TypeError, match="path"):
        load_img(123)


def test_img_to_array_and_back():
    pixels = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype("float32")
    image = array_to_img(pixels, scale=False)
    assert image.size == (7, 5) and image.mode == "RGB"
    array = img_to_array(image)
    np.testing.assert_array_equal(array, pixels)
    assert array.dtype == np.float32
    assert img_to_array(image, data_format="channels_first").shape == (3, 5, 7)
    gray = Image.fromarray(pixels[..., 0].astype("uint8"))
    assert img_to_array(gray).shape == (5, 7, 1) and img_to_array(gray, data_format="channels_first").shape == (1, 5, 7)
    scaled = img_to_array(array_to_img(np.linspace(-1, 1, 20).reshape(4, 5, 1)))
    assert scaled.min() == 0 and scaled.max() == 255
    assert array_to_img(np.full((2, 2, 1), 1000.0), scale=False).mode == "I"
    assert array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    with pytest.raises(ValueError, match="rank 3"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channels"):
        array_to_img(np.zeros((2, 2, 2)))


def test_save_img_roundtrip_and_jpeg_rgba_warning(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 256, (6, 4, 3)).astype("float32")
    save_img(tmp_path / "x.png", pixels, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(tmp_path / "x.png")), pixels)
    with pytest.warns(UserWarning, match="RGBA"):
        save_img(tmp_path / "y.jpg", np.zeros((4, 4, 4)))
    assert Image.open(tmp_path / "y.jpg").format == "JPEG"


def test_resize_identity_constant_and_linear_ramps():
    image = np.random.default_rng(2).uniform(0, 255, (9, 7, 2)).astype("float32")
    for method in INTERPOLATIONS:
        np.testing.assert_array_equal(resize_image(image, (9, 7), method), image)
        constant = resize_image(np.full((9, 7, 1), 42.0, "float32"), (4, 11), method)
        np.testing.assert_allclose(constant, 42.0, rtol=1e-5)
    # Bilinear reproduces a linear ramp exactly away from the borders.
    ramp = np.tile(np.arange(8, dtype="float32")[None, :, None], (3, 1, 1))
    upsampled = resize_image(ramp, (3, 16), "bilinear")[0, 1:-1, 0]
    np.testing.assert_allclose(upsampled, (np.arange(1, 15) + 0.5) / 2 - 0.5, atol=1e-5)
    with pytest.raises(ValueError, match="interpolation"):
        resize_image(image, (3, 3), "cubic")


def test_resize_reads_only_the_kernel_taps_and_equals_the_full_weight_product():
    """The resize gathers each output's few nonzero taps; summing them must give the product with
    the full (output x input) weight matrices, for shrinking, growing, one axis only, uint8 input."""
    from numeras.utils.image_utils import _weights

    rng = np.random.default_rng(3)
    shapes = [((37, 50), (18, 18)), ((7, 9), (20, 3)), ((18, 18), (18, 9)), ((1, 9), (4, 4)), ((13, 17), (13, 40))]
    for method in INTERPOLATIONS:
        for (height, width), (out_height, out_width) in shapes:
            pixels = rng.integers(0, 256, (height, width, 3)).astype("uint8")
            rows, cols = _weights(height, out_height, method), _weights(width, out_width, method)
            by_rows = (rows.astype("float64") @ pixels.reshape(height, -1)).reshape(out_height, width, 3)
            expected = np.matmul(cols.astype("float64"), by_rows)
            resized = resize_image(pixels, (out_height, out_width), method)
            assert resized.dtype == np.float32 and resized.shape == (out_height, out_width, 3)
            np.testing.assert_allclose(resized, expected, atol=2e-3, err_msg=f"{method} {height}x{width}")


def test_without_pillow_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "numeras\[image\]"'):
        load_img(JPEG)
    with pytest.raises(ImportError, match=r'pip install "numeras\[image\]"'):
        array_to_img(np.zeros((2, 2, 3)))
