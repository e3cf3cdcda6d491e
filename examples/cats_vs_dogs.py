"""Cats vs. dogs from scratch: chapter 8 of *Deep Learning with Python*, second edition, on numeras.

Only the import lines of the book's program differ from the Keras version. It copies 1000/500/1000
images per class out of Kaggle's "Dogs vs. Cats" ``train/`` folder into train/validation/test
folders, reads them with ``image_dataset_from_directory`` (180x180, batches of 32), and trains the
chapter's small convnet (with ``--augment``: behind RandomFlip/RandomRotation/RandomZoom and with
dropout), keeping the best model by validation loss with ``ModelCheckpoint`` and evaluating it on
the test folder. The book reports about 70% test accuracy without augmentation (30 epochs) and
about 83% with it (100 epochs).

    # the real data: https://www.kaggle.com/c/dogs-vs-cats/data (needs a Kaggle account)
    kaggle competitions download -c dogs-vs-cats && unzip -qq dogs-vs-cats.zip && unzip -qq train.zip
    python examples/cats_vs_dogs.py --data train

    # no download: a generated folder of the same shape (a few hundred synthetic JPEGs)
    python examples/cats_vs_dogs.py --synthetic --epochs 2 --image-size 96

``--data`` also accepts a folder already split into train/validation/test subfolders.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys
import tempfile
import time

import numpy as np

import numeras as keras
from numeras import layers
from numeras.utils import image_dataset_from_directory

KAGGLE_HELP = """\
The Kaggle "Dogs vs. Cats" images are not in {data!r}.
To use them (a Kaggle account and the `kaggle` command line tool are needed):
    kaggle competitions download -c dogs-vs-cats
    unzip -qq dogs-vs-cats.zip && unzip -qq train.zip
    python examples/cats_vs_dogs.py --data train
To run the same program offline on generated images of the same folder layout instead:
    python examples/cats_vs_dogs.py --synthetic
