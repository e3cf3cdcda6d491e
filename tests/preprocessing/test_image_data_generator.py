"""The first edition's ImageDataGenerator and apply_affine_transform against Keras's legacy
implementation (fixtures written by Keras 3 with SciPy: tests/utils/fixtures/make_dataset_fixtures.py).
Keras draws the random parameters from NumPy's global generator seeded per batch, and so does
numeras, so whole augmented batches must match."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from numeras.preprocessing import image as preprocessing_image
from numeras.preprocessing.image import ImageDataGenerator, apply_affine_transform

FIXTURES = Path(__file__).parents[1] / "utils" / "fixtures"
EXPECTED = np.load(FIXTURES / "image_data_generator_expected.npz")
AFFINE_CASES = json.loads(str(EXPECTED["affine/cases"]))


def _generator(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return ImageDataGenerator(**kwargs)


@pytest.mark.parametrize("case", sorted(AFFINE_CASES))
def test_apply_affine_transform_equals_keras(case):
    kwargs = dict(AFFINE_CASES[case])
    image = EXPECTED["affine/input"]
    if kwargs.get("channel_axis") == 0:
        image = image.transpose(2, 0, 1)
    else:
        kwargs.update(row_axis=0, col_axis=1, channel_axis=2)
    result = apply_affine_transform(image, **kwargs)
    np.testing.assert_allclose(result, EXPECTED[f"affine/{case}"], atol=1e-3)
    assert result.dtype == np.float32


def test_flow_batches_equal_keras():
    generator = _generator(**json.loads(str(EXPECTED["flow/args"])))
    flow = generator.flow(EXPECTED["flow/x"], np.arange(7), batch_size=3, seed=5)
    assert len(flow) == 3
    batches = [flow[0], flow[1], next(flow), next(flow), next(flow), next(flow)]
    assert [len(b[0]) for b in batches] == [3, 3, 3, 3, 1, 3]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), EXPECTED["flow/batch_y"])
    np.testing.assert_allclose(np.concatenate([b[0] for b in batches]), EXPECTED["flow/batch_x"], atol=1e-5)


def test_flow_from_directory_equals_keras(capsys):
    generator = _generator(rescale=1 / 255.0, horizontal_flip=True, rotation_range=20)
    directory = generator.flow_from_directory(FIXTURES / "images", target_size=(8, 8), batch_size=4, seed=3)
    assert "Found 8 images belonging to 3 classes." in capsys.readouterr().out
    assert directory.filenames == EXPECTED["directory/filenames"].tolist()
    assert directory.class_indices == json.loads(str(EXPECTED["directory/class_indices"]))
    batches = [next(directory) for _ in range(3)]
    np.testing.assert_allclose(np.concatenate([b[0] for b in batches]), EXPECTED["directory/batch_x"], atol=1e-5)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), EXPECTED["directory/batch_y"])


def test_class_modes_flips_and_rescale(tmp_path):
    from PIL import Image

    for name, colour in (("cats", 40), ("dogs", 200)):
        (tmp_path / name).mkdir()
        for index in range(3):
            Image.new("L", (6, 4), colour).save(tmp_path / name / f"{index}.png")
    plain = _generator(rescale=0.5)
    x, y = next(plain.flow_from_directory(tmp_path, target_size=(4, 6), color_mode="grayscale", class_mode="binary", shuffle=False))
    assert x.shape == (6, 4, 6, 1) and y.tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_allclose(x[:, 0, 0, 0], [20, 20, 20, 100, 100, 100])
    x, y = next(plain.flow_from_directory(tmp_path, target_size=(2, 3), batch_size=4, shuffle=False))
    assert x.shape == (4, 2, 3, 3) and y.tolist() == [[1, 0]] * 3 + [[0, 1]]
    images_only = next(plain.flow_from_directory(tmp_path, target_size=(2, 3), class_mode=None, shuffle=False))
    assert isinstance(images_only, np.ndarray)
    ramp = np.arange(12, dtype="float32").reshape(1, 3, 4, 1)
    flipped = next(_generator(horizontal_flip=True).flow(ramp, batch_size=1, seed=0, shuffle=False))
    assert np.array_equal(flipped, ramp) or np.array_equal(flipped, ramp[:, :, ::-1])


def test_deprecation_and_bad_arguments(tmp_path):
    with pytest.warns(DeprecationWarning, match="image_dataset_from_directory"):
        ImageDataGenerator()
    with pytest.raises(ValueError, match="fill_mode"):
        _generator(fill_mode="mirror")
    with pytest.raises(ValueError, match="zoom_range"):
        _generator(zoom_range=(0.5, 1.0, 2.0))
    with pytest.raises(ValueError, match="rank 4"):
        _generator().flow(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="same length"):
        _generator().flow(np.zeros((3, 4, 4, 1)), np.zeros(2))
    with pytest.raises(FileNotFoundError):
        _generator().flow_from_directory(tmp_path / "missing")
    with pytest.raises(ValueError, match="class_mode"):
        _generator().flow_from_directory(tmp_path, class_mode="one-hot")


def test_featurewise_normalisation_uses_fit_statistics():
    x = np.random.default_rng(0).normal(5.0, 3.0, (40, 4, 4, 3)).astype("float32")
    generator = _generator(featurewise_center=True, featurewise_std_normalization=True)
    generator.fit(x)
    assert generator.mean.shape == (1, 1, 3)
    batch = next(generator.flow(x, batch_size=40, shuffle=False))
    np.testing.assert_allclose(batch.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(batch.std(axis=(0, 1, 2)), 1, atol=1e-3)


def test_keras_preprocessing_namespace():
    import numeras

    assert numeras.preprocessing.image is preprocessing_image
    assert numeras.preprocessing.image.ImageDataGenerator is ImageDataGenerator
    assert numeras.preprocessing.image_dataset_from_directory is numeras.utils.image_dataset_from_directory
    assert preprocessing_image.load_img is numeras.utils.load_img
