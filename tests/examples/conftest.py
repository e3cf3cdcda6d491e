"""Small data in the real formats of the book's sequence chapters, made on the spot: an
``imdb.npz`` in the dataset cache (Keras's keys, object arrays of word-index lists, words
correlated with the labels), the ``jena_climate_2009_2016.csv`` layout, an ``aclImdb`` folder of
reviews, a text for the character-level LSTM, and (for the image chapters) a folder shaped like
Kaggle's "Dogs vs. Cats" ``train/`` download. Nothing is downloaded: the cache lives in a
temporary ``$NUMERAS_HOME`` and the dataset mirror points at a closed local port."""

from __future__ import annotations

import hashlib
import io
import pathlib
import socket

import numpy as np
import pytest

from numeras.datasets import imdb

JENA_HEADER = (
    '"Date Time","p (mbar)","T (degC)","Tpot (K)","Tdew (degC)","rh (%)","VPmax (mbar)",'
    '"VPact (mbar)","VPdef (mbar)","sh (g/kg)","H2OC (mmol/mol)","rho (g/m**3)","wv (m/s)",'
    '"max. wv (m/s)","wd (deg)"'
)
POSITIVE_WORDS = ["great", "wonderful", "moving", "superb", "delightful", "brilliant"]
NEGATIVE_WORDS = ["awful", "boring", "dull", "terrible", "waste", "worst"]
FILLER_WORDS = ["the", "a", "film", "movie", "plot", "actor", "scene", "story", "and", "it", "was", "this"]


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/"