(add --epochs 1 --image-size 96 --images-per-class 50 for a quick run)."""

SPLITS = (("train", 0.4), ("validation", 0.2), ("test", 0.4))  # the book's 1000/500/1000 of 2500


def write_synthetic_kaggle_folder(directory: pathlib.Path, images_per_class: int, seed: int = 0) -> pathlib.Path:
    """A Kaggle-shaped ``directory/train`` of ``cat.{i}.jpg`` / ``dog.{i}.jpg`` with Pillow: random
    sizes 100-400 pixels a side, cats warm-toned with a bright disc, dogs cool-toned with a dark
    bar, so the classes are learnable."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    train = directory / "train"
    train.mkdir(parents=True, exist_ok=True)
    for animal, tint in (("cat", (200, 110, 60)), ("dog", (60, 110, 200))):
        for index in range(images_per_class):
            width, height = (int(v) for v in rng.integers(100, 401, size=2))
            noise = rng.integers(0, 60, size=(height, width, 3))
            pixels = np.clip(np.asarray(tint) + noise - 30, 0, 255).astype(np.uint8)
            image = Image.fromarray(pixels, "RGB")
            draw = ImageDraw.Draw(image)
            left, top = int(rng.integers(0, width // 2)), int(rng.integers(0, height // 2))
            box = (left, top, left + width // 3, top + height // 3)
            if animal == "cat":
                draw.ellipse(box, fill=(250, 230, 120))
            else:
                draw.rectangle(box, fill=(30, 40, 90))
            image.save(train / f"{animal}.{index}.jpg", quality=85)
    return train


def count_kaggle_images(original_dir: pathlib.Path) -> int:
    """How many consecutive ``cat.{i}.jpg`` (and matching dog) files the folder holds."""
    count = 0
    while (original_dir / f"cat.{count}.jpg").is_file() and (original_dir / f"dog.{count}.jpg").is_file():
        count += 1
    return count


def make_small_dataset(original_dir: pathlib.Path, new_base_dir: pathlib.Path, per_class: int) -> None:
    """The book's ``make_subset`` calls, scaled to ``per_class`` images (2500 in the book)."""

    def make_subset(subset_name, start_index, end_index):
        for category in ("cat", "dog"):
            dir = new_base_dir / subset_name / category
            os.makedirs(dir)
            fnames = [f"{category}.{i}.jpg" for i in range(start_index, end_index)]
            for fname in fnames:
                shutil.copyfile(src=original_dir / fname, dst=dir / fname)

    start = 0
    for subset_name, fraction in SPLITS:
        stop = start + max(1, int(round(per_class * fraction)))
        make_subset(subset_name, start_index=start, end_index=stop)
        start = stop


def build_model(image_size: tuple[int, int], augment: bool):
    inputs = keras.Input(shape=image_size + (3,))
    x = inputs
    if augment:
        data_augmentation = keras.Sequential(
            [
                layers.RandomFlip("horizontal"),
                layers.RandomRotation(0.1),
                layers.RandomZoom(0.2),
            ]
        )
        x = data_augmentation(x)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Conv2D(filters=256, kernel_size=3, activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Conv2D(filters=256, kernel_size=3, activation="relu")(x)
    x = layers.Flatten()(x)
    if augment:
        x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", default="train", help="Kaggle's extracted train/ folder (cat.0.jpg ...), or a folder "
                        "with train/validation/test subfolders (default: ./train)")
    source.add_argument("--synthetic", action="store_true", help="generate a Kaggle-shaped folder of synthetic JPEGs")
    parser.add_argument("--images-per-class", type=int, default=None,
                        help="images per class to split 40/20/40 (default: 2500 for Kaggle, 200 for --synthetic)")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs (the book: 30, or 100 with --augment)")
    parser.add_argument("--image-size", type=int, default=180, help="square image side (the book: 180; at least 80)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--augment", action="store_true", help="the chapter's second model: augmentation layers + dropout")
    parser.add_argument("--output", default=".", help="folder for the best model's .keras file (default: .)")
    args = parser.parse_args(argv)
    if args.image_size < 80:
        parser.error(f"--image-size must be at least 80 (the five 3x3 convolutions and four poolings need it), received {args.image_size}")
    if args.images_per_class is not None and args.images_per_class < 3:
        parser.error(f"--images-per-class must be at least 3 (one per split), received {args.images_per_class}")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    image_size = (args.image_size, args.image_size)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="cats_vs_dogs_"))
    try:
        if args.synthetic:
            per_class = args.images_per_class or 200
            already_split = False
            original_dir = write_synthetic_kaggle_folder(scratch, per_class)
            print(f"Wrote {2 * per_class} synthetic JPEGs to {original_dir}")
        else:
            original_dir = pathlib.Path(args.data)
            already_split = all((original_dir / name).is_dir() for name, _ in SPLITS)
            available = 0 if already_split else count_kaggle_images(original_dir)
            if not already_split and available < 3:
                print(KAGGLE_HELP.format(data=str(original_dir)), file=sys.stderr)
                raise SystemExit(2)
            per_class = min(args.images_per_class or 2500, available)
        if not already_split:
            new_base_dir = scratch / "cats_vs_dogs_small"
            make_small_dataset(original_dir, new_base_dir, per_class)
        else:
            new_base_dir = original_dir

        train_dataset = image_dataset_from_directory(new_base_dir / "train", image_size=image_size, batch_size=args.batch_size)
        validation_dataset = image_dataset_from_directory(new_base_dir / "validation", image_size=image_size, batch_size=args.batch_size)
        test_dataset = image_dataset_from_directory(new_base_dir / "test", image_size=image_size, batch_size=args.batch_size)

        for data_batch, labels_batch in train_dataset:
            print("data batch shape:", data_batch.shape)
            print("labels batch shape:", labels_batch.shape)
            break

        model = build_model(image_size, args.augment)
        name = "convnet_from_scratch_with_augmentation.keras" if args.augment else "convnet_from_scratch.keras"
        checkpoint = pathlib.Path(args.output) / name
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        callbacks = [keras.callbacks.ModelCheckpoint(filepath=str(checkpoint), save_best_only=True, monitor="val_loss")]
        started = time.perf_counter()
        history = model.fit(train_dataset, epochs=args.epochs, validation_data=validation_dataset, callbacks=callbacks)
        print(f"seconds per epoch: {(time.perf_counter() - started) / args.epochs:.1f}")

        test_model = keras.models.load_model(str(checkpoint))
        test_loss, test_acc = test_model.evaluate(test_dataset)
        print(f"Test accuracy: {test_acc:.3f}")
        return {"history": history.history, "test_loss": test_loss, "test_acc": test_acc, "checkpoint": checkpoint}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
