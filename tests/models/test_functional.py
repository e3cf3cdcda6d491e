"""The functional API, with the book's chapter-7 ticket classifier as the main example."""

import json
import re

import numpy as np
import pytest

import numeras
from numeras import layers, models

VOCABULARY, TAGS, DEPARTMENTS = 60, 8, 4


def _ticket_data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    title = rng.integers(0, 2, size=(n, VOCABULARY)).astype("float32")
    text_body = rng.integers(0, 2, size=(n, VOCABULARY)).astype("float32")
    tags = rng.integers(0, 2, size=(n, TAGS)).astype("float32")
    # Learnable targets: the department follows the tags, the priority the title.
    department = tags[:, :DEPARTMENTS].argmax(axis=1).reshape(n, 1)
    priority = title[:, :5].mean(axis=1, keepdims=True)
    return [title, text_body, tags], [priority, department]


def _ticket_model():
    numeras.utils.set_random_seed(0)
    title = layers.Input(shape=(VOCABULARY,), name="title")
    text_body = layers.Input(shape=(VOCABULARY,), name="text_body")
    tags = layers.Input(shape=(TAGS,), name="tags")
    features = layers.Concatenate()([title, text_body, tags])
    features = layers.Dense(16, activation="relu", name="dense_features")(features)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(features)
    department = layers.Dense(DEPARTMENTS, activation="softmax", name="department")(features)
    return models.Model(inputs=[title, text_body, tags], outputs=[priority, department])


def _reference_metrics(model, x, y):
    priority_pred, department_pred = model.predict(x, verbose=0)
    priority, department = y
    labels = department[:, 0]
    probabilities = np.clip(department_pred, 1e-7, 1 - 1e-7)
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    return {
        "priority_loss": np.mean((priority_pred - priority) ** 2),
        "priority_mean_absolute_error": np.mean(np.abs(priority_pred - priority)),
        "department_loss": np.mean(-np.log(probabilities[np.arange(len(labels)), labels])),
        "department_accuracy": np.mean(department_pred.argmax(axis=1) == labels),
    }


def test_ticket_classifier_trains_with_per_output_losses_and_metrics():
    x, y = _ticket_data()
    model = _ticket_model()
    assert isinstance(model, models.Functional) and model.name.startswith("functional")
    model.compile(
        optimizer="adam",
        loss=["mean_squared_error", "sparse_categorical_crossentropy"],
        metrics=[["mean_absolute_error"], ["accuracy"]],
    )
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    assert sorted(history.history) == [
        "department_accuracy", "department_loss", "loss", "priority_loss", "priority_mean_absolute_error",
    ]
    h = history.history
    for epoch in range(4):  # the total is the sum of the (unweighted) output losses
        assert h["loss"][epoch] == pytest.approx(h["priority_loss"][epoch] + h["department_loss"][epoch], rel=1e-5)
    assert h["loss"][-1] < h["loss"][0]

    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    for name, value in _reference_metrics(model, x, y).items():
        assert logs[name] == pytest.approx(value, rel=1e-4, abs=1e-6), name
    # As a list: the loss, the per-output losses, then the other metrics by sorted name.
    ordered = model.evaluate(x, y, verbose=0)
    assert ordered == pytest.approx([logs["loss"], logs["priority_loss"], logs["department_loss"],
                                     logs["department_accuracy"], logs["priority_mean_absolute_error"]])
    priority_preds, department_preds = model.predict(x, verbose=0)
    assert priority_preds.shape == (96, 1) and department_preds.shape == (96, DEPARTMENTS)
    assert priority_preds.dtype == np.float32


