"""Section 5.2 of *Deep Learning with Python*, first edition ("Training a convnet from scratch on a
small dataset"): the cats-vs-dogs folders copied from Kaggle's download, a small convnet fed by
``ImageDataGenerator(rescale=1./255).flow_from_directory``, ``fit_generator`` with
``steps_per_epoch``, data augmentation with the generator, and ``model.save`` to ``.h5``.

The program text is the book's with only the imports changed (``keras`` → numeras). It runs on a
generated Kaggle-shaped folder (see conftest.py), with these deviations to stay fast, each marked
``# test:`` where it happens: 10/3/3 images per class instead of 1000/500/500,
``target_size=(80, 80)`` instead of (150, 150), and one epoch of one or two steps instead of 30
(then 100) epochs of 100 steps. The book's Keras 2 spellings stay (``RMSprop(lr=1e-4)``,
``metrics=['acc']``, ``fit_generator``): numeras runs them with a DeprecationWarning each.
"""

import math
import os
import shutil

import numpy as np
import pytest

TARGET_SIZE = (80, 80)  # test: the book uses (150, 150)


def copy_small_dataset(original_dataset_dir, base_dir):
    # The book's "Copying images to training, validation, and test directories".
    os.mkdir(base_dir)
    train_dir = os.path.join(base_dir, "train")
    os.mkdir(train_dir)
    validation_dir = os.path.join(base_dir, "validation")
    os.mkdir(validation_dir)
    test_dir = os.path.join(base_dir, "test")
    os.mkdir(test_dir)
    train_cats_dir = os.path.join(train_dir, "cats")
    os.mkdir(train_cats_dir)
    train_dogs_dir = os.path.join(train_dir, "dogs")
    os.mkdir(train_dogs_dir)
    validation_cats_dir = os.path.join(validation_dir, "cats")
    os.mkdir(validation_cats_dir)
    validation_dogs_dir = os.path.join(validation_dir, "dogs")
    os.mkdir(validation_dogs_dir)
    test_cats_dir = os.path.join(test_dir, "cats")
    os.mkdir(test_cats_dir)
    test_dogs_dir = os.path.join(test_dir, "dogs")
    os.mkdir(test_dogs_dir)
    # test: the book's ranges are 0..1000, 1000..1500 and 1500..2000.
    for animal, dirs in (("cat", (train_cats_dir, validation_cats_dir, test_cats_dir)),
                         ("dog", (train_dogs_dir, validation_dogs_dir, test_dogs_dir))):
        for (start, stop), target_dir in zip(((0, 10), (10, 13), (13, 16)), dirs):
            fnames = ["{}.{}.jpg".format(animal, i) for i in range(start, stop)]  # noqa: UP032 (the book's spelling)
            for fname in fnames:
                src = os.path.join(original_dataset_dir, fname)
                dst = os.path.join(target_dir, fname)
                shutil.copyfile(src, dst)
    print("total training cat images:", len(os.listdir(train_cats_dir)))
    print("total test dog images:", len(os.listdir(test_dogs_dir)))
    return train_dir, validation_dir, test_dir, train_cats_dir


