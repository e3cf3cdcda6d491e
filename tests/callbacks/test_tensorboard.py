"""TensorBoard callback: event files written through tensorboardX, read back record by record
(TFRecord framing + tensorboardX's Event protos), checked against History and Keras's tag names."""

from __future__ import annotations

import glob
import json
import os
import struct
import sys
from collections import defaultdict

import numpy as np
import pytest

import numeras
from numeras import layers
from numeras.callbacks import TensorBoard

event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2", reason='needs tensorboardX: pip install "numeras[tensorboard]"')


def read_events(folder: str) -> list:
    """Every Event in the event files of ``folder``, in file order."""
    events = []
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        with open(path, "rb") as handle:
            data = handle.read()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack_from("<Q", data, offset)
            offset += 12  # length, then the CRC of the length
            event = event_pb2.Event()
            event.ParseFromString(data[offset : offset + length])
            offset += length + 4  # payload, then its CRC
            events.append(event)
    return events


def summaries(folder: str) -> dict[str, list]:
    """tag -> [(step, value)] for every summary value in ``folder``."""
    found: dict[str, list] = defaultdict(list)
    for event in read_events(folder):
        for value in event.summary.value:
            found[value.tag].append((event.step, value))
    return found


def scalars(folder: str) -> dict[str, list[tuple[int, float]]]:
    return {
        tag: [(step, value.simple_value) for step, value in entries]
        for tag, entries in summaries(folder).items()
        if entries[0][1].WhichOneof("value") == "simple_value"
    }