def test_dict_losses_metrics_and_data_with_loss_weights():
    x, y = _ticket_data()
    model = _ticket_model()
    model.compile(
        optimizer="rmsprop",
        loss={"priority": "mean_squared_error", "department": "sparse_categorical_crossentropy"},
        loss_weights={"priority": 1.0, "department": 0.25},
        metrics={"priority": ["mean_absolute_error"], "department": ["accuracy"]},
    )
    x_dict = {"title": x[0], "text_body": x[1], "tags": x[2]}
    y_dict = {"priority": y[0], "department": y[1]}
    history = model.fit(x_dict, y_dict, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    assert "val_priority_mean_absolute_error" in history.history
    assert "val_department_loss" in history.history
    logs = model.evaluate(x_dict, y_dict, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["priority_loss"] + 0.25 * logs["department_loss"], rel=1e-5)
    # The same data as lists gives the same results; dict inputs may come in any key order.
    shuffled_keys = {"tags": x[2], "title": x[0], "text_body": x[1]}
    assert model.evaluate(shuffled_keys, y, verbose=0, return_dict=True) == pytest.approx(logs)


def test_per_output_sample_weights():
    x, y = _ticket_data(n=64)
    model = _ticket_model()
    model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"])
    ones, zeros = np.ones(64, "float32"), np.zeros(64, "float32")
    logs = model.evaluate(x, y, sample_weight={"priority": ones, "department": zeros}, verbose=0, return_dict=True)
    assert logs["department_loss"] == 0.0
    assert logs["loss"] == pytest.approx(logs["priority_loss"])


def test_graph_structure_layers_inputs_outputs_and_feature_reuse():
    model = _ticket_model()
    names = [layer.name for layer in model.layers]
    assert names == ["title", "text_body", "tags", "concatenate", "dense_features", "priority", "department"]
    assert isinstance(model.layers[0], layers.InputLayer)
    assert [t.name for t in model.inputs] == ["title", "text_body", "tags"]
    assert model.output_names == ["priority", "department"]
    concat = model.layers[3]
    assert [t.name for t in concat.input] == ["title", "text_body", "tags"]
    assert concat.output.shape == (None, 2 * VOCABULARY + TAGS)
    assert model.get_layer("priority").output is model.outputs[0]
    assert model.get_layer(index=4) is model.get_layer("dense_features")
    assert model.input_shape == [(None, VOCABULARY), (None, VOCABULARY), (None, TAGS)]
    assert model.output_shape == [(None, 1), (None, DEPARTMENTS)]
    with pytest.raises(AttributeError, match="never been called"):
        _ = layers.Dense(3).output

    # The book's extension: a third output on the intermediate features shares every layer.
    features = model.layers[4].output
    difficulty = layers.Dense(3, activation="softmax", name="difficulty")(features)
    new_model = models.Model(inputs=model.inputs, outputs=[*model.outputs, difficulty])
    assert new_model.get_layer("dense_features") is model.get_layer("dense_features")
    assert len(new_model.trainable_weights) == len(model.trainable_weights) + 2
    x, _ = _ticket_data(n=5)
    p_old, d_old = model.predict(x, verbose=0)
    p_new, d_new, diff = new_model.predict(x, verbose=0)
    np.testing.assert_array_equal(p_old, p_new)
    np.testing.assert_array_equal(d_old, d_new)
    assert diff.shape == (5, 3)


def test_shared_layer_has_two_nodes_and_gets_both_gradients():
    numeras.utils.set_random_seed(1)
    left, right = layers.Input((6,), name="left"), layers.Input((6,), name="right")
    shared = layers.Dense(4, name="shared")
    distance = layers.subtract([shared(left), shared(right)])
    output = layers.Dense(1, name="score")(distance)
    model = models.Model([left, right], output)
    assert len(shared._inbound_nodes) == 2
    assert shared.output is shared._inbound_nodes[0].output_tensors[0]
    assert len(model.weights) == 4  # the shared kernel and bias once
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(8, 6)).astype("float32"), rng.normal(size=(8, 6)).astype("float32")
    expected = (a @ shared.kernel.numpy() - b @ shared.kernel.numpy()) @ model.get_layer("score").kernel.numpy()
    expected += model.get_layer("score").bias.numpy()
    np.testing.assert_allclose(model([a, b]).numpy(), expected, rtol=1e-5, atol=1e-6)
    with numeras.GradientTape() as tape:
        loss = numeras.ops.sum(model([a, b]))
    kernel_grad = tape.gradient(loss, shared.kernel)
    # d/dW sum((aW - bW) v) = (a - b)^T 1 v^T: both calls contribute.
    v = model.get_layer("score").kernel.numpy()[:, 0]
    np.testing.assert_allclose(kernel_grad.numpy(), np.outer((a - b).sum(axis=0), v), rtol=1e-4, atol=1e-5)
    lines = []
    model.summary(print_fn=lines.append, line_length=110)
    text = "\n".join(lines)
    assert "Connected to" in text and "shared[0][0], shared[1][0]" in text


def test_nested_model_as_a_layer_trains_inner_weights():
    numeras.utils.set_random_seed(2)
    inner_input = layers.Input((4,))
    inner = models.Model(inner_input, layers.Dense(3, activation="relu", name="inner_dense")(inner_input), name="inner")
    outer_input = layers.Input((4,), name="outer_in")
    output = layers.Dense(1, name="head")(inner(outer_input))
    model = models.Model(outer_input, output, name="outer")
    assert [layer.name for layer in model.layers] == ["outer_in", "inner", "head"]
    assert len(model.trainable_weights) == 4
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    direct = model.get_layer("head")(inner(x)).numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), direct, rtol=1e-6)
    before = inner.get_weights()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((16, 1), "float32"), epochs=1, verbose=0)
    assert any(not np.array_equal(old, new) for old, new in zip(before, inner.get_weights()))


