"""image_dataset_from_directory: Keras's outputs (fixtures written by Keras 3 + TensorFlow), the
labels, splits and seeded order, and the errors for bad input."""

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from numeras.utils import image_dataset_from_directory

FIXTURES = Path(__file__).parent / "fixtures"
IMAGES = FIXTURES / "images"
EXPECTED = np.load(FIXTURES / "image_dataset_expected.npz")
CASES = json.loads(str(EXPECTED["cases"]))

# Decoders differ where the file format leaves room: TensorFlow's JPEG decoder (IDCT and chroma
# upsampling) gives pixels a few levels away from Pillow's, its RGB-to-gray rounding differs by 1,
# and it decodes a palette PNG as RGBA with a wrong alpha (15 instead of 255). Those files are
# compared loosely or not at all; every other image must equal Keras's up to float32 rounding.
JPEG = "cow/c0.jpg"
PALETTE_PNG = "bee/b2.png"


def _png_tree(destination: Path) -> Path:
    for path in IMAGES.rglob("*.png"):
        target = destination / path.relative_to(IMAGES)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return destination


@pytest.mark.parametrize("case", sorted(CASES))
def test_images_labels_and_order_equal_keras(case, tmp_path):
    kwargs = dict(CASES[case])
    root = _png_tree(tmp_path) if kwargs.pop("png_only", False) else IMAGES
    kwargs["image_size"] = tuple(kwargs["image_size"])
    dataset = image_dataset_from_directory(root, shuffle=False, batch_size=None, verbose=False, **kwargs)
    pairs = list(dataset)
    images = np.stack([x for x, _ in pairs])
    labels = np.array([y for _, y in pairs])
    relative = [os.path.relpath(p, root) for p in dataset.file_paths]
    assert relative == EXPECTED[f"{case}/file_paths"].tolist()
    np.testing.assert_array_equal(labels, EXPECTED[f"{case}/labels"])
    assert labels.dtype == np.int32 and images.dtype == np.float32
    expected = EXPECTED[f"{case}/images"]
    assert images.shape == expected.shape
    for index, path in enumerate(relative):
        if path == JPEG:
            np.testing.assert_allclose(images[index], expected[index], atol=8)
        elif path == PALETTE_PNG and kwargs.get("color_mode") == "rgba":
            np.testing.assert_allclose(images[index][..., :3], expected[index][..., :3], atol=1e-3)
            assert np.all(images[index][..., 3] == 255)
        elif kwargs.get("color_mode") == "grayscale":
            np.testing.assert_allclose(images[index], expected[index], atol=1.01)
        else:
            np.testing.assert_allclose(images[index], expected[index], atol=1e-3, err_msg=path)


def test_seeded_order_and_split_equal_keras():
    train, val = image_dataset_from_directory(
        IMAGES, seed=1337, validation_split=0.3, subset="both", image_size=(4, 4), verbose=False
    )
    assert [os.path.relpath(p, IMAGES) for p in train.file_paths] == EXPECTED["seeded/train_paths"].tolist()
    assert [os.path.relpath(p, IMAGES) for p in val.file_paths] == EXPECTED["seeded/val_paths"].tolist()
    assert train.class_names == val.class_names == EXPECTED["seeded/class_names"].tolist()


def _write_tree(root: Path, counts: dict, size=(12, 10), ext="png") -> Path:
    rng = np.random.default_rng(0)
    for class_name, count in counts.items():
        (root / class_name).mkdir(parents=True, exist_ok=True)
        for index in range(count):
            pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / class_name / f"img{index:02d}.{ext}")
    return root


