"""numeras -> numeras: save and load models and weights, in Keras 3's exact layout."""

from __future__ import annotations

import io
import json
import re
import sys
import warnings
import zipfile

import h5py
import numpy as np
import pytest
from saving_helpers import Scale, double, mnist_like, seed_mlp

import numeras
from numeras import layers, models, optimizers
from numeras.saving import (
    SavedFileError,
    UnknownObjectError,
    UnsafeDeserializationError,
    custom_object_scope,
    register_keras_serializable,
)


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def _h5_layout(payload: bytes) -> dict:
    """{dataset path: shape} and {group path: name attribute} of an HDF5 file's content."""
    datasets, names = {}, {}
    with h5py.File(io.BytesIO(payload), "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                datasets[name] = obj.shape
            elif "name" in obj.attrs:
                names[name] = obj.attrs["name"]
        f.visititems(visit)
    return datasets, names


# -- the .keras archive ----------------------------------------------------------------
def test_keras_archive_roundtrip_predicts_and_trains_identically(tmp_path):
    model = seed_mlp()
    x, y = mnist_like(8, seed=7)
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras")
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == 2
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras_archive_members_and_h5_layout_are_keras_3s(tmp_path):
    model = seed_mlp()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        metadata = json.loads(archive.read("metadata.json"))
        weights = archive.read("model.weights.h5")
    assert metadata["keras_version"].startswith("3.") and "date_saved" in metadata
    datasets, names = _h5_layout(weights)
    assert datasets == {
        "layers/dense/vars/0": (784, 32),
        "layers/dense/vars/1": (32,),
        "layers/dense_1/vars/0": (32, 10),
        "layers/dense_1/vars/1": (10,),
        "optimizer/vars/0": (),
        "optimizer/vars/1": (),
        "optimizer/vars/2": (784, 32),
        "optimizer/vars/3": (32,),
        "optimizer/vars/4": (32, 10),
        "optimizer/vars/5": (10,),
    }
    # The optimizer's automatic name, as Keras 3.15 gives it: "rm_sprop", made unique by a counter.
    assert re.fullmatch(r"rm_sprop(_\d+)?", names.pop("optimizer/vars"))
    assert names == {
        "vars": "sequential",
        "layers/dense/vars": "dense",
        "layers/dense_1/vars": "dense_1",
    }


def test_paths_come_from_class_names_not_layer_names(tmp_path):
    model = models.Sequential([layers.Input((3,)), layers.Dense(2, name="hidden"), layers.Dense(1, name="out")])
    model.save_weights(tmp_path / "w.weights.h5")
    datasets, names = _h5_layout((tmp_path / "w.weights.h5").read_bytes())
    assert set(datasets) == {"layers/dense/vars/0", "layers/dense/vars/1", "layers/dense_1/vars/0", "layers/dense_1/vars/1"}
    assert names["layers/dense/vars"] == "hidden" and names["layers/dense_1/vars"] == "out"


def test_config_json_is_keras_3s_format(tmp_path):
    model = seed_mlp()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        config = json.loads(archive.read("config.json"))
    assert (config["module"], config["class_name"], config["registered_name"]) == ("keras", "Sequential", None)
    assert config["build_config"] == {"input_shape": [None, 784]}
    assert config["config"]["build_input_shape"] == [None, 784]
    assert config["config"]["dtype"] == {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    input_layer, dense, _ = config["config"]["layers"]
    assert input_layer == {
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {
            "batch_shape": [None, 784], "dtype": "float32", "sparse": False, "ragged": False, "name": "input_layer",
            "optional": False,
        },
        "registered_name": None,
    }
    assert (dense["module"], dense["class_name"], dense["registered_name"]) == ("keras.layers", "Dense", None)
    assert dense["build_config"] == {"input_shape": [None, 784]}
    assert dense["config"]["dtype"]["class_name"] == "DTypePolicy"
    assert dense["config"]["kernel_initializer"] == {
        "module": "keras.initializers", "class_name": "GlorotUniform",
        "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None,
    }
    compile_config = config["compile_config"]
    assert compile_config["optimizer"]["module"] == "keras.optimizers"
    assert compile_config["optimizer"]["class_name"] == "RMSprop"
    assert compile_config["loss"] == "categorical_crossentropy"
    assert compile_config["metrics"] == ["accuracy"]


def test_uncompiled_model_roundtrips_uncompiled(tmp_path):
    model = seed_mlp(compile=False, train=False)
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras")
    assert not loaded.compiled
    x, _ = mnist_like(4)
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_compiled_untrained_model_saves_full_optimizer_state(tmp_path):
    model = seed_mlp(train=False)
    model.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "skipping optimizer variables" warning
        loaded = models.load_model(tmp_path / "m.keras")
    assert len(loaded.optimizer.variables) == 6


def test_learning_rate_and_optimizer_config_roundtrip(tmp_path):
    model = seed_mlp(train=False, optimizer=optimizers.Adam(learning_rate=3e-4, beta_1=0.8, clipnorm=1.0))
    model.save(tmp_path / "m.keras")
    optimizer = models.load_model(tmp_path / "m.keras").optimizer
    assert type(optimizer).__name__ == "Adam"
    assert optimizer.beta_1 == 0.8 and optimizer.clipnorm == 1.0
    np.testing.assert_allclose(float(optimizer.learning_rate.numpy()), 3e-4, rtol=1e-6)


def test_schedule_learning_rate_roundtrips(tmp_path):
    schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    model = seed_mlp(train=False, optimizer=optimizers.SGD(learning_rate=schedule))
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras").optimizer
    assert type(loaded._learning_rate).__name__ == "ExponentialDecay"
    assert loaded._learning_rate.decay_steps == 10


# -- weights only ----------------------------------------------------------------------
def test_weights_roundtrip_into_a_fresh_model(tmp_path):
    model = seed_mlp()
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = seed_mlp(train=False)
    fresh.load_weights(tmp_path / "w.weights.h5")
    x, _ = mnist_like(4)
    _close(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(fresh.optimizer.iterations.numpy()) == 2


def test_load_weights_from_a_keras_archive(tmp_path):
    model = seed_mlp()
    model.save(tmp_path / "m.keras")
    fresh = seed_mlp(compile=False, train=False)
    fresh.load_weights(tmp_path / "m.keras")
    x, _ = mnist_like(4)
    _close(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_mismatched_weights_are_all_reported_and_nothing_is_loaded(tmp_path):
    seed_mlp(compile=False, train=False).save_weights(tmp_path / "w.weights.h5")
    other = models.Sequential([layers.Input((784,)), layers.Dense(16, activation="relu"), layers.Dense(10)])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(SavedFileError) as info:
        other.load_weights(tmp_path / "w.weights.h5")
    message = str(info.value)
    assert "w.weights.h5" in message and "nothing was loaded" in message
    assert "(784, 16)" in message and "(784, 32)" in message and "layers/dense/vars/0" in message
    for old, new in zip(before, other.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_skip_mismatch_loads_what_fits(tmp_path):
    source = models.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2)])
    source.save_weights(tmp_path / "w.weights.h5")
    target = models.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(5)])
    with pytest.warns(UserWarning, match="Skipping"):
        target.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(target.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())