@pytest.fixture
def offline_home(tmp_path, monkeypatch):
    home = tmp_path / "numeras_home"
    (home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("NUMERAS_HOME", str(home))
    monkeypatch.setenv("NUMERAS_DATASETS_MIRROR", _closed_port_url())
    return home


def imdb_reviews(rng, count, vocabulary=400, length=(20, 60), signal=0.25):
    """Reviews as lists of word indices (1 = most frequent, as in imdb.npz) and 0/1 labels:
    indices 2-11 lean positive, 12-21 negative, the rest are filler."""
    labels = rng.integers(0, 2, count)
    reviews = []
    for label in labels:
        size = int(rng.integers(*length))
        words = rng.integers(22, vocabulary, size)
        telling = rng.random(size) < signal
        words[telling] = rng.integers(2, 12, telling.sum()) + (0 if label else 10)
        reviews.append(words.tolist())
    return reviews, labels.astype("int64")


@pytest.fixture
def imdb_in_cache(offline_home, monkeypatch):
    """``imdb.load_data()`` reads a small generated imdb.npz (the real file's keys and types)."""

    def make(num_train=200, num_test=100, seed=0, **options):
        rng = np.random.default_rng(seed)
        x_train, y_train = imdb_reviews(rng, num_train, **options)
        x_test, y_test = imdb_reviews(rng, num_test, **options)
        buffer = io.BytesIO()
        as_objects = lambda reviews: np.array(reviews + [None], dtype=object)[:-1]  # noqa: E731
        np.savez(buffer, x_train=as_objects(x_train), y_train=y_train, x_test=as_objects(x_test), y_test=y_test)
        payload = buffer.getvalue()
        (offline_home / "datasets" / "imdb.npz").write_bytes(payload)
        monkeypatch.setattr(imdb, "FILE_HASH", hashlib.sha256(payload).hexdigest())

    return make


@pytest.fixture
def jena_csv(tmp_path):
    """A jena_climate_2009_2016.csv of ``rows`` 10-minute records (header and formats as the real
    file): temperature follows a daily cycle plus noise, the other columns depend on it."""

    def make(rows=2000, seed=0):
        rng = np.random.default_rng(seed)
        folder = tmp_path / "jena_climate"
        folder.mkdir(exist_ok=True)
        t = np.arange(rows)
        temperature = 5 + 8 * np.sin(2 * np.pi * t / 144) + rng.normal(0, 0.5, rows)
        lines = [JENA_HEADER]
        for i in range(rows):
            minutes = (i + 1) * 10
            day, rest = divmod(minutes, 24 * 60)
            stamp = f"{1 + day % 28:02d}.{1 + day // 28 % 12:02d}.2009 {rest // 60:02d}:{rest % 60:02d}:00"
            temp = temperature[i]
            values = [996.5 + rng.normal(0, 2), temp, temp + 273.15, temp - 5, 80 + rng.normal(0, 5),
                      8 + temp / 3, 6 + temp / 4, 2 + temp / 10, 4 + temp / 8, 6 + temp / 6, 1300 - temp * 4,
                      abs(rng.normal(2, 1)), abs(rng.normal(3, 1)), rng.uniform(0, 360)]
            lines.append(",".join([stamp] + [f"{v:.2f}" for v in values]))
        path = folder / "jena_climate_2009_2016.csv"
        path.write_text("\n".join(lines))  # no final newline, as the real file (the book's parser relies on it)
        return str(folder)

    return make


@pytest.fixture
def acl_imdb(tmp_path):
    """An aclImdb folder (train/ and test/, each with pos/ and neg/ .txt reviews)."""

    def make(per_class=30, seed=0):
        rng = np.random.default_rng(seed)
        root = tmp_path / "aclImdb"
        for split in ("train", "test"):
            for label, telling in (("pos", POSITIVE_WORDS), ("neg", NEGATIVE_WORDS)):
                folder = root / split / label
                folder.mkdir(parents=True)
                for i in range(per_class):
                    words = list(rng.choice(FILLER_WORDS, int(rng.integers(10, 30))))
                    for _ in range(3):
                        words.insert(int(rng.integers(0, len(words))), str(rng.choice(telling)))
                    (folder / f"{i}_{int(rng.integers(1, 11))}.txt").write_text(" ".join(words).capitalize() + ".")
        return str(root)

    return make


NIETZSCHE_LIKE = (
    "PREFACE\n\n\nSUPPOSING that Truth is a woman--what then? Is there not ground for suspecting that all "
    "philosophers, in so far as they have been dogmatists, have failed to understand women--that the terrible "
    "seriousness and clumsy importunity with which they have usually paid their addresses to Truth, have been "
    "unskilled and unseemly methods for winning a woman? "
)


# -- the image chapters: Kaggle's Dogs vs. Cats train/ folder, a few JPEGs per class ------------
def write_kaggle_train_folder(directory: pathlib.Path, images_per_class: int, seed: int = 0) -> pathlib.Path:
    """``directory/train`` with ``cat.{i}.jpg`` and ``dog.{i}.jpg``, i < images_per_class, each of a
    random size between 60 and 220 pixels a side."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    train = directory / "train"
    train.mkdir(parents=True, exist_ok=True)
    for animal, tint in (("cat", (200, 110, 60)), ("dog", (60, 110, 200))):
        for index in range(images_per_class):
            width, height = (int(v) for v in rng.integers(60, 221, size=2))
            noise = rng.integers(0, 60, size=(height, width, 3))
            pixels = np.clip(np.asarray(tint) + noise - 30, 0, 255).astype(np.uint8)
            image = Image.fromarray(pixels, "RGB")
            draw = ImageDraw.Draw(image)
            box = (width // 4, height // 4, 3 * width // 4, 3 * height // 4)
            if animal == "cat":
                draw.ellipse(box, fill=(250, 230, 120))
            else:
                draw.rectangle(box, fill=(30, 40, 90))
            image.save(train / f"{animal}.{index}.jpg", quality=85)
    return train


@pytest.fixture
def kaggle_cats_vs_dogs(tmp_path: pathlib.Path) -> pathlib.Path:
    """A Kaggle-shaped ``train/`` folder with 16 cats and 16 dogs, inside ``tmp_path``."""
    return write_kaggle_train_folder(tmp_path, images_per_class=16)
