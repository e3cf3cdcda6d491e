"""numeras.datasets.mnist: the shipped data, Keras's shapes and dtypes, explicit paths, errors."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

import numeras
from numeras.datasets import mnist

SHIPPED = Path(numeras.__file__).parent / "datasets" / "data" / "mnist.npz"
SHIPPED_SHA256 = "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64"
TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.fixture(scope="module")
def data():
    return mnist.load_data()


def test_shapes_and_dtypes_match_keras(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28)
    assert y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28)
    assert y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8


def test_contents_are_real_mnist(data):
    (x_train, y_train), (x_test, y_test) = data
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_LABEL_COUNTS
    assert np.bincount(y_test, minlength=10).sum() == 10000
    assert y_train.max() == 9 and x_train.max() == 255
    # Mean and std from the 256-bin histogram: exact, and no 47M-element float copy.
    counts = np.bincount(x_train.reshape(-1), minlength=256)
    levels = np.arange(256) / 255
    mean = (counts * levels).sum() / counts.sum()
    std = np.sqrt((counts * (levels - mean) ** 2).sum() / counts.sum())
    assert mean == pytest.approx(0.1307, abs=1e-4)
    assert std == pytest.approx(0.3081, abs=1e-4)


def test_shipped_file_is_the_documented_one():
    assert hashlib.sha256(SHIPPED.read_bytes()).hexdigest() == SHIPPED_SHA256
    readme = (SHIPPED.parent / "README.md").read_text()
    assert SHIPPED_SHA256 in readme
    for credit in ("Yann LeCun", "Corinna Cortes", "Christopher J. C. Burges", "CC BY-SA 3.0"):
        assert credit in readme


def test_lazy_submodule_access():
    assert numeras.datasets.mnist is mnist
    with pytest.raises(AttributeError, match="available datasets"):
        numeras.datasets.cifar100  # noqa: B018


def _write_small(path, **overrides):
    arrays = {
        "x_train": np.full((3, 28, 28), 7, dtype=np.uint8),
        "y_train": np.array([1, 2, 3], dtype=np.uint8),
        "x_test": np.zeros((2, 28, 28), dtype=np.uint8),
        "y_test": np.array([4, 5], dtype=np.uint8),
    }
    arrays.update(overrides)
    np.savez(path, **arrays)
    return arrays


def test_explicit_npz_path_is_loaded(tmp_path):
    target = tmp_path / "my_mnist.npz"
    arrays = _write_small(target)
    for given in (target, str(target)):
        (x_train, y_train), (x_test, y_test) = mnist.load_data(path=given)
        np.testing.assert_array_equal(x_train, arrays["x_train"])
        np.testing.assert_array_equal(y_train, arrays["y_train"])
        np.testing.assert_array_equal(x_test, arrays["x_test"])
        np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_missing_path_falls_back_to_shipped_file(tmp_path):
    (x_train, _), _ = mnist.load_data(path=tmp_path / "not_there.npz")
    assert x_train.shape == (60000, 28, 28)


def test_default_name_ignores_a_file_of_that_name_in_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"not an archive")
    monkeypatch.chdir(tmp_path)
    (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (60000, 28, 28)


def test_corrupt_file_error_names_the_path(tmp_path):
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(ValueError, match="corrupt.npz"):
        mnist.load_data(path=corrupt)

    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(SHIPPED.read_bytes()[:100_000])
    with pytest.raises(ValueError, match="truncated.npz"):
        mnist.load_data(path=truncated)


def test_missing_keys_error_lists_them(tmp_path):
    target = tmp_path / "partial.npz"
    np.savez(target, x_train=np.zeros((1, 28, 28), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"partial\.npz lacks the arrays \['y_train', 'x_test', 'y_test'\]"):
        mnist.load_data(path=target)


def test_single_array_file_is_rejected(tmp_path):
    target = tmp_path / "single.npy"
    np.save(target, np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        mnist.load_data(path=target)


class _Payload:
    def __reduce__(self):
        return (exec, ("import sys; sys.modules['numeras']._mnist_pickle_ran = True",))


def test_pickled_objects_are_never_executed(tmp_path):
    target = tmp_path / "malicious.npz"
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload()
    _write_small(target, y_train=payload)
    with pytest.raises(ValueError, match="malicious.npz"):
        mnist.load_data(path=target)
    assert not hasattr(numeras, "_mnist_pickle_ran")