def test_missing_layer_weights_are_an_error(tmp_path):
    models.Sequential([layers.Input((4,)), layers.Dense(3)]).save_weights(tmp_path / "w.weights.h5")
    bigger = models.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2)])
    with pytest.raises(SavedFileError, match=r"Dense 'dense_\d+' \(at 'layers/dense_1/vars'\) has 2 variables"):
        bigger.load_weights(tmp_path / "w.weights.h5")


def test_unbuilt_model_cannot_save_or_load_weights(tmp_path):
    model = models.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match="not yet been built"):
        model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="not yet been built"):
        model.load_weights(tmp_path / "w.weights.h5")


def test_file_names_follow_keras(tmp_path):
    model = seed_mlp(compile=False, train=False)
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="Invalid filepath extension"):
        model.save(tmp_path / "m.tf")
    with pytest.raises(ValueError, match="File format not supported"):
        models.load_model(tmp_path / "m.pb")
    with pytest.raises(FileNotFoundError, match="No such file"):
        models.load_model(tmp_path / "absent.keras")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.save(tmp_path / "no_dir" / "m.keras")


def test_overwrite_false_asks_like_keras(tmp_path, monkeypatch):
    model = seed_mlp(compile=False, train=False)
    target = tmp_path / "m.keras"
    target.write_bytes(b"old")
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    model.save(target, overwrite=False)
    assert target.read_bytes() == b"old"
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    model.save(target, overwrite=False)
    assert zipfile.is_zipfile(target)

    def no_terminal(prompt=""):
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save(target, overwrite=False)