def test_nodes_run_in_topological_order_whatever_the_creation_order():
    x_in = layers.Input((3,), name="x")
    late = layers.Dense(2, name="late", kernel_initializer="ones")
    early = layers.Dense(2, name="early", kernel_initializer="ones")
    # `late` is created first but called on `early`'s output.
    branch = early(x_in)
    joined = layers.add([late(branch), branch])
    model = models.Model(x_in, joined)
    assert [layer.name for layer in model.layers] == ["x", "early", "late", "add"]
    x = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    np.testing.assert_allclose(model(x).numpy(), [[18.0, 18.0]])  # early: 6; late: 12; sum: 18


def test_dict_inputs_and_outputs():
    a, b = layers.Input((3,), name="a"), layers.Input((2,), name="b")
    merged = layers.concatenate([a, b])
    model = models.Model(
        inputs={"a": a, "b": b},
        outputs={"sum": layers.Dense(1, name="sum")(merged), "cls": layers.Dense(2, activation="softmax", name="cls")(merged)},
    )
    assert [t.name for t in model.inputs] == ["a", "b"]
    rng = np.random.default_rng(0)
    data = {"a": rng.normal(size=(20, 3)).astype("float32"), "b": rng.normal(size=(20, 2)).astype("float32")}
    out = model(data)
    assert set(out) == {"sum", "cls"} and out["cls"].shape == (20, 2)
    model.compile(optimizer="adam", loss={"sum": "mse", "cls": "sparse_categorical_crossentropy"}, metrics={"cls": "accuracy"})
    targets = {"sum": rng.normal(size=(20, 1)).astype("float32"), "cls": rng.integers(0, 2, size=20)}
    history = model.fit(data, targets, epochs=1, batch_size=8, verbose=0)
    assert sorted(history.history) == ["cls_accuracy", "cls_loss", "loss", "sum_loss"]
    predictions = model.predict(data, verbose=0)
    assert set(predictions) == {"sum", "cls"} and predictions["sum"].shape == (20, 1)
    # Shapes are matched to dict inputs by key, as data is (a shape tuple is one leaf).
    shapes = model.compute_output_shape({"b": (5, 2), "a": (5, 3)})
    assert shapes == {"sum": (5, 1), "cls": (5, 2)}
    assert model.compute_output_shape([(None, 3), (None, 2)]) == {"sum": (None, 1), "cls": (None, 2)}


