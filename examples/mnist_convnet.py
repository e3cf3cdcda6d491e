"""A small convnet on MNIST: listing 5.1 of *Deep Learning with Python* (chapter 5), on numeras.

Only the import lines differ from the Keras version. Three Conv2D/MaxPooling2D stages turn each
28x28 image into 3x3x64 feature maps, which a small Dense classifier reads. Expect a test
accuracy of about 0.99 after 5 epochs.

    python examples/mnist_convnet.py
"""

import time

from numeras import layers, models
from numeras.datasets import mnist
from numeras.utils import to_categorical

model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation="relu"))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation="relu"))
model.add(layers.Flatten())
model.add(layers.Dense(64, activation="relu"))
model.add(layers.Dense(10, activation="softmax"))
model.summary()

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()

train_images = train_images.reshape((60000, 28, 28, 1))
train_images = train_images.astype("float32") / 255

test_images = test_images.reshape((10000, 28, 28, 1))
test_images = test_images.astype("float32") / 255

train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)

model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
started = time.perf_counter()
history = model.fit(train_images, train_labels, epochs=5, batch_size=64)
seconds_per_epoch = (time.perf_counter() - started) / 5

test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)
print(f"seconds per epoch: {seconds_per_epoch:.1f}")
print(f"test_acc: {test_acc:.4f}")