# -- legacy HDF5 -------------------------------------------------------------------------
def test_legacy_h5_model_roundtrip(tmp_path):
    model = seed_mlp()
    with pytest.warns(UserWarning, match="legacy"):
        model.save(tmp_path / "m.h5")
    loaded = models.load_model(tmp_path / "m.h5")
    x, _ = mnist_like(4)
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.compiled and int(loaded.optimizer.iterations.numpy()) == 2


def test_legacy_h5_weights_load_by_order(tmp_path):
    model = seed_mlp(compile=False, train=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "m.h5")
    other = seed_mlp(compile=False, train=False)
    other.load_weights(tmp_path / "m.h5")
    x, _ = mnist_like(4)
    _close(other.predict(x, verbose=0), model.predict(x, verbose=0))


# -- custom objects -----------------------------------------------------------------------
@register_keras_serializable(package="roundtrip")
class Block(layers.Layer):
    """A layer with its own weights and sublayers held directly, in a list and in a dict."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = layers.Dense(units, name="inner_dense")
        self.extra = [layers.Dense(2), layers.Dense(2)]
        self.by_key = {"gate": layers.Dense(1)}

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

    def call(self, inputs):
        hidden = self.inner(inputs * self.scale)
        return hidden + self.extra[1](self.extra[0](hidden))[:, :1] + self.by_key["gate"](hidden)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@register_keras_serializable(package="roundtrip")
class Classifier(models.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.b = Block(3)
        self.out = layers.Dense(2, activation="softmax")

    def build(self, input_shape):
        pass  # weights are created by the first call

    def call(self, inputs):
        return self.out(self.b(inputs))


def test_custom_layer_paths_match_keras(tmp_path):
    """Keras 3.15 writes exactly these datasets for the same model (recorded from Keras)."""
    model = Classifier()
    model(np.ones((2, 5), "float32"))
    model.save_weights(tmp_path / "c.weights.h5")
    datasets, _ = _h5_layout((tmp_path / "c.weights.h5").read_bytes())
    assert datasets == {
        "b/by_key/dense/vars/0": (3, 1),
        "b/by_key/dense/vars/1": (1,),
        "b/extra/dense/vars/0": (3, 2),
        "b/extra/dense/vars/1": (2,),
        "b/extra/dense_1/vars/0": (2, 2),
        "b/extra/dense_1/vars/1": (2,),
        "b/inner/vars/0": (5, 3),
        "b/inner/vars/1": (3,),
        "b/vars/0": (5,),
        "b/vars/1": (),
        "layers/dense/vars/0": (3, 2),
        "layers/dense/vars/1": (2,),
    }


def test_subclassed_model_with_custom_layers_roundtrips(tmp_path):
    model = Classifier()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x = np.random.default_rng(0).random((6, 5), dtype=np.float32)
    y = np.eye(2, dtype="float32")[[0, 1, 0, 1, 1, 0]]
    model.fit(x, y, epochs=1, batch_size=3, verbose=0)
    model.save(tmp_path / "c.keras")
    with zipfile.ZipFile(tmp_path / "c.keras") as archive:
        config = json.loads(archive.read("config.json"))
        datasets, _ = _h5_layout(archive.read("model.weights.h5"))
    assert (config["class_name"], config["registered_name"]) == ("Classifier", "roundtrip>Classifier")
    assert config["module"] == __name__ or config["module"] is None
    assert {"b/vars/0", "b/vars/1", "b/inner/vars/0", "b/extra/dense_1/vars/1", "b/by_key/dense/vars/0", "layers/dense/vars/0"} <= set(datasets)
    loaded = models.load_model(tmp_path / "c.keras")
    assert isinstance(loaded, Classifier) and isinstance(loaded.b, Block)
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == 2




def test_subclassed_model_without_build_method_roundtrips(tmp_path):
    class Tiny(models.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Tiny()
    x = np.ones((2, 3), "float32")
    model(x)
    model.save(tmp_path / "t.keras")
    loaded = models.load_model(tmp_path / "t.keras", custom_objects={"Tiny": Tiny})
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_unregistered_class_needs_custom_objects(tmp_path):
    class Doubler(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    model = models.Sequential([layers.Input((2,)), Doubler()])
    model.save(tmp_path / "d.keras")
    with pytest.raises(UnknownObjectError, match=r"custom_objects=\{'Doubler': Doubler\}") as info:
        models.load_model(tmp_path / "d.keras")
    assert "d.keras" in str(info.value) and isinstance(info.value, TypeError)
    assert isinstance(models.load_model(tmp_path / "d.keras", custom_objects={"Doubler": Doubler}).layers[0], Doubler)
    with custom_object_scope({"Doubler": Doubler}):
        assert isinstance(models.load_model(tmp_path / "d.keras").layers[0], Doubler)


def test_registered_layer_in_sequential_roundtrips(tmp_path):
    model = models.Sequential([layers.Input((5,)), layers.Dense(4), Scale(0.5)])
    model.save(tmp_path / "s.keras")
    with zipfile.ZipFile(tmp_path / "s.keras") as archive:
        scale = json.loads(archive.read("config.json"))["config"]["layers"][2]
    assert scale["registered_name"] == "fixtures>Scale" and scale["class_name"] == "Scale"
    x = np.ones((2, 5), "float32")
    _close(models.load_model(tmp_path / "s.keras").predict(x, verbose=0), model.predict(x, verbose=0))


def test_loading_never_imports_the_module_a_file_names(tmp_path, monkeypatch):
    canary = tmp_path / "numeras_saving_canary.py"
    canary.write_text("import builtins\nbuiltins.NUMERAS_CANARY_IMPORTED = True\nclass Evil:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = {"module": "numeras_saving_canary", "class_name": "Evil", "config": {}, "registered_name": None}
    with pytest.raises(UnknownObjectError, match="never imports"):
        numeras.saving.deserialize_keras_object(config)
    assert "numeras_saving_canary" not in sys.modules
    assert not hasattr(__builtins__ if isinstance(__builtins__, dict) else __builtins__, "NUMERAS_CANARY_IMPORTED")


def test_keras_only_argument_with_a_real_value_is_refused(tmp_path):
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["lora_rank"] = 4
    config["config"]["layers"][1]["config"]["quantization_config"] = None
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "lora.keras", "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    with pytest.raises(SavedFileError, match=r"lora_rank=4.*does not support"):
        models.load_model(tmp_path / "lora.keras")


# -- Lambda -------------------------------------------------------------------------------
def test_lambda_roundtrip_only_with_safe_mode_off_and_by_name(tmp_path):
    model = models.Sequential([layers.Input((3,)), layers.Dense(2), layers.Lambda(double)])
    model.save(tmp_path / "l.keras")
    with pytest.raises(UnsafeDeserializationError, match="safe_mode"):
        models.load_model(tmp_path / "l.keras")
    loaded = models.load_model(tmp_path / "l.keras", safe_mode=False, custom_objects={"double": double})
    x = np.ones((2, 3), "float32")
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_anonymous_lambda_cannot_be_saved(tmp_path):
    model = models.Sequential([layers.Input((3,)), layers.Lambda(lambda t: t * 3)])
    with pytest.raises(ValueError, match="anonymous lambda"):
        model.save(tmp_path / "l.keras")
    assert not (tmp_path / "l.keras").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_bytecode_lambda_is_never_decoded():
    config = {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {"name": "evil", "function": {"class_name": "__lambda__", "config": {"value": ["4wEAAAAA", None, None]}}},
        "registered_name": None,
    }
    with pytest.raises(UnsafeDeserializationError, match="bytecode"):
        numeras.saving.deserialize_keras_object(config)
    with pytest.raises(UnknownObjectError, match="never decodes"):
        numeras.saving.deserialize_keras_object(config, safe_mode=False)


# -- functional models and the functions of numeras.saving --------------------------------------
def test_functional_model_roundtrips(tmp_path):
    inputs = layers.Input((6,), name="features")
    left = layers.Dense(4, activation="relu", name="left")(inputs)
    right = layers.Dense(3, name="right")(inputs)
    outputs = layers.Dense(2, activation="softmax", name="head")(layers.Concatenate(name="merge")([left, right]))
    model = models.Model(inputs, outputs, name="two_branch")
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    x = np.random.default_rng(0).random((4, 6), dtype=np.float32)
    model.fit(x, np.eye(2, dtype="float32")[[0, 1, 1, 0]], batch_size=2, verbose=0)
    numeras.saving.save_model(model, tmp_path / "f.keras")
    with zipfile.ZipFile(tmp_path / "f.keras") as archive:
        config = json.loads(archive.read("config.json"))
        datasets, _ = _h5_layout(archive.read("model.weights.h5"))
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "keras.src.models.functional", "Functional", "Functional",
    )
    assert {"layers/dense/vars/0", "layers/dense_1/vars/0", "layers/dense_2/vars/0"} <= set(datasets)
    loaded = numeras.saving.load_model(tmp_path / "f.keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == 2


def test_serialize_and_deserialize_a_layer():
    dense = layers.Dense(3, activation="tanh", name="d")
    config = numeras.saving.serialize_keras_object(dense)
    assert (config["module"], config["class_name"]) == ("keras.layers", "Dense")
    rebuilt = numeras.saving.deserialize_keras_object(config)
    assert isinstance(rebuilt, layers.Dense) and rebuilt.units == 3 and rebuilt.name == "d"
    assert numeras.saving.serialize_keras_object(numeras.activations.relu) == {
        "module": "builtins", "class_name": "function", "config": "relu", "registered_name": "function",
    }


def test_registration_names_like_keras():
    @register_keras_serializable(package="pkg", name="Renamed")
    class Thing(layers.Layer):
        pass

    assert numeras.saving.get_registered_name(Thing) == "pkg>Renamed"
    assert numeras.saving.get_registered_object("pkg>Renamed") is Thing
    assert numeras.saving.get_registered_name(layers.Dense) == "Dense"
    with pytest.raises(ValueError, match="get_config"):
        register_keras_serializable()(type("NoConfig", (), {}))


# -- objects that describe themselves -------------------------------------------------------
def test_layers_describe_and_rebuild_their_build_config():
    dense = layers.Dense(4)
    dense(np.zeros((2, 3), "float32"))
    assert dense.get_build_config() == {"input_shape": [None, 3]}  # the batch size is not kept
    dropout = layers.Dropout(0.5)
    dropout(np.zeros((2, 3), "float32"))
    assert dropout.get_build_config() is None  # stateless: nothing to build, as in Keras
    assert layers.Dense(4).get_build_config() is None  # not built yet
    rebuilt = layers.Dense(4)
    rebuilt.build_from_config({"input_shape": [None, 3]})
    assert rebuilt.built and tuple(rebuilt.kernel.shape) == (3, 4)


def test_models_describe_and_restore_their_compile_config():
    model = models.Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    assert model.get_compile_config() == {}  # as Keras 3.15 gives it
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    config = model.get_compile_config()  # serialized, as Keras 3's
    assert config["optimizer"]["class_name"] == "Adam" and config["loss"] == "categorical_crossentropy"
    assert config["metrics"] == ["accuracy"]
    fresh = models.Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    fresh.compile_from_config({**config, "optimizer": "sgd", "no_such_argument": None})
    assert fresh.compiled and type(fresh.optimizer).__name__ == "SGD" and fresh.optimizer.built
    with pytest.warns(UserWarning, match="no such argument"):
        fresh.compile_from_config({"optimizer": "sgd", "loss": "mse", "no_such_argument": 3})