def small_convnet(layers, models, with_dropout=False):
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=TARGET_SIZE + (3,)))  # test: (150, 150, 3)
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    if with_dropout:
        model.add(layers.Dropout(0.5))
    model.add(layers.Dense(512, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


def test_listing_5_2_cats_vs_dogs_with_image_data_generator(kaggle_cats_vs_dogs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # --- the book's imports, changed to numeras -------------------------------------------------
    from numeras import layers, models, optimizers
    from numeras.preprocessing import image
    from numeras.preprocessing.image import ImageDataGenerator

    original_dataset_dir = str(kaggle_cats_vs_dogs)
    base_dir = str(tmp_path / "cats_and_dogs_small")
    train_dir, validation_dir, test_dir, train_cats_dir = copy_small_dataset(original_dataset_dir, base_dir)
    out = capsys.readouterr().out
    assert "total training cat images: 10" in out and "total test dog images: 3" in out

    model = small_convnet(layers, models)
    model.summary()
    out = capsys.readouterr().out
    # Keras's count for the book's model at this input size: the conv stack is size-independent,
    # the first Dense layer reads 3*3*128 features here (7*7*128 at 150x150).
    conv_params = (3 * 3 * 3 * 32 + 32) + (3 * 3 * 32 * 64 + 64) + (3 * 3 * 64 * 128 + 128) + (3 * 3 * 128 * 128 + 128)
    assert model.count_params() == conv_params + (3 * 3 * 128 * 512 + 512) + (512 + 1)
    assert f"{model.count_params():,}" in out

    with pytest.warns(DeprecationWarning, match="lr"):
        model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(lr=1e-4), metrics=["acc"])
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(1e-4)

    # "Using ImageDataGenerator to read images from directories"
    train_datagen = ImageDataGenerator(rescale=1.0 / 255)
    test_datagen = ImageDataGenerator(rescale=1.0 / 255)
    train_generator = train_datagen.flow_from_directory(
        train_dir, target_size=TARGET_SIZE, batch_size=20, class_mode="binary"
    )
    validation_generator = test_datagen.flow_from_directory(
        validation_dir, target_size=TARGET_SIZE, batch_size=20, class_mode="binary"
    )
    out = capsys.readouterr().out
    assert "Found 20 images belonging to 2 classes." in out
    assert "Found 6 images belonging to 2 classes." in out
    assert train_generator.class_indices == {"cats": 0, "dogs": 1}

    for data_batch, labels_batch in train_generator:
        print("data batch shape:", data_batch.shape)
        print("labels batch shape:", labels_batch.shape)
        break
    assert data_batch.shape == (20,) + TARGET_SIZE + (3,)
    assert labels_batch.shape == (20,)
    assert sorted(labels_batch.tolist()) == [0.0] * 10 + [1.0] * 10
    assert 0.0 <= data_batch.min() and data_batch.max() <= 1.0 and data_batch.max() > 0.5  # rescaled

    with pytest.warns(DeprecationWarning, match="fit_generator"):
        history = model.fit_generator(
            train_generator,
            steps_per_epoch=2,  # test: 100
            epochs=1,  # test: 30
            validation_data=validation_generator,
            validation_steps=1,  # test: 50
        )
    model.save("cats_and_dogs_small_1.h5")
    acc = history.history["acc"]
    val_acc = history.history["val_acc"]
    loss = history.history["loss"]
    val_loss = history.history["val_loss"]
    assert [len(acc), len(val_acc), len(loss), len(val_loss)] == [1, 1, 1, 1]
    assert all(math.isfinite(v) for v in acc + val_acc + loss + val_loss)
    assert int(model.optimizer.iterations.numpy()) == 2
    saved = tmp_path / "cats_and_dogs_small_1.h5"
    assert saved.is_file()
    reloaded = models.load_model(str(saved))
    np.testing.assert_allclose(reloaded.predict(data_batch, verbose=0), model.predict(data_batch, verbose=0), rtol=1e-5, atol=1e-6)

    # "Setting up a data augmentation configuration via ImageDataGenerator"
    datagen = ImageDataGenerator(
        rotation_range=40,
        width_shift_range=0.2,
        height_shift_range=0.2,
        shear_range=0.2,
        zoom_range=0.2,
        horizontal_flip=True,
        fill_mode="nearest",
    )
    # "Displaying some randomly augmented training images" (without matplotlib).
    fnames = [os.path.join(train_cats_dir, fname) for fname in sorted(os.listdir(train_cats_dir))]
    img_path = fnames[3]
    img = image.load_img(img_path, target_size=TARGET_SIZE)
    x = image.img_to_array(img)
    x = x.reshape((1,) + x.shape)
    i = 0
    augmented = []
    for batch in datagen.flow(x, batch_size=1):
        augmented.append(image.array_to_img(batch[0]))
        i += 1
        if i % 4 == 0:
            break
    assert len(augmented) == 4 and all(picture.size == TARGET_SIZE[::-1] for picture in augmented)
    assert not all(np.array_equal(np.asarray(picture), np.asarray(img)) for picture in augmented)

    # "Defining a new convnet that includes dropout", trained on augmented images.
    model = small_convnet(layers, models, with_dropout=True)
    with pytest.warns(DeprecationWarning):
        model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(lr=1e-4), metrics=["acc"])
    train_datagen = ImageDataGenerator(
        rescale=1.0 / 255,
        rotation_range=40,
        width_shift_range=0.2,
        height_shift_range=0.2,
        shear_range=0.2,
        zoom_range=0.2,
        horizontal_flip=True,
    )
    # Note that the validation data should not be augmented!
    test_datagen = ImageDataGenerator(rescale=1.0 / 255)
    train_generator = train_datagen.flow_from_directory(
        train_dir, target_size=TARGET_SIZE, batch_size=32, class_mode="binary"
    )
    validation_generator = test_datagen.flow_from_directory(
        validation_dir, target_size=TARGET_SIZE, batch_size=32, class_mode="binary"
    )
    with pytest.warns(DeprecationWarning, match="fit_generator"):
        history = model.fit_generator(
            train_generator,
            steps_per_epoch=1,  # test: 100
            epochs=1,  # test: 100
            validation_data=validation_generator,
            validation_steps=1,  # test: 50
        )
    model.save("cats_and_dogs_small_2.h5")
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert all(math.isfinite(values[0]) for values in history.history.values())
    assert (tmp_path / "cats_and_dogs_small_2.h5").is_file()

    # The test folder, read the same way, evaluated by the saved model.
    test_generator = test_datagen.flow_from_directory(test_dir, target_size=TARGET_SIZE, batch_size=20, class_mode="binary")
    reloaded = models.load_model(str(tmp_path / "cats_and_dogs_small_2.h5"))
    test_loss, test_acc = reloaded.evaluate(test_generator, steps=1, verbose=0)
    assert math.isfinite(test_loss) and test_acc * 6 == pytest.approx(round(test_acc * 6))
