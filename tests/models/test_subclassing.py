"""Chapter 7's other two ways: subclassing Model/Layer, custom train steps, hand-written loops;
plus regularization losses and freezing."""

import numpy as np
import pytest

import numeras
from numeras import layers, losses, metrics, models, ops, optimizers, regularizers

VOCABULARY, TAGS, DEPARTMENTS = 40, 6, 4


def _ticket_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    title = rng.integers(0, 2, size=(n, VOCABULARY)).astype("float32")
    text_body = rng.integers(0, 2, size=(n, VOCABULARY)).astype("float32")
    tags = rng.integers(0, 2, size=(n, TAGS)).astype("float32")
    priority = rng.random(size=(n, 1)).astype("float32")
    department = tags[:, :DEPARTMENTS].argmax(axis=1).reshape(n, 1)
    return {"title": title, "text_body": text_body, "tags": tags}, [priority, department]


class CustomerTicketModel(models.Model):
    """The book's subclassed version of the ticket classifier."""

    def __init__(self, num_departments):
        super().__init__()
        self.concat_layer = layers.Concatenate()
        self.mixing_layer = layers.Dense(16, activation="relu")
        self.priority_scorer = layers.Dense(1, activation="sigmoid")
        self.department_classifier = layers.Dense(num_departments, activation="softmax")

    def call(self, inputs):
        features = self.concat_layer([inputs["title"], inputs["text_body"], inputs["tags"]])
        features = self.mixing_layer(features)
        return self.priority_scorer(features), self.department_classifier(features)


def test_subclassed_ticket_model_trains_with_dict_inputs_and_tuple_outputs():
    numeras.utils.set_random_seed(0)
    x, y = _ticket_data()
    model = CustomerTicketModel(num_departments=DEPARTMENTS)
    priority, department = model(x)
    assert priority.shape == (64, 1) and department.shape == (64, DEPARTMENTS)
    assert len(model.layers) == 4 and len(model.trainable_weights) == 6
    model.compile(
        optimizer="adam",
        loss=["mean_squared_error", "sparse_categorical_crossentropy"],
        metrics=[["mean_absolute_error"], ["accuracy"]],
    )
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    # Unnamed outputs: Keras names the per-output losses after the loss functions.
    assert sorted(history.history) == [
        "accuracy", "loss", "mean_absolute_error", "mean_squared_error_loss", "sparse_categorical_crossentropy_loss",
    ]
    assert history.history["loss"][-1] < history.history["loss"][0]
    priority_preds, department_preds = model.predict(x, verbose=0)
    assert priority_preds.shape == (64, 1) and department_preds.shape == (64, DEPARTMENTS)
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    labels = y[1][:, 0]
    assert results["accuracy"] == pytest.approx(np.mean(department_preds.argmax(1) == labels))
    assert results["mean_absolute_error"] == pytest.approx(np.mean(np.abs(priority_preds - y[0])), rel=1e-5)


