"""Image preprocessing and augmentation layers against Keras 3.15 (fixtures written by
fixtures/make_image_preprocessing_fixtures.py), plus the statistics, seeding and training-only
behaviour of the random layers, their use in models and in Dataset.map, and the resize gradient."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import numeras
from numeras import layers
from numeras.layers.preprocessing.image_preprocessing import affine_transform, resize_images
from numeras.testing import gradcheck

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
EXPECTED = np.load(FIXTURES / "image_preprocessing_expected.npz")
CONFIGS = json.loads((FIXTURES / "image_preprocessing_configs.json").read_text())
IMAGES = EXPECTED["images"]
CHANNELS_FIRST = EXPECTED["channels_first_images"]


def _from_keras_config(key: str) -> layers.Layer:
    entry = CONFIGS[key]
    return layers.deserialize({"class_name": entry["class_name"], "config": dict(entry["config"])})


def _input_for(key: str) -> np.ndarray:
    if "channels_first" in key:
        return CHANNELS_FIRST
    if key == "resizing_unbatched":
        return IMAGES[0]
    if key == "brightness_fixed_unit_range":
        return IMAGES / 255
    return IMAGES


DETERMINISTIC = [
    key for key in CONFIGS if key.startswith(("resizing_", "center_crop", "rescaling"))
]
FIXED_RANDOM = [
    key
    for key in CONFIGS
    if key.startswith(("rotation_", "zoom_", "translation_", "contrast_", "brightness_", "random_crop_"))
]


@pytest.mark.parametrize("key", DETERMINISTIC)
def test_deterministic_layers_match_keras(key):
    layer = _from_keras_config(key)
    out = layer(_input_for(key))
    assert out.dtype == "float32"
    if "bicubic" in key and "antialias" not in key:
        # Without antialiasing numeras reads bicubic weights from TensorFlow's 1024-entry table
        # (Keras's TF backend); Keras's JAX backend computes them exactly, which moves pixels by
        # a fraction of a level. The antialiased path computes them exactly in both.
        np.testing.assert_allclose(out.numpy(), EXPECTED[key + "_tensorflow"], rtol=1e-5, atol=2e-3)
        np.testing.assert_allclose(out.numpy(), EXPECTED[key], atol=0.5)
    else:
        # Pixel values are up to 255: float32 differences of a few ulps at that magnitude.
        np.testing.assert_allclose(out.numpy(), EXPECTED[key], rtol=1e-5, atol=2e-3)
    assert tuple(layer.compute_output_shape(EXPECTED[key].shape)) == EXPECTED[key].shape


@pytest.mark.parametrize("key", FIXED_RANDOM)
def test_random_layers_with_a_fixed_draw_match_keras(key):
    layer = _from_keras_config(key)
    out = layer(_input_for(key), training=True).numpy()
    np.testing.assert_allclose(out, EXPECTED[key], rtol=1e-5, atol=2e-3)


@pytest.mark.parametrize("key", [key for key in CONFIGS if key.startswith("default_") or key in DETERMINISTIC + FIXED_RANDOM])
def test_config_keys_and_values_match_keras(key):
    layer = _from_keras_config(key)
    ours = layer.get_config()
    theirs = CONFIGS[key]["config"]
    assert set(theirs) <= set(ours), f"missing config keys {set(theirs) - set(ours)}"
    for name, value in theirs.items():
        mine = ours[name]
        if isinstance(mine, tuple):
            mine = list(mine)
        assert mine == value or (isinstance(value, float) and np.isclose(mine, value)), (name, mine, value)
    rebuilt = type(layer).from_config(ours)
    assert rebuilt.get_config() == ours


# --- the resampler itself ----------------------------------------------------------------------


def test_identity_transform_returns_the_images():
    identity = np.tile(np.array([1, 0, 0, 0, 1, 0, 0, 0], np.float32), (2, 1))
    for mode in ("reflect", "wrap", "constant", "nearest"):
        for interpolation in ("bilinear", "nearest"):
            out = affine_transform(IMAGES, identity, interpolation, mode)
            np.testing.assert_allclose(out, IMAGES, rtol=1e-6)


def test_each_image_gets_its_own_transform():
    shift_right = [1, 0, -1, 0, 1, 0, 0, 0]
    identity = [1, 0, 0, 0, 1, 0, 0, 0]
    out = affine_transform(IMAGES, np.array([shift_right, identity], np.float32), "nearest", "constant", 5.0)
    np.testing.assert_array_equal(out[0, :, 1:], IMAGES[0, :, :-1])
    np.testing.assert_array_equal(out[0, :, 0], np.full((9, 3), 5.0, np.float32))
    np.testing.assert_array_equal(out[1], IMAGES[1])


def test_affine_transform_rejects_unknown_modes():
    with pytest.raises(ValueError, match="fill_mode"):
        affine_transform(IMAGES, np.zeros((2, 8)), fill_mode="mirror-ish")
    with pytest.raises(ValueError, match="interpolation"):
        affine_transform(IMAGES, np.zeros((2, 8)), interpolation="bicubic")


# --- random layers: training only, seeds, statistics -------------------------------------------

RANDOM_LAYERS = [
    lambda seed: layers.RandomFlip("horizontal_and_vertical", seed=seed),
    lambda seed: layers.RandomRotation(0.2, seed=seed),
    lambda seed: layers.RandomZoom(0.3, 0.2, seed=seed),
    lambda seed: layers.RandomTranslation(0.2, 0.3, seed=seed),
    lambda seed: layers.RandomContrast(0.5, seed=seed),
    lambda seed: layers.RandomBrightness(0.3, seed=seed),
    lambda seed: layers.RandomCrop(5, 6, seed=seed),
]


@pytest.mark.parametrize("make", RANDOM_LAYERS)
def test_random_layers_are_identity_at_inference(make):
    layer = make(1)
    out = layer(IMAGES, training=False)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), IMAGES)


@pytest.mark.parametrize("make", RANDOM_LAYERS)
def test_random_layers_change_images_in_training_and_by_default(make):
    layer = make(2)
    trained = layer(IMAGES, training=True).numpy()
    default = layer(IMAGES).numpy()  # Keras's call signature defaults to training=True
    for out in (trained, default):
        assert out.shape != IMAGES.shape or not np.array_equal(out, IMAGES)


@pytest.mark.parametrize("make", RANDOM_LAYERS)
def test_same_seed_same_augmentations(make):
    first, second, other = make(7), make(7), make(8)
    a = [first(IMAGES, training=True).numpy() for _ in range(3)]
    b = [second(IMAGES, training=True).numpy() for _ in range(3)]
    c = [other(IMAGES, training=True).numpy() for _ in range(3)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not all(np.array_equal(x, z) for x, z in zip(a, c))
    # Successive calls draw anew.
    assert not np.array_equal(a[0], a[1]) or not np.array_equal(a[1], a[2])


def test_global_seed_makes_unseeded_layers_reproducible():
    outputs = []
    for _ in range(2):
        numeras.utils.set_random_seed(11)
        outputs.append(layers.RandomRotation(0.3)(IMAGES, training=True).numpy())
    np.testing.assert_array_equal(*outputs)


def test_flip_rate_is_one_half_and_each_output_is_the_image_or_its_mirror():
    images = np.random.default_rng(0).random((400, 4, 5, 1)).astype("float32")
    layer = layers.RandomFlip("horizontal", seed=3)
    out = layer(images).numpy()
    flipped = np.all(out == images[:, :, ::-1], axis=(1, 2, 3))
    kept = np.all(out == images, axis=(1, 2, 3))
    assert np.all(flipped ^ kept)
    assert 0.42 < flipped.mean() < 0.58

    vertical = layers.RandomFlip("vertical", seed=3)(images).numpy()
    assert np.all(np.all(vertical == images[:, ::-1], axis=(1, 2, 3)) | np.all(vertical == images, axis=(1, 2, 3)))
    both = layers.RandomFlip(seed=3)(images).numpy()
    assert np.all(np.all(both == images[:, ::-1, ::-1], axis=(1, 2, 3)) | np.all(both == images, axis=(1, 2, 3)))


def test_rotation_angles_lie_in_the_factor_range_and_fill_it():
    layer = layers.RandomRotation((-0.05, 0.1), seed=0)
    transforms = layer._transforms(2000, 16, 16)
    angles = np.degrees(np.arctan2(transforms[:, 3], transforms[:, 0]))
    assert angles.min() >= -18.0 - 1e-3 and angles.max() <= 36.0 + 1e-3
    assert angles.min() < -16 and angles.max() > 34
    assert abs(angles.mean() - 9.0) < 1.0


def test_zoom_scales_lie_in_the_factor_range():
    layer = layers.RandomZoom(0.2, (-0.5, -0.1), seed=0)
    transforms = layer._transforms(2000, 16, 16)
    height_zoom, width_zoom = transforms[:, 4], transforms[:, 0]
    assert 0.8 - 1e-6 <= height_zoom.min() < 0.82 and 1.18 < height_zoom.max() <= 1.2 + 1e-6
    assert 0.5 - 1e-6 <= width_zoom.min() < 0.52 and 0.88 < width_zoom.max() <= 0.9 + 1e-6
    same = layers.RandomZoom(0.2, seed=0)._transforms(50, 16, 16)
    np.testing.assert_array_equal(same[:, 0], same[:, 4])  # no width_factor: aspect ratio kept


def test_translation_shifts_lie_in_the_factor_range():
    transforms = layers.RandomTranslation(0.25, (0.0, 0.5), seed=0)._transforms(2000, 20, 10)
    dy, dx = -transforms[:, 5], -transforms[:, 2]
    assert -5 - 1e-5 <= dy.min() < -4.5 and 4.5 < dy.max() <= 5 + 1e-5
    assert 0 <= dx.min() < 0.2 and 4.8 < dx.max() <= 5 + 1e-5


def test_contrast_and_brightness_ranges():
    flat = np.full((500, 2, 2, 1), 100.0, np.float32)
    flat[:, 0, 0] = 50.0
    contrast = layers.RandomContrast(0.5, seed=0)(flat).numpy()
    mean = 87.5
    factors = (contrast[:, 0, 0, 0] - mean) / (50.0 - mean)
    assert factors.min() >= 1.0 - 1e-5 and factors.max() <= 1.5 + 1e-5  # Keras 3.15: [1, 1 + f]
    brightness = layers.RandomBrightness(0.1, seed=0)(flat).numpy()
    deltas = brightness[:, 1, 1, 0] - 100.0
    assert deltas.min() >= -25.5 - 1e-3 and deltas.max() <= 25.5 + 1e-3
    assert deltas.min() < -20 and deltas.max() > 20
    clipped = layers.RandomBrightness((0.9, 1.0), seed=0)(flat).numpy()
    assert clipped.max() == 255.0


def test_random_crop_takes_one_window_of_the_input():
    images = np.arange(2 * 9 * 11 * 1, dtype=np.float32).reshape(2, 9, 11, 1)
    out = layers.RandomCrop(4, 5, seed=1)(images, training=True).numpy()
    top, left = np.argwhere(images[0, :, :, 0] == out[0, 0, 0, 0])[0]
    np.testing.assert_array_equal(out, images[:, top : top + 4, left : left + 5])
    seen = {tuple(np.argwhere(images[0, :, :, 0] == layers.RandomCrop(4, 5, seed=s)(images).numpy()[0, 0, 0, 0])[0]) for s in range(30)}
    assert len(seen) > 5


def test_random_crop_config_has_a_concrete_seed():
    layer = layers.RandomCrop(3, 3)
    assert isinstance(layer.get_config()["seed"], int)


# --- argument checking -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.RandomFlip("diagonal"), "mode"),
        (lambda: layers.RandomRotation(1.5), "factor"),
        (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), "fill_mode"),
        (lambda: layers.RandomZoom(-1.0), "height_factor"),
        (lambda: layers.RandomZoom(0.1, interpolation="bicubic"), "interpolation"),
        (lambda: layers.RandomTranslation(0.1, (0.1, 0.2, 0.3)), "width_factor"),
        (lambda: layers.RandomContrast(1.5), "factor"),
        (lambda: layers.RandomBrightness(0.1, value_range=5), "value_range"),
        (lambda: layers.Resizing(4, 4, interpolation="cubic"), "interpolation"),
        (lambda: layers.Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "pad_to_aspect_ratio"),
        (lambda: layers.Resizing(0, 4), "height"),
        (lambda: layers.CenterCrop(4, -1), "width"),
        (lambda: layers.RandomFlip(data_format="NHWC"), "data_format"),
    ],
)
def test_bad_arguments_get_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_rank_is_reported():
    with pytest.raises(ValueError, match="rank 3"):
        layers.RandomFlip()(np.zeros((2, 3), np.float32))


# --- gradients, models, datasets ---------------------------------------------------------------


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic", "area", "lanczos3"])
@pytest.mark.parametrize("antialias", [False, True])
def test_resize_gradient(interpolation, antialias):
    x = np.random.default_rng(0).random((2, 5, 4, 2))
    gradcheck(lambda t: resize_images(t, (7, 3), interpolation, antialias), [x])


def test_resizing_and_center_crop_layers_pass_gradients():
    x = np.random.default_rng(1).random((1, 6, 5, 2))
    gradcheck(lambda t: layers.Resizing(4, 4, crop_to_aspect_ratio=True, dtype="float64")(t), [x])
    gradcheck(lambda t: layers.Resizing(3, 8, pad_to_aspect_ratio=True, dtype="float64")(t), [x])
    gradcheck(lambda t: layers.CenterCrop(3, 3, dtype="float64")(t), [x])
    gradcheck(lambda t: layers.CenterCrop(8, 4, dtype="float64")(t), [x])
    gradcheck(lambda t: layers.Resizing(3, 3, data_format="channels_first", dtype="float64")(t), [x])


def _augmentation():
    return numeras.Sequential(
        [layers.RandomFlip("horizontal", seed=1), layers.RandomRotation(0.1, seed=2), layers.RandomZoom(0.2, seed=3)]
    )


def test_chapter_8_convnet_trains_with_augmentation_and_saves(tmp_path):
    inputs = numeras.Input(shape=(12, 12, 3))
    x = _augmentation()(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(4, 3, activation="relu")(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = numeras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    images = (rng.random((16, 12, 12, 3)) * 255).astype("float32")
    labels = (rng.random((16, 1)) > 0.5).astype("float32")
    history = model.fit(images, labels, epochs=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2
    # Inference skips the augmentation: predictions are deterministic.
    np.testing.assert_array_equal(model.predict(images, verbose=0), model.predict(images, verbose=0))
    path = tmp_path / "augmented.keras"
    model.save(path)
    restored = numeras.saving.load_model(path)
    np.testing.assert_allclose(restored.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-6)
    names = [type(layer).__name__ for layer in restored.layers[1].layers]
    assert names == ["RandomFlip", "RandomRotation", "RandomZoom"]


def test_augmentation_as_a_dataset_map_step():
    rng = np.random.default_rng(0)
    images = (rng.random((10, 8, 8, 3)) * 255).astype("float32")
    labels = np.arange(10)
    augment = _augmentation()
    dataset = numeras.utils.Dataset.from_tensor_slices((images, labels)).batch(4)
    mapped = dataset.map(lambda x, y: (augment(x, training=True), y), num_parallel_calls=2)
    batches = list(mapped)
    assert [np.asarray(x).shape for x, _ in batches] == [(4, 8, 8, 3), (4, 8, 8, 3), (2, 8, 8, 3)]
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), labels)
    assert not np.allclose(np.concatenate([np.asarray(x) for x, _ in batches]), images)


def test_resizing_keeps_integer_images_integer():
    pixels = np.clip(np.round(IMAGES), 0, 255).astype("uint8")
    out = layers.Resizing(5, 7, interpolation="bicubic")(pixels).numpy()
    assert out.dtype == np.uint8
    as_float = layers.Resizing(5, 7, interpolation="bicubic")(pixels.astype("float32")).numpy()
    np.testing.assert_array_equal(out, np.clip(np.round(as_float), 0, 255).astype("uint8"))
    assert layers.RandomRotation(0.1)(pixels).dtype == "float32"


@pytest.mark.parametrize(("fill_mode", "period"), [("wrap", 11), ("reflect", 22)])
def test_far_coordinates_repeat_with_the_mode_period(fill_mode, period):
    def shifted(dx):
        return affine_transform(IMAGES, np.tile(np.array([1, 0, dx, 0, 1, 0, 0, 0], np.float32), (2, 1)), "bilinear", fill_mode)

    np.testing.assert_array_equal(shifted(1000 * period + 3), shifted(3))
    np.testing.assert_array_equal(shifted(-1000 * period - 2), shifted(-2))


def test_far_coordinates_in_constant_mode_give_the_fill():
    far = np.tile(np.array([1, 0, 1e9, 0, 1, -1e9, 0, 0], np.float32), (2, 1))
    np.testing.assert_array_equal(affine_transform(IMAGES, far, "bilinear", "constant", 4.0), np.full_like(IMAGES, 4.0))
    nearest = affine_transform(IMAGES, far, "nearest", "nearest")
    np.testing.assert_array_equal(nearest, np.broadcast_to(IMAGES[:, :1, -1:], IMAGES.shape))