def test_batches_label_modes_and_class_names(tmp_path, capsys):
    root = _write_tree(tmp_path / "data", {"dogs": 3, "cats": 4})
    (root / "notes.txt").write_text("not an image")
    dataset = image_dataset_from_directory(root, image_size=(5, 6), batch_size=3, seed=1)
    assert "Found 7 files belonging to 2 classes." in capsys.readouterr().out
    assert dataset.class_names == ["cats", "dogs"] and len(dataset) == 3
    shapes = [(x.shape, y.shape) for x, y in dataset]
    assert shapes == [((3, 5, 6, 3), (3,))] * 2 + [((1, 5, 6, 3), (1,))]
    labels = np.concatenate([y for _, y in dataset])
    assert sorted(labels.tolist()) == [0] * 4 + [1] * 3
    categorical = image_dataset_from_directory(root, label_mode="categorical", image_size=(4, 4), seed=1, verbose=False)
    x, y = next(iter(categorical))
    assert y.shape == (7, 2) and y.dtype == np.float32 and np.all(y.sum(axis=1) == 1)
    binary = image_dataset_from_directory(root, label_mode="binary", image_size=(4, 4), seed=1, verbose=False)
    _, y = next(iter(binary))
    assert y.shape == (7, 1) and y.dtype == np.float32 and set(y.ravel().tolist()) == {0.0, 1.0}
    reordered = image_dataset_from_directory(
        root, class_names=["dogs", "cats"], shuffle=False, image_size=(4, 4), verbose=False
    )
    assert reordered.class_names == ["dogs", "cats"]
    assert next(iter(reordered))[1].tolist() == [0, 0, 0, 1, 1, 1, 1]
    only_images = image_dataset_from_directory(root, labels=None, image_size=(4, 4), batch_size=None, verbose=False)
    first = next(iter(only_images))
    assert isinstance(first, np.ndarray) and first.shape == (4, 4, 3)
    gray = image_dataset_from_directory(root, color_mode="grayscale", image_size=(4, 4), verbose=False, seed=1)
    assert next(iter(gray))[0].shape == (7, 4, 4, 1)


def test_explicit_labels_follow_sorted_paths(tmp_path):
    root = _write_tree(tmp_path / "flat", {"": 4})
    dataset = image_dataset_from_directory(
        root, labels=[3, 1, 3, 0], shuffle=False, image_size=(4, 4), batch_size=None, verbose=False
    )
    assert dataset.class_names == ["0", "1", "3"]
    assert [int(y) for _, y in dataset] == [3, 1, 3, 0]
    assert [os.path.basename(p) for p in dataset.file_paths] == [f"img0{i}.png" for i in range(4)]
    with pytest.raises(ValueError, match="without gaps"):
        image_dataset_from_directory(root, labels=[0, 5, 0, 5], label_mode="categorical", image_size=(4, 4), verbose=False)
    as_array = image_dataset_from_directory(root, labels=np.array([3, 1, 3, 0]), shuffle=False, image_size=(4, 4), verbose=False)
    assert next(iter(as_array))[1].tolist() == [3, 1, 3, 0]


def test_training_and_validation_are_disjoint_and_cover_everything(tmp_path):
    root = _write_tree(tmp_path / "data", {"a": 6, "b": 5, "c": 4})
    common = dict(validation_split=0.2, seed=42, image_size=(4, 4), verbose=False)
    train = image_dataset_from_directory(root, subset="training", **common)
    val = image_dataset_from_directory(root, subset="validation", **common)
    assert len(train.file_paths) == 12 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    assert len(set(train.file_paths) | set(val.file_paths)) == 15
    both = image_dataset_from_directory(root, subset="both", **common)
    assert both[0].file_paths == train.file_paths and both[1].file_paths == val.file_paths
    # The seed fixes the order; another seed gives another order.
    again = image_dataset_from_directory(root, subset="training", **common)
    assert again.file_paths == train.file_paths
    other = image_dataset_from_directory(root, subset="training", **{**common, "seed": 7})
    assert other.file_paths != train.file_paths


def test_labels_stay_with_their_images(tmp_path):
    # Each class has its own solid colour, so the label can be read off the pixels.
    colours = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}
    for name, colour in colours.items():
        (tmp_path / name).mkdir()
        for index in range(5):
            Image.new("RGB", (9 + index, 7), colour).save(tmp_path / name / f"{index}.png")
    dataset = image_dataset_from_directory(tmp_path, image_size=(3, 3), batch_size=4, seed=9, verbose=False)
    for images, labels in dataset:
        for image, label in zip(images, labels):
            expected = colours[dataset.class_names[label]]
            np.testing.assert_allclose(image[1, 1], expected)


def test_follow_links(tmp_path):
    real = _write_tree(tmp_path / "elsewhere", {"x": 2})
    root = _write_tree(tmp_path / "data", {"a": 1})
    os.symlink(real / "x", root / "a" / "linked", target_is_directory=True)
    unfollowed = image_dataset_from_directory(root, image_size=(4, 4), verbose=False, shuffle=False)
    followed = image_dataset_from_directory(root, image_size=(4, 4), verbose=False, shuffle=False, follow_links=True)
    assert len(unfollowed.file_paths) == 1 and len(followed.file_paths) == 3


