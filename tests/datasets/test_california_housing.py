"""california_housing from a small archive in Keras's format (arrays ``x`` (n, 8) and ``y`` (n,))
served by the local test server: Keras 3.15's versions, shuffle and split."""

import numpy as np
import pytest
from local_dataset_server import npz_bytes

from numeras import datasets
from numeras.datasets import california_housing

ROWS = 750  # more than the small version's 600, so "small" must cut


@pytest.fixture
def served(mirror, monkeypatch):
    rng = np.random.default_rng(5)
    arrays = {
        "x": rng.normal(size=(ROWS, 8)).astype("float32"),
        "y": rng.uniform(15_000, 500_000, ROWS).astype("float32"),
    }
    monkeypatch.setattr(california_housing, "FILE_HASH", mirror.add("california_housing.npz", npz_bytes(**arrays)))
    return arrays


def _keras_split(x, y, test_split, seed):
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    split = int(len(x) * (1 - test_split))
    return (x[order][:split], y[order][:split]), (x[order][split:], y[order][split:])


@pytest.mark.parametrize("version, rows", [("large", ROWS), ("small", 600)])
@pytest.mark.parametrize("test_split, seed", [(0.2, 113), (0.35, 7)])
def test_versions_shuffle_and_split_as_keras(served, version, rows, test_split, seed):
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(version=version, test_split=test_split, seed=seed)
    (ex_train, ey_train), (ex_test, ey_test) = _keras_split(served["x"][:rows], served["y"][:rows], test_split, seed)
    for got, expected in ((x_train, ex_train), (y_train, ey_train), (x_test, ex_test), (y_test, ey_test)):
        np.testing.assert_array_equal(got, expected)
    assert len(x_train) == int(rows * (1 - test_split)) and len(x_train) + len(x_test) == rows
    assert x_train.dtype == served["x"].dtype and x_train.shape[1] == 8


def test_one_download_then_the_cache_and_a_local_path(served, mirror, home, tmp_path):
    datasets.california_housing.load_data()
    datasets.california_housing.load_data(version="small")
    assert mirror.requests["california_housing.npz"] == 1
    cached = home / "datasets" / "california_housing.npz"
    assert cached.exists()
    local = tmp_path / "copy.npz"
    local.write_bytes(cached.read_bytes())
    (x_train, _), _ = california_housing.load_data(path=str(local), test_split=0.0)
    assert len(x_train) == ROWS and mirror.requests["california_housing.npz"] == 1


def test_bad_arguments_are_named(served):
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="medium")
    with pytest.raises(ValueError, match="test_split"):
        california_housing.load_data(test_split=1.0)
