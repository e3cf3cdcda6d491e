"""optimizers.get / serialize / deserialize and get_config / from_config round trips."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import numeras as nm
from numeras import optimizers
from numeras.optimizers import schedules

NON_DEFAULT = {
    "SGD": {"learning_rate": 0.2, "momentum": 0.8, "nesterov": True, "clipnorm": 2.0},
    "RMSprop": {"learning_rate": 0.02, "rho": 0.8, "momentum": 0.1, "epsilon": 1e-5, "centered": True, "clipvalue": 1.0},
    "Adagrad": {"learning_rate": 0.3, "initial_accumulator_value": 0.2, "epsilon": 1e-6, "weight_decay": 0.01},
    "Adam": {"learning_rate": 0.004, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-6, "amsgrad": True, "global_clipnorm": 3.0},
    "AdamW": {"learning_rate": 0.004, "weight_decay": 0.1, "beta_1": 0.85, "amsgrad": True},
    "Nadam": {"learning_rate": 0.004, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-6, "use_ema": True, "ema_momentum": 0.9},
    "Adamax": {"learning_rate": 0.004, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-6, "loss_scale_factor": 8.0},
    "Adadelta": {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6, "gradient_accumulation_steps": 3},
}

KERAS_DEFAULTS = {
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False, "name": "sgd"},
    "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False, "name": "rm_sprop"},
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7, "name": "adagrad"},
    "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False, "name": "adam"},
    "AdamW": {"learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "name": "adam_w"},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "name": "nadam"},
    "Adamax": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "name": "adamax"},
    "Adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7, "name": "adadelta"},
}


@pytest.mark.parametrize("name", sorted(KERAS_DEFAULTS))
def test_defaults_match_keras_3(name):
    config = getattr(optimizers, name)().get_config()
    for key, expected in KERAS_DEFAULTS[name].items():
        if key == "learning_rate":
            assert config[key] == pytest.approx(expected, rel=1e-7)  # stored in float32
        elif key == "name":  # Keras 3.15's automatic name: snake case of the class, made unique
            assert re.fullmatch(rf"{expected}(_\d+)?", config[key]), config[key]
        else:
            assert config[key] == expected, key
    for key in ("clipnorm", "clipvalue", "global_clipnorm", "loss_scale_factor", "gradient_accumulation_steps"):
        assert config[key] is None
    assert config["use_ema"] is False and config["ema_momentum"] == 0.99


def test_adagrad_is_auto_named():
    assert optimizers.Adagrad().name.startswith("adagrad")


@pytest.mark.parametrize("name", sorted(NON_DEFAULT))
def test_config_round_trip(name):
    cls = getattr(optimizers, name)
    original = cls(**NON_DEFAULT[name], name="mine")
    config = original.get_config()
    json.dumps(config)  # Keras configs are JSON
    rebuilt = cls.from_config(config)
    assert rebuilt.get_config() == config
    serialized = optimizers.serialize(original)
    assert serialized["module"] == "keras.optimizers" and serialized["class_name"] == name
    again = optimizers.deserialize(json.loads(json.dumps(serialized)))
    assert type(again) is cls and again.get_config() == config


def test_config_round_trip_with_a_schedule():
    schedule = schedules.CosineDecay(0.1, decay_steps=50, alpha=0.1)
    config = optimizers.Adam(learning_rate=schedule).get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    rebuilt = optimizers.Adam.from_config(json.loads(json.dumps(config)))
    assert isinstance(rebuilt._learning_rate, schedules.CosineDecay)
    assert float(rebuilt.learning_rate) == pytest.approx(0.1)


def test_from_config_ignores_tf_keras_legacy_flags_and_accepts_keras2_keys():
    config = {"learning_rate": 0.01, "is_legacy_optimizer": False, "jit_compile": True}
    assert float(optimizers.RMSprop.from_config(config).learning_rate) == pytest.approx(0.01)
    with pytest.warns(DeprecationWarning):
        old = optimizers.deserialize({"class_name": "RMSprop", "config": {"lr": 0.002, "rho": 0.9, "decay": 0.0}})
    assert float(old.learning_rate) == pytest.approx(0.002)


@pytest.mark.parametrize("identifier", ["rmsprop", "RMSprop", "RMSPROP", "RMSProp"])
def test_get_is_case_insensitive(identifier):
    optimizer = optimizers.get(identifier)
    assert type(optimizer) is optimizers.RMSprop
    assert optimizer.get_config()["learning_rate"] == pytest.approx(0.001)


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw", "nadam", "adamax", "adadelta", "adagrad"])
def test_get_every_name_gives_a_fresh_instance(name):
    first, second = optimizers.get(name), optimizers.get(name)
    assert type(first).__name__.lower() == name and first is not second


def test_get_passes_instances_and_none_through_and_reads_dicts():
    optimizer = optimizers.Adam()
    assert optimizers.get(optimizer) is optimizer
    assert optimizers.get(None) is None
    from_dict = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5, "momentum": 0.5}})
    assert type(from_dict) is optimizers.SGD and from_dict.momentum == 0.5


def test_get_unknown_name_lists_valid_names_and_suggests_the_closest():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'rmsprp'\. Did you mean 'rmsprop'\?.*adadelta.*sgd"):
        optimizers.get("rmsprp")
    with pytest.raises(ValueError, match="Unknown optimizer 'optimizer'"):
        optimizers.get("optimizer")


def test_get_rejects_classes_and_other_objects_clearly():
    with pytest.raises(ValueError, match=r"pass an instance, e\.g\. Adam\(\)"):
        optimizers.get(optimizers.Adam)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: 42"):
        optimizers.get(42)


def test_deserialize_custom_class_with_custom_objects():
    class Mine(optimizers.SGD):
        pass

    config = optimizers.serialize(Mine(learning_rate=0.3))
    assert config["class_name"] == "Mine"
    rebuilt = optimizers.deserialize(config, custom_objects={"Mine": Mine})
    assert type(rebuilt) is Mine
    with pytest.raises(ValueError, match="Unknown optimizer 'Mine'"):
        optimizers.deserialize(config)


def test_optimizers_reachable_from_the_package():
    assert nm.optimizers.RMSprop is optimizers.RMSprop
    assert nm.optimizers.schedules.ExponentialDecay is schedules.ExponentialDecay
    (w,) = [nm.Variable(np.ones(1, np.float32))]
    nm.optimizers.get("sgd").apply([np.ones(1, np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [0.99])
