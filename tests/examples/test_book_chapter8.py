"""Chapter 8 of *Deep Learning with Python*, second edition ("Introduction to deep learning for
computer vision"): a convnet trained from scratch on a small cats-vs-dogs set read from disk with
``image_dataset_from_directory``, then again with data augmentation layers.

The program text is the book's with only the imports changed (``tensorflow.keras`` → numeras).
It runs on a generated Kaggle-shaped folder (see conftest.py), with these deviations to stay fast,
each marked ``# test:`` where it happens: 10/3/3 images per class instead of 1000/500/1000,
``image_size=(80, 80)`` instead of (180, 180) (80 is the smallest size the five-convolution
model accepts), and 2 (then 1) epochs instead of 30 (then 100). The model cannot learn much from
that; the test checks that everything runs and that shapes, files and metrics are what Keras gives.
"""

import math
import os
import pathlib
import shutil

import numpy as np
import pytest

IMAGE_SIZE = (80, 80)  # test: the book uses (180, 180)


def make_small_dataset(original_dir: pathlib.Path, new_base_dir: pathlib.Path) -> None:
    # The book's "Copying images to training, validation, and test directories".
    def make_subset(subset_name, start_index, end_index):
        for category in ("cat", "dog"):
            dir = new_base_dir / subset_name / category
            os.makedirs(dir)
            fnames = [f"{category}.{i}.jpg" for i in range(start_index, end_index)]
            for fname in fnames:
                shutil.copyfile(src=original_dir / fname, dst=dir / fname)

    make_subset("train", start_index=0, end_index=10)  # test: 0..1000 in the book
    make_subset("validation", start_index=10, end_index=13)  # test: 1000..1500
    make_subset("test", start_index=13, end_index=16)  # test: 1500..2500


def build_small_convnet(keras, layers, data_augmentation=None):
    # "Instantiating a small convnet for dogs vs. cats classification" (and, with
    # data_augmentation, "Defining a new convnet that includes image augmentation and dropout").
    inputs = keras.Input(shape=IMAGE_SIZE + (3,))  # test: shape=(180, 180, 3)
    x = inputs if data_augmentation is None else data_augmentation(inputs)
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
    if data_augmentation is not None:
        x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def test_chapter8_convnet_from_scratch_with_and_without_augmentation(kaggle_cats_vs_dogs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # --- the book's imports, changed to numeras -------------------------------------------------
    import numeras as keras
    from numeras import layers
    from numeras.utils import image_dataset_from_directory

    original_dir = pathlib.Path("train")
    new_base_dir = pathlib.Path("cats_vs_dogs_small")
    make_small_dataset(original_dir, new_base_dir)
    for subset, count in (("train", 10), ("validation", 3), ("test", 3)):
        for category in ("cat", "dog"):
            assert len(os.listdir(new_base_dir / subset / category)) == count

    model = build_small_convnet(keras, layers)
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])

    train_dataset = image_dataset_from_directory(new_base_dir / "train", image_size=IMAGE_SIZE, batch_size=32)
    validation_dataset = image_dataset_from_directory(new_base_dir / "validation", image_size=IMAGE_SIZE, batch_size=32)
    test_dataset = image_dataset_from_directory(new_base_dir / "test", image_size=IMAGE_SIZE, batch_size=32)
    out = capsys.readouterr().out
    assert "Found 20 files belonging to 2 classes." in out
    assert "Found 6 files belonging to 2 classes." in out
    assert train_dataset.class_names == ["cat", "dog"]

    for data_batch, labels_batch in train_dataset:
        print("data batch shape:", data_batch.shape)
        print("labels batch shape:", labels_batch.shape)
        break
    assert data_batch.shape == (20,) + IMAGE_SIZE + (3,)  # one short batch: 20 images < 32
    assert data_batch.dtype == np.float32 and labels_batch.dtype == np.int32
    assert labels_batch.shape == (20,)
    assert sorted(labels_batch.tolist()) == [0] * 10 + [1] * 10
    assert 0.0 <= data_batch.min() and data_batch.max() <= 255.0

    callbacks = [
        keras.callbacks.ModelCheckpoint(filepath="convnet_from_scratch.keras", save_best_only=True, monitor="val_loss")
    ]
    history = model.fit(
        train_dataset,
        epochs=2,  # test: 30 in the book
        validation_data=validation_dataset,
        callbacks=callbacks,
    )
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(values) == 2 and all(map(math.isfinite, values)) for values in history.history.values())
    assert int(model.optimizer.iterations.numpy()) == 2  # one batch of 20 per epoch
    assert pathlib.Path("convnet_from_scratch.keras").is_file()

    test_model = keras.models.load_model("convnet_from_scratch.keras")
    # The checkpoint holds the epoch with the lowest val_loss: evaluating it on the validation set
    # gives that loss back.
    best_val_loss = test_model.evaluate(validation_dataset, verbose=0)[0]
    assert best_val_loss == pytest.approx(min(history.history["val_loss"]), rel=1e-4, abs=1e-6)
    test_loss, test_acc = test_model.evaluate(test_dataset)
    print(f"Test accuracy: {test_acc:.3f}")
    assert math.isfinite(test_loss) and 0.0 <= test_acc <= 1.0
    assert test_acc * 6 == pytest.approx(round(test_acc * 6))  # a count of right answers out of 6

    # --- "Define a data augmentation stage to add to an image model" --------------------------
    data_augmentation = keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.1),
            layers.RandomZoom(0.2),
        ]
    )
    # "Displaying some randomly augmented training images" (without matplotlib).
    for images, _ in train_dataset.take(1):
        for i in range(9):  # noqa: B007 (the book draws subplot i + 1)
            augmented_images = data_augmentation(images)
            first = augmented_images[0].numpy().astype("uint8")
            assert first.shape == IMAGE_SIZE + (3,)
    assert not np.allclose(augmented_images.numpy(), images)  # a direct call augments
    assert np.array_equal(data_augmentation(images, training=False).numpy(), images)

    model = build_small_convnet(keras, layers, data_augmentation)
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    assert [type(layer).__name__ for layer in model.layers[:4]] == ["InputLayer", "Sequential", "Rescaling", "Conv2D"]

    callbacks = [
        keras.callbacks.ModelCheckpoint(
            filepath="convnet_from_scratch_with_augmentation.keras", save_best_only=True, monitor="val_loss"
        )
    ]
    history = model.fit(
        train_dataset,
        epochs=1,  # test: 100 in the book
        validation_data=validation_dataset,
        callbacks=callbacks,
    )
    assert all(math.isfinite(values[0]) for values in history.history.values())

    test_model = keras.models.load_model("convnet_from_scratch_with_augmentation.keras")
    assert [type(layer).__name__ for layer in test_model.layers] == [type(layer).__name__ for layer in model.layers]
    # Augmentation and dropout are off at inference, so the reloaded model predicts as the trained one.
    test_images = np.concatenate([images for images, _ in test_dataset])
    np.testing.assert_allclose(test_model.predict(test_images, verbose=0), model.predict(test_images, verbose=0), rtol=1e-5, atol=1e-6)
    test_loss, test_acc = test_model.evaluate(test_dataset)
    print(f"Test accuracy: {test_acc:.3f}")
    assert math.isfinite(test_loss) and 0.0 <= test_acc <= 1.0