def test_functional_config_follows_keras3_format_and_round_trips():
    numeras.utils.set_random_seed(3)
    inner_input = layers.Input((4,), name="inner_in")
    inner = models.Model(inner_input, layers.Dense(4, name="inner_dense")(inner_input), name="inner")
    a, b = layers.Input((4,), name="a"), layers.Input((4,), name="b")
    shared = layers.Dense(4, name="shared")
    merged = layers.add([shared(a), shared(b)], name="add")
    model = models.Model(inputs=[a, b], outputs=[inner(merged), merged], name="outer")
    config = json.loads(json.dumps(model.get_config()))  # JSON-safe
    assert config["name"] == "outer" and config["trainable"] is True
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    # A nested functional model's first call is referenced as node 1 (Keras's convention).
    assert config["output_layers"] == [["inner", 1, 0], ["add", 0, 0]]
    by_name = {entry["name"]: entry for entry in config["layers"]}
    assert by_name["a"]["inbound_nodes"] == [] and by_name["a"]["class_name"] == "InputLayer"
    shared_nodes = by_name["shared"]["inbound_nodes"]
    assert len(shared_nodes) == 2
    tensor = shared_nodes[1]["args"][0]
    assert tensor["class_name"] == "__keras_tensor__"
    assert tensor["config"] == {"shape": [None, 4], "dtype": "float32", "keras_history": ["b", 0, 0]}
    add_args = by_name["add"]["inbound_nodes"][0]["args"][0]
    assert [t["config"]["keras_history"] for t in add_args] == [["shared", 0, 0], ["shared", 1, 0]]
    assert by_name["inner"]["class_name"] == "Functional"
    assert by_name["inner"]["module"] == "keras.src.models.functional"
    assert by_name["inner"]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == ["add", 0, 0]

    clone = models.Model.from_config(config)
    assert isinstance(clone, models.Functional)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert len(clone.get_layer("shared")._inbound_nodes) == 2
    clone.set_weights(model.get_weights())
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 4)).astype("float32")]
    for got, want in zip(clone.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # Deserializing through the layer registry works too (a model inside a saved model).
    rebuilt = layers.deserialize({"class_name": "Functional", "config": config})
    assert rebuilt.count_params() == model.count_params()


def test_from_config_accepts_keras2_inbound_nodes():
    config = {
        "name": "legacy",
        "layers": [
            {"class_name": "InputLayer", "name": "in",
             "config": {"batch_input_shape": [None, 3], "dtype": "float32", "name": "in"}, "inbound_nodes": []},
            {"class_name": "Dense", "name": "d",
             "config": {"name": "d", "units": 2, "activation": "relu"}, "inbound_nodes": [[["in", 0, 0, {}]]]},
        ],
        "input_layers": [["in", 0, 0]],
        "output_layers": [["d", 0, 0]],
    }
    model = models.Model.from_config(config)
    assert model.output_shape == (None, 2) and model(np.ones((2, 3), "float32")).shape == (2, 2)


def test_summary_of_a_chain_has_no_connected_to_column():
    inputs = layers.Input((5,))
    model = models.Model(inputs, layers.Dense(2)(layers.Dense(3)(inputs)))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" not in text and "(InputLayer)" in text
    assert len({len(line) for line in lines[1:-3]}) == 1


def test_ticket_summary_lists_the_connections():
    lines = []
    _ticket_model().summary(print_fn=lines.append, line_length=108)
    text = "\n".join(lines)
    assert "Connected to" in text
    assert re.search(r"│ title\[0\]\[0\],\s+│", text) and "tags[0][0]" in text
    assert re.search(r"│ priority \(Dense\)\s+│ \(None, 1\)\s+│\s+17 │ dense_features\[0\]\[0\]", text)
    assert len({len(line) for line in lines[1:-3]}) == 1, "table rows must line up"


def test_an_intermediate_tensor_as_input_starts_a_model_that_shares_the_layers(tmp_path):
    # As Keras 3: the tensor gets a new Input (named after it, plus CLONE) and the calls after it
    # are made again on that Input, with the same layers (so the same weights).
    features = layers.Input((4,), name="features")
    side = layers.Input((2,), name="side")
    hidden = layers.Dense(3, activation="relu", name="hidden")(features)
    deeper = layers.Dense(3, name="deeper")(hidden)
    merged = layers.Concatenate(name="merge")([deeper, side])
    head = layers.Dense(1, name="head")(merged)
    full = models.Model([features, side], head)
    tail = models.Model([hidden, side], head)
    assert [layer.name for layer in tail.layers] == ["hiddenCLONE", "deeper", "side", "merge", "head"]  # as Keras orders them
    assert tail.inputs[0].shape == (None, 3)
    rng = np.random.default_rng(0)
    x, s = rng.normal(size=(5, 4)).astype("float32"), rng.normal(size=(5, 2)).astype("float32")
    h = full.get_layer("hidden")(x).numpy()
    np.testing.assert_allclose(tail.predict([h, s], verbose=0), full.predict([x, s], verbose=0), rtol=1e-6)
    assert tail.get_layer("head") is full.get_layer("head")
    path = tmp_path / "tail.keras"
    tail.save(path)
    loaded = models.load_model(path)
    np.testing.assert_allclose(loaded.predict([h, s], verbose=0), tail.predict([h, s], verbose=0), rtol=1e-6)


def test_errors_are_explicit():
    a, b = layers.Input((3,), name="a"), layers.Input((3,), name="b")
    out = layers.add([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        models.Model(a, out)
    with pytest.raises(ValueError, match="must be KerasTensors"):
        models.Model(a, np.ones(3))
    first = layers.Dense(2, name="same")(a)
    with pytest.raises(ValueError, match='"same" is used 2 times'):
        models.Model(a, layers.Dense(2, name="same")(first))
    model = models.Model([a, b], out)
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 3), "float32")
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) \['a', 'b'\]"):
        model.fit(x, x, verbose=0)
    with pytest.raises(ValueError, match=r"input 'b' of model .* expects data of shape \(None, 3\)"):
        model.fit([x, np.ones((4, 5), "float32")], x, verbose=0)
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        model.predict({"a": x}, verbose=0)
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit([x, x[:3]], x, verbose=0)


def test_integer_labels_for_categorical_output_fail_before_training():
    x, y = _ticket_data(n=32)
    model = _ticket_model()
    model.compile(optimizer="sgd", loss=["mse", "categorical_crossentropy"])
    with pytest.raises(ValueError, match="to_categorical"):
        model.fit(x, y, epochs=1, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 0


def test_one_loss_for_every_output_and_operators_record_layers():
    x, y = _ticket_data(n=32)
    model = _ticket_model()
    model.compile(optimizer="sgd", loss="mse")
    one_hot = np.eye(DEPARTMENTS, dtype="float32")[y[1][:, 0]]
    logs = model.evaluate(x, [y[0], one_hot], verbose=0, return_dict=True)
    assert sorted(logs) == ["department_loss", "loss", "priority_loss"]
    assert logs["loss"] == pytest.approx(logs["priority_loss"] + logs["department_loss"], rel=1e-6)
    symbolic = layers.Input((3,))
    assert type((symbolic + symbolic)._keras_history[0]).__name__ == "TensorOperator"
