"""imdb and reuters: Keras's exact preprocessing, the download path, and safe reading of the files."""

import hashlib
import json

import numpy as np
import pytest
from local_dataset_server import (
    Gadget,
    executed,
    legacy_npy_member,
    npz_bytes,
    npz_from_members,
    object_array,
    random_reviews,
)

from numeras import backend
from numeras.datasets import imdb, reuters


def keras_word_preprocessing(xs, labels, num_words, skip_top, maxlen, start_char, oov_char, index_from):
    """Keras's per-word loops, transcribed literally, as the reference to compare against."""
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    else:
        xs = [list(x) for x in xs]
    if maxlen:
        kept = [i for i, x in enumerate(xs) if len(x) < maxlen]
        xs, labels = [xs[i] for i in kept], np.asarray(labels)[kept]
    return xs, labels


def keras_limit(xs, num_words, skip_top, oov_char):
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def keras_imdb(
    arrays, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, index_from=3
):
    rng = np.random.RandomState(seed)
    order = np.arange(len(arrays["x_train"]))
    rng.shuffle(order)
    x_train, y_train = arrays["x_train"][order], arrays["y_train"][order]
    order = np.arange(len(arrays["x_test"]))
    rng.shuffle(order)
    x_test, y_test = arrays["x_test"][order], arrays["y_test"][order]
    args = (num_words, skip_top, maxlen, start_char, oov_char, index_from)
    x_train, y_train = keras_word_preprocessing(x_train, y_train, *args)
    x_test, y_test = keras_word_preprocessing(x_test, y_test, *args)
    xs = keras_limit(x_train + x_test, num_words, skip_top, oov_char)
    return (xs[: len(x_train)], y_train), (xs[len(x_train) :], y_test)


