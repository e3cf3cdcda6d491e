import re

import numpy as np
import pytest

import numeras
from numeras import layers, models


def _toy_data(n=256, features=20, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(classes, features))
    labels = rng.integers(0, classes, size=n)
    x = (centers[labels] + rng.normal(size=(n, features))).astype("float32")
    y = np.eye(classes, dtype="float32")[labels]
    return x, y, labels


def _model(features=20, classes=3):
    return models.Sequential([
        layers.Dense(16, activation="relu", input_shape=(features,)),
        layers.Dense(classes, activation="softmax"),
    ])


def test_seed_model_summary_matches_keras_layout():
    model = models.Sequential()
    model.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    model.add(layers.Dense(10, activation="softmax"))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert lines[0] == 'Model: "sequential"'
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert re.search(r"│ dense \(Dense\)\s+│ \(None, 512\)\s+│\s+401,920 │", text)
    assert re.search(r"│ dense_1 \(Dense\)\s+│ \(None, 10\)\s+│\s+5,130 │", text)
    assert " Total params: 407,050 (1.55 MB)" in lines
    assert " Trainable params: 407,050 (1.55 MB)" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines
    assert model.count_params() == 407_050
    assert len({len(line) for line in lines[1:-3]}) == 1, "table rows must line up"


def test_sequential_from_input_and_layer_access():
    model = models.Sequential([layers.Input((4,)), layers.Dense(3, name="hidden"), layers.Dense(2)])
    assert model.built
    assert [layer.name for layer in model.layers] == ["hidden", "dense"]
    assert model.get_layer("hidden") is model.layers[0]
    assert model.get_layer(index=1) is model.layers[1]
    with pytest.raises(ValueError, match="no layer named"):
        model.get_layer("missing")
    popped = model.pop()
    assert popped.name == "dense" and len(model.layers) == 1


def test_sequential_built_from_first_data():
    model = models.Sequential([layers.Dense(3), layers.Dense(2)])
    assert not model.built
    out = model.predict(np.ones((5, 7), dtype="float32"), verbose=0)
    assert out.shape == (5, 2) and out.dtype == np.float32
    assert model.layers[0].kernel.shape == (7, 3)


def test_fit_history_keys_iterations_and_accuracy():
    x, y, _ = _toy_data()
    model = _model()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert history.epoch == [0, 1, 2]
    assert history.params["epochs"] == 3 and history.params["steps"] == 8
    assert int(model.optimizer.iterations.numpy()) == 24
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.9
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"accuracy", "loss"}


def test_metric_names_follow_what_the_user_wrote_and_validation():
    x, y, _ = _toy_data()
    model = _model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, y, epochs=2, batch_size=64, validation_split=0.25, verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert history.params["steps"] == 3  # 192 training samples at batch 64


