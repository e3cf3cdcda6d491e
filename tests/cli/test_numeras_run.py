"""``numeras run script.py``: unmodified Keras programs run on numeras, in a subprocess."""

import os
import subprocess
import sys
import textwrap

import pytest

import numeras
from numeras import cli

SRC = os.path.dirname(os.path.dirname(numeras.__file__))


def run(tmp_path, source, *args, timeout=240):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "numeras", "run", str(script), *args],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp_path,
    )


def test_chapter_2_mlp_on_a_slice_of_mnist(tmp_path):
    result = run(tmp_path, """
        import sys
        from tensorflow.keras.datasets import mnist
        from tensorflow import keras
        from tensorflow.keras import layers

        (train_images, train_labels), (test_images, test_labels) = mnist.load_data()
        n = int(sys.argv[1])
        train_images = train_images[:n].reshape((n, 28 * 28)).astype("float32") / 255
        test_images = test_images[:500].reshape((500, 28 * 28)).astype("float32") / 255
        model = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(train_images, train_labels[:n], epochs=3, batch_size=128, verbose=0)
        test_loss, test_acc = model.evaluate(test_images, test_labels[:500], verbose=0)
        print("RESULT", __name__, sys.argv[1:], keras.__name__, f"{test_acc:.3f}")
    """, "2000", "--flag")
    assert result.returncode == 0, result.stderr
    assert "numeras run:" in result.stderr and "resolve to numeras" in result.stderr
    fields = result.stdout.split("RESULT ")[1].split()
    assert fields[:4] == ["__main__", "['2000',", "'--flag']", "numeras"]
    assert float(fields[4]) > 0.75


def test_functional_model_with_callbacks_save_and_load(tmp_path):
    result = run(tmp_path, """
        import numpy as np
        import keras
        from keras import layers
        from keras.callbacks import EarlyStopping, ModelCheckpoint
        import keras.ops as ops

        rng = np.random.default_rng(0)
        x = rng.normal(size=(128, 8)).astype("float32")
        y = x.sum(axis=1, keepdims=True)
        inputs = keras.Input(shape=(8,))
        hidden = layers.Dense(16, activation="relu")(inputs)
        outputs = layers.Dense(1)(hidden)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        callbacks = [EarlyStopping(monitor="val_loss", patience=2), ModelCheckpoint("best.keras", save_best_only=True)]
        history = model.fit(x, y, validation_split=0.25, epochs=4, callbacks=callbacks, verbose=0)
        model.save("final.keras")
        loaded = keras.models.load_model("final.keras")
        best = keras.saving.load_model("best.keras")
        same = np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
        print("KEYS", sorted(history.history), "SAME", same, type(best).__name__, ops.sum(ops.ones(3)).numpy())
    """)
    assert result.returncode == 0, result.stderr
    assert "KEYS ['loss', 'mae', 'val_loss', 'val_mae'] SAME True Functional 3.0" in result.stdout
    assert (tmp_path / "best.keras").exists() and (tmp_path / "final.keras").exists()


def test_exit_codes_and_tracebacks_pass_through(tmp_path):
    assert run(tmp_path, "import sys\nsys.exit(7)\n").returncode == 7
    result = run(tmp_path, """
        import keras
        def train():
            raise ValueError("boom in the script")
        train()
    """)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "ValueError: boom in the script" in result.stderr
    assert "in train" in result.stderr
    # The traceback starts at the script, as `python script.py` would show it.
    assert "runpy" not in result.stderr and "cli.py" not in result.stderr


def test_unknown_keras_module_names_numeras(tmp_path):
    result = run(tmp_path, "from keras.applications import VGG16\n")
    assert result.returncode == 1
    assert "ModuleNotFoundError: No module named 'keras.applications'" in result.stderr
    assert "'numeras.applications'" in result.stderr


@pytest.mark.parametrize(
    ("code", "equivalent"),
    [
        ("tf.GradientTape()", "numeras.GradientTape"),
        ("tf.Variable(1.0)", "numeras.Variable"),
        ("tf.constant([1.0])", "numeras.ops.convert_to_tensor"),
        ("tf.data.Dataset.from_tensor_slices([1])", "tf.data"),
        ("tf.random.set_seed(1)", "numeras"),
    ],
)
def test_tensorflow_apis_fail_with_the_numeras_equivalent(code, equivalent):
    """In-process: the stand-in for ``tensorflow`` only lends ``tf.keras``."""
    with cli.keras_alias():
        import tensorflow as tf

        assert tf.keras is numeras
        with pytest.raises(AttributeError) as info:
            eval(code, {"tf": tf})
    message = str(info.value)
    assert "TensorFlow" in message and equivalent in message and "numeras run" in message


def test_import_spellings_resolve_to_numeras_only_inside_the_run():
    with cli.keras_alias():
        import keras
        import keras.ops as ops
        import tensorflow.keras
        from keras import layers
        from keras.layers import Dense
        from keras.src.losses import MeanSquaredError
        from tensorflow.keras.layers import Dense as TFDense

        assert keras is numeras and tensorflow.keras is numeras and ops is numeras.ops
        assert layers is numeras.layers and Dense is TFDense is numeras.layers.Dense
        assert MeanSquaredError is numeras.losses.MeanSquaredError
        with pytest.raises(ModuleNotFoundError, match="numeras"):
            import tensorflow.compat.v1  # noqa: F401
    assert "keras" not in sys.modules and "tensorflow" not in sys.modules
    assert not hasattr(numeras, "src")  # `keras.src` was an alias of numeras for the run only
    with pytest.raises(ModuleNotFoundError):
        __import__("keras.layers")


def test_command_line_usage(capsys):
    assert cli.main(["--version"]) == 0
    assert numeras.__version__ in capsys.readouterr().out
    assert cli.main(["train.py"]) == 2
    assert "unknown command" in capsys.readouterr().err
    assert cli.main(["run"]) == 2
    assert cli.main(["run", "missing_script.py"]) == 2
    assert "missing_script.py" in capsys.readouterr().err
    assert cli.main(["--help"]) == 0


def test_console_script_is_declared():
    import tomllib

    with open(os.path.join(os.path.dirname(SRC), "pyproject.toml"), "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert scripts["numeras"] == "numeras.cli:main"


def test_script_folder_is_on_the_import_path_and_stderr_has_one_line(tmp_path):
    (tmp_path / "helpers.py").write_text("def scale(x):\n    return 2 * x\n")
    result = run(tmp_path, """
        from helpers import scale
        from keras.utils import to_categorical
        print("OK", scale(21), to_categorical([1], 3).tolist())
    """)
    assert result.returncode == 0, result.stderr
    assert "OK 42 [[0.0, 1.0, 0.0]]" in result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("numeras run:")