class SimpleDense(layers.Layer):
    """A custom layer written as in the book: build creates the weights."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W = self.add_weight(shape=(input_dim, self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        y = ops.matmul(inputs, self.W) + self.b
        return self.activation(y) if self.activation is not None else y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class ActivityPenalty(layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(ops.square(inputs)))
        return inputs


def test_custom_layer_lifecycle_config_and_functional_use():
    layer = SimpleDense(units=4, activation=ops.relu)
    assert not layer.built
    out = layer(np.ones((2, 3), "float32"))
    assert layer.built and out.shape == (2, 4) and layer.W.shape == (3, 4)
    assert [w.shape for w in layer.trainable_weights] == [(3, 4), (4,)]
    clone = SimpleDense.from_config(layer.get_config())
    assert clone.units == 4 and clone.name == layer.name
    inputs = layers.Input((5,))
    symbolic = SimpleDense(7)(inputs)
    assert symbolic.shape == (None, 7)
    model = models.Model(inputs, layers.Dense(1)(symbolic))
    assert model.count_params() == 5 * 7 + 7 + 7 + 1


def test_add_loss_is_part_of_the_training_loss():
    inputs = layers.Input((3,))
    hidden = ActivityPenalty(0.5)(layers.Dense(2, kernel_initializer="ones", name="d")(inputs))
    model = models.Model(inputs, hidden)
    x = np.array([[1.0, 0.0, 1.0]], dtype="float32")
    y = np.zeros((1, 2), dtype="float32")
    model(x)
    assert len(model.losses) == 1 and float(model.losses[0].numpy()) == pytest.approx(0.5 * 8)
    model.compile(optimizer="sgd", loss="mse")
    # mse of (2, 2) against 0 is 4; the penalty 0.5 * (4 + 4) = 4.
    assert model.evaluate(x, y, verbose=0) == pytest.approx(8.0)
    # Losses are recomputed on each call, not accumulated.
    model(x)
    model(x)
    assert len(model.losses) == 1


def test_weight_and_activity_regularizers_add_exactly_their_penalties():
    numeras.utils.set_random_seed(0)
    inputs = layers.Input((4,))
    dense = layers.Dense(
        3,
        kernel_regularizer=regularizers.l2(0.01),
        bias_regularizer=regularizers.l1(0.1),
        activity_regularizer=regularizers.l1(0.001),
        bias_initializer="ones",
        name="dense",
    )
    outputs = dense(inputs)
    model = models.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.normal(size=(8, 3)).astype("float32")
    kernel, bias = dense.kernel.numpy(), dense.bias.numpy()
    activations = x @ kernel + bias
    expected_penalty = (0.01 * np.sum(kernel**2) + 0.1 * np.sum(np.abs(bias))
                        + 0.001 * np.sum(np.abs(activations)) / len(x))  # Keras divides by the batch size
    mse = np.mean((activations - y) ** 2)
    assert model.evaluate(x, y, batch_size=8, verbose=0) == pytest.approx(mse + expected_penalty, rel=1e-5)
    y_pred = model(x)
    assert len(model.losses) == 3
    total = model.compute_loss(x, y, y_pred)
    assert float(total.numpy()) == pytest.approx(mse + expected_penalty, rel=1e-5)

    # A frozen layer's weights no longer move, so their penalties drop out (Keras 3).
    dense.trainable = False
    model(x)
    assert len(model.losses) == 1  # only the activity penalty remains


def test_shared_layer_activity_penalty_counts_each_call():
    a, b = layers.Input((2,)), layers.Input((2,))
    shared = layers.Dense(2, kernel_initializer="ones", use_bias=False, activity_regularizer=regularizers.l1(1.0))
    model = models.Model([a, b], layers.add([shared(a), shared(b)]))
    ones = np.ones((1, 2), "float32")
    model([ones, 2 * ones])
    assert sorted(float(loss.numpy()) for loss in model.losses) == [4.0, 8.0]


def test_freezing_keeps_weights_and_counts_them_as_non_trainable():
    numeras.utils.set_random_seed(0)
    inputs = layers.Input((4,))
    base = layers.Dense(8, activation="relu", name="base")
    head = layers.Dense(1, name="head")
    model = models.Model(inputs, head(base(inputs)))
    base.trainable = False
    assert model.trainable_weights == head.trainable_weights
    assert len(model.non_trainable_weights) == 2
    lines = []
    model.summary(print_fn=lines.append)
    assert " Non-trainable params: 40 (160.00 B)" in lines
    frozen = base.get_weights()
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(32, 4)), rng.normal(size=(32, 1)), epochs=2, verbose=0)
    for old, new in zip(frozen, base.get_weights()):
        np.testing.assert_array_equal(old, new)
    # Freezing a whole model freezes its layers.
    model.trainable = False
    assert model.trainable_weights == [] and not head.trainable


def _mnist_like(n=96, features=20, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(classes, features))
    labels = rng.integers(0, classes, size=n)
    return (centers[labels] + rng.normal(size=(n, features))).astype("float32"), labels


def _mnist_model():
    inputs = layers.Input(shape=(20,))
    features = layers.Dense(32, activation="relu")(inputs)
    features = layers.Dropout(0.5)(features)
    outputs = layers.Dense(3, activation="softmax")(features)
    return inputs, outputs


def test_custom_train_step_with_own_metrics_property():
    """The book's first custom train_step: its own loss tracker, returned by `metrics`."""
    loss_fn = losses.SparseCategoricalCrossentropy()
    loss_tracker = metrics.Mean(name="loss")
    steps_seen = []

    class CustomModel(models.Model):
        def train_step(self, data):
            inputs, targets = data
            with numeras.GradientTape() as tape:
                predictions = self(inputs, training=True)
                loss = loss_fn(targets, predictions)
            gradients = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
            loss_tracker.update_state(loss)
            steps_seen.append(float(loss.numpy()))
            return {"loss": loss_tracker.result()}

        @property
        def metrics(self):
            return [loss_tracker]

    numeras.utils.set_random_seed(0)
    x, y = _mnist_like()
    model = CustomModel(*_mnist_model())
    assert isinstance(model, CustomModel) and isinstance(model, models.Functional)
    assert model.name.startswith("custom_model")
    model.compile(optimizer=optimizers.RMSprop())
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    # fit resets the tracker each epoch: each epoch's loss is the mean of its own 3 steps.
    assert history.history["loss"] == pytest.approx([np.mean(steps_seen[:3]), np.mean(steps_seen[3:])], rel=1e-6)
    assert int(model.optimizer.iterations.numpy()) == 6