def test_channels_first_and_pad_and_crop_shapes(tmp_path):
    root = _write_tree(tmp_path / "data", {"a": 2}, size=(20, 8))
    first = image_dataset_from_directory(root, image_size=(6, 5), data_format="channels_first", verbose=False, seed=1)
    assert next(iter(first))[0].shape == (2, 3, 6, 5)
    padded = image_dataset_from_directory(root, image_size=(6, 6), pad_to_aspect_ratio=True, verbose=False, seed=1)
    image = next(iter(padded))[0][0]
    # A 20x8 image fitted into 6x6 is 6 rows by floor(2.4) = 2 columns, offset floor((6 - 2.4) / 2)
    # = 1 column (tf.image.resize_with_pad's arithmetic): zeros on both sides.
    assert np.all(image[:, :1] == 0) and np.all(image[:, 3:] == 0) and np.all(image[:, 1:3].max(axis=-1) > 0)
    cropped = image_dataset_from_directory(root, image_size=(6, 6), crop_to_aspect_ratio=True, verbose=False, seed=1)
    assert next(iter(cropped))[0].shape == (2, 6, 6, 3)


def test_missing_empty_and_unstructured_directories(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        image_dataset_from_directory(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no subfolders"):
        image_dataset_from_directory(tmp_path / "empty")
    flat = _write_tree(tmp_path / "flat", {"": 2})
    with pytest.raises(ValueError, match="no subfolders"):
        image_dataset_from_directory(flat)
    (tmp_path / "hollow" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="no files with an allowed extension"):
        image_dataset_from_directory(tmp_path / "hollow", verbose=False)


def test_argument_errors(tmp_path):
    root = _write_tree(tmp_path / "data", {"a": 3, "b": 2, "c": 1})
    with pytest.raises(ValueError, match=r"len\(labels\) is 2 but 6 files"):
        image_dataset_from_directory(root, labels=[0, 1], verbose=False)
    with pytest.raises(ValueError, match="`subset` and `validation_split` go together"):
        image_dataset_from_directory(root, validation_split=0.2, seed=1, verbose=False)
    with pytest.raises(ValueError, match="pass a `seed`"):
        image_dataset_from_directory(root, validation_split=0.2, subset="training", verbose=False)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        image_dataset_from_directory(root, validation_split=1.5, subset="training", seed=1, verbose=False)
    with pytest.raises(ValueError, match="exactly 2 classes"):
        image_dataset_from_directory(root, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="class_names"):
        image_dataset_from_directory(root, class_names=["a", "zebra"], verbose=False)
    for bad in [(0, 4), (4,), (4.0, 4), "big", (-1, 3), None]:
        with pytest.raises(ValueError, match="image_size"):
            image_dataset_from_directory(root, image_size=bad, verbose=False)
    with pytest.raises(ValueError, match="color_mode"):
        image_dataset_from_directory(root, color_mode="cmyk", verbose=False)
    with pytest.raises(ValueError, match="interpolation"):
        image_dataset_from_directory(root, interpolation="cubic-ish", verbose=False)
    with pytest.raises(ValueError, match="at most one"):
        image_dataset_from_directory(root, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True, verbose=False)
    assert len(image_dataset_from_directory(root, image_size=7, verbose=False, seed=1).file_paths) == 6


def test_corrupt_image_is_named_before_training_or_skipped_with_a_warning(tmp_path):
    root = _write_tree(tmp_path / "data", {"a": 3, "b": 2})
    (root / "b" / "broken.jpg").write_bytes(b"\xff\xd8 this is not really a jpeg")
    with pytest.raises(ValueError, match=r"broken\.jpg") as raised:
        image_dataset_from_directory(root, image_size=(4, 4), verbose=False)
    assert "on_invalid_image='skip'" in str(raised.value)
    with pytest.warns(UserWarning, match=r"broken\.jpg"):
        dataset = image_dataset_from_directory(root, image_size=(4, 4), verbose=False, seed=1, on_invalid_image="skip")
    assert len(dataset.file_paths) == 5 and not any("broken" in p for p in dataset.file_paths)
    images, labels = next(iter(dataset))
    assert images.shape == (5, 4, 4, 3) and sorted(labels.tolist()) == [0, 0, 0, 1, 1]


def test_without_pillow_the_error_says_how_to_install(monkeypatch, tmp_path):
    root = _write_tree(tmp_path / "data", {"a": 1})
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "numeras\[image\]"'):
        image_dataset_from_directory(root, verbose=False)


def test_workers_decode_in_parallel_with_the_same_result(tmp_path):
    root = _write_tree(tmp_path / "data", {"a": 6, "b": 6})
    serial = image_dataset_from_directory(root, image_size=(5, 5), seed=3, workers=1, verbose=False)
    parallel = image_dataset_from_directory(root, image_size=(5, 5), seed=3, workers=4, verbose=False)
    for (x1, y1), (x2, y2) in zip(serial, parallel):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
