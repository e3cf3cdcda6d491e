"""A folder shaped like Kaggle's "Dogs vs. Cats" download, for the book's image chapters.

Kaggle's ``train/`` holds ``cat.0.jpg ... cat.12499.jpg`` and ``dog.0.jpg ...`` side by side, of
varied sizes; the book's programs copy slices of it into train/validation/test × cats/dogs
themselves. Here a few JPEGs per class are drawn with Pillow: cats warm-toned with a disc, dogs
cool-toned with a bar, so the classes differ in a way a convnet could pick up.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest


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
