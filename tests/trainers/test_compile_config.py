"""get_compile_config / compile_from_config: Keras 3's shape (compared with configs Keras wrote,
tests/trainers/fixtures/make_fixtures.py) and a round trip that trains identically."""

import json
import os
import warnings

import numpy as np
import pytest

import numeras
from numeras import layers, metrics, models, optimizers

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "compile_configs.json")


def _keras_cases():
    with open(FIXTURES) as f:
        written = json.load(f)
    assert written["keras_version"].startswith("3.")
    return written["cases"]


def _model():
    return models.Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])


def _without_jit(config):
    # Keras resolves jit_compile="auto" for its backend before recording it; numeras has no JIT
    # and records the argument as given.
    return {key: value for key, value in config.items() if key != "jit_compile"}


def test_a_model_never_compiled_has_an_empty_compile_config():
    assert _model().get_compile_config() == _keras_cases()["not_compiled"] == {}


def test_the_config_matches_the_one_keras_writes():
    model = _model()
    model.compile(
        optimizer=optimizers.Adam(learning_rate=0.01),
        loss="categorical_crossentropy",
        loss_weights=[0.5],
        metrics=["accuracy", metrics.AUC(name="auc")],
        weighted_metrics=["mae"],
    )
    config = model.get_compile_config()
    assert config["jit_compile"] == "auto"
    assert _without_jit(config) == _without_jit(_keras_cases()["adam_metrics"])
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    ours, keras = _without_jit(model.get_compile_config()), _without_jit(_keras_cases()["sgd_loss_only"])
    # Both name SGD() "sgd" made unique ("sgd_3"): the counter depends on what ran before.
    for config in (ours, keras):
        assert config["optimizer"]["config"].pop("name").split("_")[0] == "sgd"
    assert ours == keras


def test_the_config_records_the_arguments_as_given_and_the_optimizer_as_it_is_now():
    model = _model()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True, steps_per_execution=4)
    model.optimizer.learning_rate = 0.25
    config = model.get_compile_config()
    assert config["run_eagerly"] is True and config["steps_per_execution"] == 4
    assert config["optimizer"]["class_name"] == "SGD"
    assert config["optimizer"]["config"]["learning_rate"] == pytest.approx(0.25)
    json.dumps(config)


def test_round_trip_compiles_the_same_training():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    first = _model()
    first.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy", metrics.AUC(name="auc")], weighted_metrics=["mae"])
    second = _model()
    second.set_weights(first.get_weights())
    second.compile_from_config(json.loads(json.dumps(first.get_compile_config())))
    assert second.compiled and type(second.optimizer) is type(first.optimizer)
    assert second.optimizer.built  # ready for saved optimizer state
    assert second.get_compile_config() == first.get_compile_config()
    logs_first = first.train_on_batch(x, y, sample_weight=np.linspace(0.5, 1.5, 16), return_dict=True)
    logs_second = second.train_on_batch(x, y, sample_weight=np.linspace(0.5, 1.5, 16), return_dict=True)
    assert logs_first.keys() == logs_second.keys() == {"loss", "accuracy", "auc", "mae"}
    for key in logs_first:
        assert logs_second[key] == pytest.approx(logs_first[key], rel=1e-6)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_model_with_its_own_compile_is_not_compiled_from_config():
    class OwnCompile(numeras.Model):
        def compile(self, **kwargs):
            super().compile(**kwargs)

    model = OwnCompile()
    with pytest.warns(UserWarning, match="compile_from_config"):
        model.compile_from_config({"optimizer": "sgd", "loss": "mse"})
    assert not model.compiled


def test_unknown_compile_arguments_are_ignored_with_a_warning_unless_neutral():
    model = _model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.compile_from_config({"optimizer": "sgd", "loss": "mse", "auto_scale_loss": True, "new_flag": None})
    assert model.compiled
    with pytest.warns(UserWarning, match="new_flag"):
        _model().compile_from_config({"optimizer": "sgd", "loss": "mse", "new_flag": 3})