def keras_reuters(
    arrays,
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    rng = np.random.RandomState(seed)
    order = np.arange(len(arrays["x"]))
    rng.shuffle(order)
    xs, labels = keras_word_preprocessing(
        arrays["x"][order], arrays["y"][order], num_words, skip_top, maxlen, start_char, oov_char, index_from
    )
    xs = keras_limit(xs, num_words, skip_top, oov_char)
    split = int(len(xs) * (1 - test_split))
    return (xs[:split], labels[:split]), (xs[split:], labels[split:])


def assert_same_split(ours, expected):
    (x, y), (expected_x, expected_y) = ours, expected
    assert isinstance(x, np.ndarray) and x.dtype == object and x.ndim == 1
    assert all(type(item) is list for item in x)
    assert all(type(w) is int for item in x for w in item)
    assert [list(item) for item in x] == expected_x
    np.testing.assert_array_equal(y, expected_y)
    assert y.dtype == np.int64


@pytest.fixture
def imdb_arrays():
    rng = np.random.default_rng(0)
    return {
        "x_train": object_array(random_reviews(rng, 40, 30)),
        "y_train": rng.integers(0, 2, 40),
        "x_test": object_array(random_reviews(rng, 30, 30)),
        "y_test": rng.integers(0, 2, 30),
    }


@pytest.fixture
def served_imdb(mirror, imdb_arrays, monkeypatch):
    monkeypatch.setattr(imdb, "FILE_HASH", mirror.add("imdb.npz", npz_bytes(**imdb_arrays)))
    return imdb_arrays


@pytest.fixture
def reuters_arrays():
    rng = np.random.default_rng(1)
    return {"x": object_array(random_reviews(rng, 60, 40)), "y": rng.integers(0, 46, 60)}


@pytest.fixture
def served_reuters(mirror, reuters_arrays, monkeypatch):
    monkeypatch.setattr(
        reuters, "FILE_HASH", mirror.add("reuters.npz", npz_bytes(compressed=True, **reuters_arrays))
    )
    return reuters_arrays


IMDB_OPTIONS = [
    {},
    {"num_words": 12},
    {"num_words": 12, "skip_top": 5},
    {"num_words": 12, "skip_top": 5, "oov_char": None},
    {"maxlen": 8},
    {"maxlen": 8, "num_words": 20, "start_char": None},
    {"start_char": None, "index_from": 0},
    {"start_char": 7, "oov_char": 0, "index_from": 10, "num_words": 25, "skip_top": 12},
    {"seed": 7},
]


@pytest.mark.parametrize(
    "options", IMDB_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults"
)
def test_imdb_matches_keras_preprocessing(served_imdb, options):
    ours = imdb.load_data(**options)
    expected = keras_imdb(served_imdb, **options)
    assert_same_split(ours[0], expected[0])
    assert_same_split(ours[1], expected[1])


def test_imdb_downloads_once_then_reads_the_cache(served_imdb, mirror, home):
    imdb.load_data()
    imdb.load_data(num_words=5)
    assert mirror.requests["imdb.npz"] == 1
    assert (home / "datasets" / "imdb.npz").is_file()


def test_imdb_by_hand_on_one_review(tmp_path):
    def loaded(**options):
        x = object_array([[5, 1, 2]])
        path = tmp_path / "one_review.npz"
        path.write_bytes(npz_bytes(x_train=x, y_train=np.array([1]), x_test=x, y_test=np.array([0])))
        (reviews, _), _ = imdb.load_data(path=str(path), **options)
        return reviews[0]

    # [5, 1, 2] becomes [start, 5+3, 1+3, 2+3]; with num_words=6 the 8 is out of vocabulary.
    assert loaded() == [1, 2, 4, 5]  # num_words=None: the largest index (8) is oov, as in Keras
    assert loaded(num_words=100) == [1, 8, 4, 5]
    assert loaded(num_words=6) == [1, 2, 4, 5]
    assert loaded(num_words=6, oov_char=None) == [1, 4, 5]
    assert loaded(skip_top=2, num_words=100) == [2, 8, 4, 5]  # the start mark is below skip_top too
    assert loaded(start_char=None, index_from=0, num_words=100) == [5, 1, 2]
    assert loaded(maxlen=5, num_words=100) == [1, 8, 4, 5]
    with pytest.raises(ValueError, match="maxlen=4"):
        loaded(maxlen=4)


def test_imdb_num_words_none_sends_the_largest_index_to_oov_as_keras_does(served_imdb):
    (x, _), (x_test, _) = imdb.load_data()
    largest = max(max(r) for r in list(served_imdb["x_train"]) + list(served_imdb["x_test"])) + 3
    assert all(largest not in review for review in list(x) + list(x_test))
    (x, _), (x_test, _) = imdb.load_data(num_words=largest + 1)
    assert any(largest in review for review in list(x) + list(x_test))


def test_imdb_seeded_shuffle(served_imdb):
    (_, y_a), (_, y_test_a) = imdb.load_data(seed=113)
    (_, y_b), _ = imdb.load_data(seed=113)
    np.testing.assert_array_equal(y_a, y_b)
    # Labels are 0/1, so different seeds are told apart by the reviews.
    (x_a, _), _ = imdb.load_data(seed=113)
    (x_c, _), _ = imdb.load_data(seed=114)
    assert [list(r) for r in x_a] != [list(r) for r in x_c]
    # The order is RandomState(seed).shuffle of arange, train first then test from the same stream.
    rng = np.random.RandomState(113)
    order = np.arange(40)
    rng.shuffle(order)
    np.testing.assert_array_equal(y_a, served_imdb["y_train"][order])
    order = np.arange(30)
    rng.shuffle(order)
    np.testing.assert_array_equal(y_test_a, served_imdb["y_test"][order])


def test_imdb_seed_none_follows_numeras_seed(served_imdb):
    backend.set_random_seed(5)
    (first, _), _ = imdb.load_data(seed=None)
    backend.set_random_seed(5)
    (again, _), _ = imdb.load_data(seed=None)
    assert [list(r) for r in first] == [list(r) for r in again]


def test_imdb_argument_errors(served_imdb):
    with pytest.raises(TypeError, match="unexpected keyword"):
        imdb.load_data(num_word=10)
    with pytest.raises(TypeError, match="num_words"):
        imdb.load_data(num_words=1.5)
    with pytest.raises(ValueError, match="skip_top"):
        imdb.load_data(skip_top=-1)
    with pytest.warns(DeprecationWarning, match="nb_words"):
        (x, _), _ = imdb.load_data(nb_words=12)
    assert max(max(r) for r in x) < 12


def test_imdb_explicit_path_is_read_without_downloading(imdb_arrays, mirror, tmp_path):
    path = tmp_path / "my_imdb.npz"
    path.write_bytes(npz_bytes(**imdb_arrays))
    ours = imdb.load_data(path=str(path))
    assert_same_split(ours[0], keras_imdb(imdb_arrays)[0])
    assert sum(mirror.requests.values()) == 0
    with pytest.raises(FileNotFoundError, match="no such file"):
        imdb.load_data(path=str(tmp_path / "absent.npz"))


def test_files_pickled_by_numpy_1_load_identically(imdb_arrays, tmp_path):
    members = {
        key: legacy_npy_member(value) if value.dtype == object else _npy(value)
        for key, value in imdb_arrays.items()
    }
    path = tmp_path / "legacy.npz"
    path.write_bytes(npz_from_members(members))
    ours = imdb.load_data(path=str(path), num_words=15)
    expected = keras_imdb(imdb_arrays, num_words=15)
    assert_same_split(ours[0], expected[0])
    assert_same_split(ours[1], expected[1])


def _npy(array):
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_file_with_code_in_its_pickle_is_refused_without_running_it(imdb_arrays, tmp_path):
    executed.clear()
    poisoned = dict(imdb_arrays)
    poisoned["x_train"] = object_array([[1, 2]] * 39 + [[3]])
    poisoned["x_train"][5] = Gadget()
    path = tmp_path / "poisoned.npz"
    path.write_bytes(npz_bytes(**poisoned))
    with pytest.raises(ValueError, match="refusing to load `local_dataset_server.record_execution`"):
        imdb.load_data(path=str(path))
    assert executed == []


def test_a_file_without_the_keras_keys_is_named_in_the_error(tmp_path):
    path = tmp_path / "wrong.npz"
    path.write_bytes(npz_bytes(x=np.zeros(3)))
    with pytest.raises(ValueError, match=r"lacks the arrays \['x_train', 'y_train', 'x_test', 'y_test'\]"):
        imdb.load_data(path=str(path))
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a valid .npz archive"):
        imdb.load_data(path=str(path))


def test_imdb_word_index(mirror, monkeypatch):
    body = json.dumps({"the": 1, "and": 2, "film": 19}).encode()
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", hashlib.md5(body).hexdigest())
    mirror.add("imdb_word_index.json", body)
    assert imdb.get_word_index() == {"the": 1, "and": 2, "film": 19}
    assert imdb.get_word_index() == {"the": 1, "and": 2, "film": 19}
    assert mirror.requests["imdb_word_index.json"] == 1


REUTERS_OPTIONS = [
    {},
    {"num_words": 15, "skip_top": 4},
    {"maxlen": 9, "oov_char": None, "num_words": 20},
    {"test_split": 0.5, "seed": 3},
    {"test_split": 0.0},
    {"start_char": None, "index_from": 0, "test_split": 1.0},
]


@pytest.mark.parametrize(
    "options", REUTERS_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults"
)
def test_reuters_matches_keras_preprocessing(served_reuters, options):
    ours = reuters.load_data(**options)
    expected = keras_reuters(served_reuters, **options)
    assert_same_split(ours[0], expected[0])
    assert_same_split(ours[1], expected[1])


def test_reuters_default_split_sizes_and_download_once(served_reuters, mirror):
    (x_train, y_train), (x_test, y_test) = reuters.load_data()
    assert (len(x_train), len(x_test)) == (48, 12)  # int(60 * 0.8)
    reuters.load_data(num_words=10)
    assert mirror.requests["reuters.npz"] == 1
    with pytest.raises(ValueError, match="test_split"):
        reuters.load_data(test_split=1.5)


def test_reuters_label_names_and_word_index(mirror, monkeypatch):
    names = reuters.get_label_names()
    assert len(names) == 46 and names[:4] == ("cocoa", "grain", "veg-oil", "earn") and names[-1] == "lead"
    body = json.dumps({"the": 1, "of": 2}).encode()
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", hashlib.md5(body).hexdigest())
    mirror.add("reuters_word_index.json", body)
    assert reuters.get_word_index() == {"the": 1, "of": 2}


def test_origins_and_hashes_are_keras_s():
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert (imdb.ORIGIN, imdb.FILE_HASH) == (
        base + "imdb.npz",
        "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    )
    assert (imdb.WORD_INDEX_ORIGIN, imdb.WORD_INDEX_HASH) == (
        base + "imdb_word_index.json",
        "bfafd718b763782e994055a2d397834f",
    )
    assert (reuters.ORIGIN, reuters.FILE_HASH) == (
        base + "reuters.npz",
        "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    )
    assert (reuters.WORD_INDEX_ORIGIN, reuters.WORD_INDEX_HASH) == (
        base + "reuters_word_index.json",
        "4d44cc38712099c9e383dc6e5f11a921",
    )


def test_offline_dataset_error_names_file_url_and_cache_path(home):
    with pytest.raises(OSError) as caught:
        imdb.load_data()
    message = str(caught.value)
    assert "'imdb.npz'" in message and "/imdb.npz" in message
    assert str(home / "datasets" / "imdb.npz") in message