def test_custom_train_and_test_steps_with_compiled_loss_and_metrics():
    """The book's second version: compute_loss and the compiled metrics through self.metrics."""

    class CustomModel(models.Model):
        def train_step(self, data):
            inputs, targets = data
            with numeras.GradientTape() as tape:
                predictions = self(inputs, training=True)
                loss = self.compute_loss(y=targets, y_pred=predictions)
            gradients = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(targets, predictions)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            inputs, targets = data
            predictions = self(inputs, training=False)
            loss = self.compute_loss(y=targets, y_pred=predictions)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(targets, predictions)
            return {m.name: m.result() for m in self.metrics}

    numeras.utils.set_random_seed(0)
    x, y = _mnist_like()
    model = CustomModel(*_mnist_model())
    model.compile(
        optimizer=optimizers.RMSprop(learning_rate=0.01),
        loss=losses.SparseCategoricalCrossentropy(),
        metrics=[metrics.SparseCategoricalAccuracy()],
    )
    history = model.fit(x, y, epochs=3, batch_size=32, validation_data=(x, y), verbose=0)
    assert sorted(history.history) == [
        "loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy",
    ]
    assert history.history["sparse_categorical_accuracy"][-1] > 0.7
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    predictions = model.predict(x, verbose=0)
    assert logs["sparse_categorical_accuracy"] == pytest.approx(np.mean(predictions.argmax(1) == y))


def test_hand_written_gradient_tape_loop_matches_fit():
    """The book's "writing your own training loop", step for step equal to fit()."""
    x, y = _mnist_like()

    def make():
        numeras.utils.set_random_seed(7)
        inputs = layers.Input(shape=(20,))
        hidden = layers.Dense(16, activation="relu")(inputs)
        return models.Model(inputs, layers.Dense(3, activation="softmax")(hidden))

    reference = make()
    reference.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                      metrics=["sparse_categorical_accuracy"])
    fit_logs = reference.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0).history

    model = make()
    loss_fn = losses.SparseCategoricalCrossentropy()
    optimizer = optimizers.SGD(0.1)
    metric_list = [metrics.SparseCategoricalAccuracy()]
    loss_tracking_metric = metrics.Mean()

    def train_step(inputs, targets):
        with numeras.GradientTape() as tape:
            predictions = model(inputs, training=True)
            loss = loss_fn(targets, predictions)
        gradients = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(gradients, model.trainable_weights))
        logs = {}
        for metric in metric_list:
            metric.update_state(targets, predictions)
            logs[metric.name] = metric.result()
        loss_tracking_metric.update_state(loss)
        logs["loss"] = loss_tracking_metric.result()
        return logs

    def reset_metrics():
        for metric in metric_list:
            metric.reset_state()
        loss_tracking_metric.reset_state()

    for epoch in range(2):
        reset_metrics()
        for start in range(0, len(x), 32):
            logs = train_step(x[start : start + 32], y[start : start + 32])
        assert logs["loss"] == pytest.approx(fit_logs["loss"][epoch], rel=1e-6)
        assert logs["sparse_categorical_accuracy"] == pytest.approx(fit_logs["sparse_categorical_accuracy"][epoch])
    for mine, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-7)


def test_model_subclass_calling_super_init_with_inputs_and_outputs():
    class Classifier(models.Model):
        def __init__(self, classes):
            inputs = layers.Input((5,))
            outputs = layers.Dense(classes, activation="softmax")(inputs)
            super().__init__(inputs=inputs, outputs=outputs)
            self.classes = classes

    model = Classifier(3)
    assert isinstance(model, Classifier) and isinstance(model, models.Functional)
    assert model.classes == 3 and model.output_shape == (None, 3)
    assert model.predict(np.ones((2, 5), "float32"), verbose=0).shape == (2, 3)


def test_subclassed_model_compute_output_shape_and_summary():
    class Tower(models.Model):
        def __init__(self):
            super().__init__(name="tower")
            self.first = layers.Dense(6)
            self.second = SimpleDense(2)

        def call(self, inputs):
            return self.second(self.first(inputs))

    model = Tower()
    assert model.compute_output_shape((None, 3)) == (None, 2)
    model.build((None, 3))
    lines = []
    model(np.ones((1, 3), "float32"))
    model.summary(print_fn=lines.append)
    assert lines[0] == 'Model: "tower"' and " Total params: 38 (152.00 B)" in lines
    # A subclassed model used on symbolic inputs becomes a node of a functional model.
    inputs = layers.Input((3,))
    outer = models.Model(inputs, model(inputs))
    assert outer.output_shape == (None, 2) and outer.layers[1] is model
