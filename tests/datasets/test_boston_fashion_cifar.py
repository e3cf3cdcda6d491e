"""boston_housing, fashion_mnist and cifar10 from small files in their real formats."""

import gzip

import numpy as np
import pytest
from local_dataset_server import (
    Gadget,
    cifar_batch_pickle,
    executed,
    idx_gz,
    npz_bytes,
    python2_pickle,
    tar_gz,
)

from numeras.datasets import boston_housing, cifar10, fashion_mnist

# -- Boston housing ------------------------------------------------------------------------------


@pytest.fixture
def served_boston(mirror, monkeypatch):
    rng = np.random.default_rng(2)
    arrays = {"x": rng.normal(size=(506, 13)) * 10, "y": rng.uniform(5, 50, 506)}
    monkeypatch.setattr(boston_housing, "FILE_HASH", mirror.add("boston_housing.npz", npz_bytes(**arrays)))
    return arrays


@pytest.mark.parametrize("test_split, seed", [(0.2, 113), (0.5, 1), (0.0, 113)])
def test_boston_housing_is_keras_s_shuffled_split(served_boston, test_split, seed):
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(test_split=test_split, seed=seed)
    order = np.arange(506)
    np.random.RandomState(seed).shuffle(order)
    split = int(506 * (1 - test_split))
    np.testing.assert_array_equal(x_train, served_boston["x"][order][:split])
    np.testing.assert_array_equal(y_test, served_boston["y"][order][split:])
    np.testing.assert_array_equal(x_test, served_boston["x"][order][split:])
    np.testing.assert_array_equal(y_train, served_boston["y"][order][:split])
    assert x_train.dtype == np.float64 and y_train.dtype == np.float64


def test_boston_housing_default_shapes_and_single_download(served_boston, mirror):
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (404, 13),
        (404,),
        (102, 13),
        (102,),
    )
    boston_housing.load_data()
    assert mirror.requests["boston_housing.npz"] == 1
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)


# -- Fashion-MNIST -------------------------------------------------------------------------------


def fashion_files(train=5, test=3):
    rng = np.random.default_rng(3)
    return {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, train, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, test, dtype=np.uint8),
    }


@pytest.fixture
def served_fashion(mirror, monkeypatch):
    arrays = fashion_files()
    for name, array in arrays.items():
        monkeypatch.setitem(fashion_mnist.FILE_HASHES, name, mirror.add(name, idx_gz(array)))
    return arrays


def test_fashion_mnist_reads_the_idx_files(served_fashion, mirror, home):
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, served_fashion["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_train, served_fashion["train-labels-idx1-ubyte.gz"])
    np.testing.assert_array_equal(x_test, served_fashion["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, served_fashion["t10k-labels-idx1-ubyte.gz"])
    assert x_train.shape == (5, 28, 28) and y_test.shape == (3,)
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    x_train[0, 0, 0] = 7  # writable, unlike a view of the file's bytes
    assert sorted(p.name for p in (home / "datasets" / "fashion-mnist").iterdir()) == sorted(served_fashion)
    fashion_mnist.load_data()
    assert all(mirror.requests[name] == 1 for name in served_fashion)


def test_fashion_mnist_rejects_a_bad_idx_file(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 0x0D, 3]) + bytes(12)))
    with pytest.raises(ValueError, match="not an IDX file of unsigned bytes with 3"):
        fashion_mnist.read_idx(str(path), ndim=3)
    path.write_bytes(idx_gz(np.zeros((2, 28, 28), np.uint8))[:-20])
    with pytest.raises(ValueError, match="cannot decompress"):
        fashion_mnist.read_idx(str(path), ndim=3)
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + np.array([5], ">u4").tobytes() + bytes(3)))
    with pytest.raises(ValueError, match="declares shape"):
        fashion_mnist.read_idx(str(path), ndim=1)


def test_fashion_mnist_hashes_are_keras_s():
    assert fashion_mnist.FILE_HASHES == {
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    }


# -- CIFAR-10 ------------------------------------------------------------------------------------


def cifar_archive(per_batch=3, poisoned=False):
    rng = np.random.default_rng(4)
    members, expected = {}, {}
    for name in cifar10.TRAIN_BATCHES + (cifar10.TEST_BATCH,):
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch).tolist()
        members[f"cifar-10-batches-py/{name}"] = cifar_batch_pickle(data, labels, f"batch {name}")
        expected[name] = (data, labels)
    members["cifar-10-batches-py/batches.meta"] = python2_pickle({"label_names": ["airplane"] * 10})
    members["cifar-10-batches-py/readme.html"] = b"<html></html>"
    if poisoned:
        members["cifar-10-batches-py/data_batch_3"] = python2_pickle({"data": Gadget(), "labels": []})
    return tar_gz(members), expected


def test_cifar10_reads_the_batches_channels_last(mirror, monkeypatch, home):
    archive, expected = cifar_archive()
    monkeypatch.setattr(cifar10, "FILE_HASH", mirror.add("cifar-10-python.tar.gz", archive))
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    train_data = np.concatenate([expected[name][0] for name in cifar10.TRAIN_BATCHES])
    train_labels = sum((expected[name][1] for name in cifar10.TRAIN_BATCHES), [])
    np.testing.assert_array_equal(x_train, train_data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train, np.array(train_labels).reshape(-1, 1))
    np.testing.assert_array_equal(
        x_test, expected["test_batch"][0].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    )
    np.testing.assert_array_equal(y_test[:, 0], expected["test_batch"][1])
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1) and x_test.shape == (3, 32, 32, 3)
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    # Channel 0 of pixel (0, 0) is the first byte of the row: the red plane comes first in the file.
    assert x_train[0, 0, 0, 0] == train_data[0, 0] and x_train[0, 0, 0, 1] == train_data[0, 1024]
    cifar10.load_data()
    assert mirror.requests["cifar-10-python.tar.gz"] == 1
    assert [p.name for p in (home / "datasets").iterdir()] == ["cifar-10-python.tar.gz"]  # never extracted


def test_cifar10_refuses_code_in_a_batch(mirror, monkeypatch):
    executed.clear()
    archive, _ = cifar_archive(poisoned=True)
    monkeypatch.setattr(cifar10, "FILE_HASH", mirror.add("cifar-10-python.tar.gz", archive))
    with pytest.raises(ValueError, match="refusing to load"):
        cifar10.load_data()
    assert executed == []


def test_cifar10_missing_batches_and_bad_archives_are_named(tmp_path):
    path = tmp_path / "partial.tar.gz"
    path.write_bytes(tar_gz({"cifar-10-batches-py/readme.html": b""}))
    with pytest.raises(ValueError, match="lacks the batch files"):
        cifar10.read_batches(str(path), ("data_batch_1",))
    path.write_bytes(b"no archive")
    with pytest.raises(ValueError, match="cannot read .* as the CIFAR-10 tar.gz archive"):
        cifar10.read_batches(str(path), ("data_batch_1",))


def test_cifar10_origin_and_hash_are_keras_s():
    assert cifar10.ORIGIN == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert cifar10.FILE_HASH == "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