def test_validation_split_takes_the_last_samples():
    x, y, _ = _toy_data(n=100)
    model = _model()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    seen = []

    class Spy(numeras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(batch)

    model.fit(x, y, epochs=1, batch_size=10, validation_split=0.2, verbose=0, callbacks=[Spy()])
    assert len(seen) == 8
    val = model.evaluate(x[80:], y[80:], verbose=0)
    assert model.history.history["val_loss"][0] == pytest.approx(val, rel=1e-5)


def test_integer_labels_with_categorical_crossentropy_fail_before_training():
    x, _, labels = _toy_data()
    model = _model()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    before = model.get_weights()
    with pytest.raises(ValueError) as info:
        model.fit(x, labels, epochs=1, batch_size=32, verbose=0)
    message = str(info.value)
    assert "to_categorical" in message and "sparse_categorical_crossentropy" in message
    assert int(model.optimizer.iterations.numpy()) == 0
    for old, new in zip(before, model.get_weights()):
        assert np.array_equal(old, new)


def test_sparse_labels_train_with_sparse_loss():
    x, _, labels = _toy_data()
    model = _model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, labels, epochs=3, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.8


def test_errors_before_first_step():
    x, y, _ = _toy_data()
    model = _model()
    with pytest.raises(ValueError, match="compile"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(x, y[:-1], verbose=0)
    with pytest.raises(ValueError, match=r"expects samples of shape \(20,\)"):
        model.fit(x[:, :10], y, verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=0, verbose=0)


def test_image_shaped_input_suggests_reshape():
    model = models.Sequential([layers.Dense(10, activation="softmax", input_shape=(784,))])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    images = np.zeros((6, 28, 28), dtype="float32")
    with pytest.raises(ValueError, match=r"reshape\(\(len\(x\), 784\)\)"):
        model.fit(images, np.eye(10, dtype="float32")[:6], verbose=0)


def test_unknown_names_fail_at_compile():
    model = _model()
    with pytest.raises(ValueError, match="rmsprop"):
        model.compile(optimizer="rmsprp", loss="mse")
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        model.compile(optimizer="sgd", loss="categorical_crossentropie")
    with pytest.raises(ValueError, match="accuracy"):
        model.compile(optimizer="sgd", loss="mse", metrics=["acuracy"])


def test_metrics_given_positionally_as_loss_weights_fail_at_compile():
    # Keras 2 took compile(optimizer, loss, metrics); in Keras 3 the third argument is loss_weights.
    model = _model()
    with pytest.raises(TypeError, match=r"`loss_weights`.*\['accuracy'\].*metrics=\['accuracy'\]"):
        model.compile("rmsprop", "categorical_crossentropy", ["accuracy"])
    with pytest.raises(TypeError, match="loss_weights"):
        model.compile("rmsprop", "mse", loss_weights={"out": "heavy"})
    model.compile("rmsprop", "mse", [0.5])


def test_same_seed_same_weights():
    x, y, _ = _toy_data()

    def run():
        numeras.utils.set_random_seed(42)
        model = _model()
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=32, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        assert np.array_equal(a, b)


def test_batch_methods_and_sample_weights():
    x, y, labels = _toy_data()
    model = _model()
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    loss, acc = model.train_on_batch(x[:32], y[:32])
    assert np.isfinite(loss) and 0 <= acc <= 1
    assert int(model.optimizer.iterations.numpy()) == 1
    assert model.predict_on_batch(x[:5]).shape == (5, 3)
    assert len(model.test_on_batch(x[:32], y[:32])) == 2
    zero_weights = np.zeros(len(x), dtype="float32")
    before = model.get_weights()
    model.fit(x, y, sample_weight=zero_weights, epochs=1, batch_size=64, verbose=0, shuffle=False)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_allclose(old, new, atol=1e-7)
    model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, epochs=1, verbose=0)


def test_progress_bar_in_a_log_file_has_no_carriage_returns(capsys):
    x, y, _ = _toy_data(n=300)
    model = _model()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=128, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert re.search(r"3/3 ━+ \S+ \S+/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}", out)
    assert "\r" not in out and "\b" not in out


def test_subclassed_model_trains_on_the_same_trainer():
    class TwoLayer(models.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(16, activation="relu")
            self.out = layers.Dense(3, activation="softmax")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    x, y, _ = _toy_data()
    model = TwoLayer()
    assert model.name == "two_layer"
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(model.trainable_weights) == 4


def test_sequential_config_round_trip():
    model = _model()
    clone = models.Sequential.from_config(model.get_config())
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert clone.count_params() == model.count_params()


def test_summary_prints_to_stdout(capsys):
    _model().summary()
    assert 'Model: "sequential"' in capsys.readouterr().out


def test_predict_matches_call():
    x, _, _ = _toy_data(n=70)
    model = _model()
    direct = model(x).numpy()
    # Different batch sizes take different BLAS paths: equal up to float32 rounding.
    np.testing.assert_allclose(model.predict(x, batch_size=16, verbose=0), direct, rtol=1e-5, atol=1e-7)


def test_sequential_layers_feed_an_activation_model():
    """Book 5.4: a functional model exposing every layer's output of a Sequential."""
    model = models.Sequential([layers.Input((6,)), layers.Dense(4, activation="relu"), layers.Dense(2)])
    assert model.input.shape == (None, 6)
    assert model.output.shape == (None, 2)
    activations = models.Model(inputs=model.input, outputs=[layer.output for layer in model.layers])
    x = np.random.default_rng(0).normal(size=(3, 6)).astype("float32")
    hidden, out = activations.predict(x, verbose=0)
    np.testing.assert_allclose(hidden, model.layers[0](x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-5, atol=1e-7)
