"""The seed document's program, end to end on real MNIST."""

import re
import runpy
from pathlib import Path

import numpy as np
import pytest

from numeras import layers, models
from numeras.datasets import mnist

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mnist_mlp.py"


@pytest.mark.slow
def test_seed_program_reaches_keras_accuracy(capsys):
    namespace = runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    network, history = namespace["network"], namespace["history"]
    assert out.count("469/469") == 5
    assert "Epoch 5/5" in out
    assert int(network.optimizer.iterations.numpy()) == 2345
    assert sorted(history.history) == ["accuracy", "loss"]
    assert network.count_params() == 407_050
    test_acc = float(re.search(r"test_acc: (\d\.\d+)", out).group(1))
    assert test_acc >= 0.975
    assert namespace["test_acc"] == pytest.approx(test_acc, abs=1e-4)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_seed_program_as_written_stops_before_any_step():
    """The seed passes integer labels to categorical_crossentropy: a clear error, no training."""
    (train_images, train_labels), _ = mnist.load_data()
    train_images = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
    network = models.Sequential()
    network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(layers.Dense(10, activation="softmax"))
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    weights = network.get_weights()
    with pytest.raises(ValueError) as info:
        network.fit(train_images, train_labels, epochs=5, batch_size=128)
    message = str(info.value)
    assert "to_categorical" in message
    assert "sparse_categorical_crossentropy" in message
    assert int(network.optimizer.iterations.numpy()) == 0
    assert all(np.array_equal(a, b) for a, b in zip(weights, network.get_weights()))


def test_seed_arithmetic_of_steps():
    """60,000 samples at batch 128: 469 steps, the last of 96 samples; 5 epochs = 2,345 updates."""
    from numeras.trainers.data_adapters.array_data_adapter import batch_indices

    batches = list(batch_indices(60000, 128, shuffle=True))
    assert len(batches) == 469
    assert len(batches[-1]) == 96
    assert sorted(np.concatenate(batches).tolist()) == list(range(60000))