def _model():
    model = numeras.Sequential([numeras.Input(shape=(4,)), layers.Dense(3, activation="relu", name="hidden"), layers.Dense(1, name="out")])
    model.compile(optimizer=numeras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_epoch_scalars_match_history(tmp_path):
    x, y = _data()
    model = _model()
    log_dir = str(tmp_path / "logs")
    history = model.fit(x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0, callbacks=[TensorBoard(log_dir)])
    train = scalars(os.path.join(log_dir, "train"))
    validation = scalars(os.path.join(log_dir, "validation"))
    for metric in ("loss", "mae"):
        assert [s for s, _ in train[f"epoch_{metric}"]] == [0, 1, 2]
        np.testing.assert_allclose([v for _, v in train[f"epoch_{metric}"]], history.history[metric], rtol=1e-6)
        assert [s for s, _ in validation[f"epoch_{metric}"]] == [0, 1, 2]
        np.testing.assert_allclose([v for _, v in validation[f"epoch_{metric}"]], history.history[f"val_{metric}"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.05] * 3, rtol=1e-6)
    # After each validation pass: evaluation_*_vs_iterations at the optimizer's step count.
    steps_per_epoch = 3  # 30 training samples, batches of 10
    evaluation = validation["evaluation_loss_vs_iterations"]
    assert [s for s, _ in evaluation] == [steps_per_epoch * (e + 1) for e in range(3)]
    np.testing.assert_allclose([v for _, v in evaluation], history.history["val_loss"], rtol=1e-6)
    assert not any(tag.startswith("batch_") for tag in train)
    assert "epoch_val_loss" not in train and "epoch_learning_rate" not in validation


@pytest.mark.parametrize(("update_freq", "expected_steps"), [("batch", [1, 2, 3, 4, 5, 6, 7, 8]), (3, [3, 6])])
def test_batch_scalars_follow_update_freq(tmp_path, update_freq, expected_steps):
    x, y = _data()
    model = _model()
    seen = []

    class Record(numeras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    log_dir = str(tmp_path / "logs")
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[Record(), TensorBoard(log_dir, update_freq=update_freq)])
    train = scalars(os.path.join(log_dir, "train"))
    assert [s for s, _ in train["batch_loss"]] == expected_steps
    np.testing.assert_allclose([v for _, v in train["batch_loss"]], [seen[s - 1] for s in expected_steps], rtol=1e-6)
    assert [s for s, _ in train["batch_mae"]] == expected_steps


def test_histograms_images_graph_and_steps_per_second(tmp_path):
    x, y = _data()
    model = _model()
    log_dir = str(tmp_path / "logs")
    callback = TensorBoard(log_dir, histogram_freq=2, write_images=True, write_steps_per_second=True, update_freq="batch")
    model.fit(x, y, epochs=3, batch_size=20, verbose=0, callbacks=[callback])
    found = summaries(os.path.join(log_dir, "train"))
    # Tagged by weight path, as Keras 3 tags them: a Sequential's weights are "<model>/<layer>/<weight>".
    prefix = f"{model.name}/"
    for weight in ("hidden/kernel", "hidden/bias", "out/kernel", "out/bias"):
        histogram = found[f"{prefix}{weight}/histogram"]
        assert [s for s, _ in histogram] == [0, 2]
        assert histogram[-1][1].histo.num == model.get_layer(weight.split("/")[0]).weights[0 if weight.endswith("kernel") else 1].numpy().size
        images = found.get(f"{prefix}{weight}/image", [])
        if weight == "out/bias":  # one number squeezes to a scalar: no image, as in Keras
            assert images == []
        else:
            assert [s for s, _ in images] == [0, 2] and images[0][1].image.encoded_image_string.startswith(b"\x89PNG")
    final_kernel = model.get_layer("hidden").weights[0].numpy()
    assert found[f"{prefix}hidden/kernel/histogram"][-1][1].histo.sum == pytest.approx(float(final_kernel.sum()), rel=1e-5, abs=1e-5)
    assert all(v.simple_value > 0 for _, v in found["epoch_steps_per_second"])
    assert len(found["batch_steps_per_second"]) == 6
    (step, graph), = found["keras"]
    assert step == 0 and graph.metadata.plugin_data.plugin_name == "graph_keras_model"
    config = json.loads(graph.tensor.string_val[0])
    assert config["class_name"] == "Sequential"


def test_standalone_evaluate_writes_evaluation_scalars(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, batch_size=10, verbose=0)
    log_dir = str(tmp_path / "logs")
    result = model.evaluate(x, y, verbose=0, callbacks=[TensorBoard(log_dir)], return_dict=True)
    validation = scalars(os.path.join(log_dir, "validation"))
    assert validation["evaluation_loss_vs_iterations"] == [(4, pytest.approx(result["loss"], rel=1e-6))]


def test_embeddings_projector_config_and_checkpoints(tmp_path):
    model = numeras.Sequential([numeras.Input(shape=(3,), dtype="int32"), layers.Embedding(10, 2, name="words"), layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    log_dir = str(tmp_path / "logs")
    x = np.random.default_rng(0).integers(0, 10, size=(8, 3))
    model.fit(x, np.zeros((8, 1)), epochs=2, verbose=0, callbacks=[TensorBoard(log_dir, embeddings_freq=1, embeddings_metadata="meta.tsv")])
    config = open(os.path.join(log_dir, "projector_config.pbtxt")).read()
    assert "embeddings {" in config and 'metadata_path: "meta.tsv"' in config
    assert os.path.exists(os.path.join(log_dir, "train", "keras_embedding.ckpt-1.weights.h5"))


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch"):
        TensorBoard(profile_batch=(2, 4))
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard(histogram_freq=-1)


def test_missing_tensorboardx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r'pip install "numeras\[tensorboard\]"'):
        TensorBoard()


def test_two_fits_in_one_folder_keep_both_runs(tmp_path):
    x, y = _data()
    model = _model()
    log_dir = str(tmp_path / "logs")
    model.fit(x, y, epochs=1, batch_size=10, verbose=0, callbacks=[TensorBoard(log_dir)])
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[TensorBoard(log_dir)])
    train = scalars(os.path.join(log_dir, "train"))
    assert sorted(s for s, _ in train["epoch_loss"]) == [0, 0, 1]


def test_without_write_graph_there_is_no_model_summary(tmp_path):
    x, y = _data()
    log_dir = str(tmp_path / "logs")
    _model().fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[TensorBoard(log_dir, write_graph=False)])
    assert "keras" not in summaries(os.path.join(log_dir, "train"))


def test_works_in_the_fake_loop_without_optimizer_iterations(tmp_path, model):
    from fake_training_loop import fake_fit

    log_dir = str(tmp_path / "logs")
    history = fake_fit(model, callbacks=[TensorBoard(log_dir, update_freq=2)], epochs=2, steps=5, val_steps=2)
    train = scalars(os.path.join(log_dir, "train"))
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.001, 0.001], rtol=1e-6)
    assert [s for s, _ in train["batch_loss"]] == [2, 4, 6, 8, 10]
    validation = scalars(os.path.join(log_dir, "validation"))
    assert "evaluation_loss_vs_iterations" not in validation  # no optimizer step count to plot against
    np.testing.assert_allclose([v for _, v in validation["epoch_accuracy"]], history.history["val_accuracy"], rtol=1e-6)
