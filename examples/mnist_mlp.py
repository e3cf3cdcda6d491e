"""The seed's program: chapter 2 of *Deep Learning with Python*, on numeras.

Only the import lines differ from the Keras version (and the labels are one-hot encoded with
`to_categorical`, which `categorical_crossentropy` needs).

    python examples/mnist_mlp.py
"""

from numeras import layers, models
from numeras.datasets import mnist
from numeras.utils import to_categorical

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()

train_images = train_images.reshape((60000, 28 * 28))
train_images = train_images.astype("float32") / 255

test_images = test_images.reshape((10000, 28 * 28))
test_images = test_images.astype("float32") / 255

train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)

network = models.Sequential()
network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
network.add(layers.Dense(10, activation="softmax"))

network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
network.summary()

history = network.fit(train_images, train_labels, epochs=5, batch_size=128)

test_loss, test_acc = network.evaluate(test_images, test_labels, verbose=0)
print(f"gradient updates: {int(network.optimizer.iterations.numpy())}")
print(f"test_acc: {test_acc:.4f}")
