"""EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, LearningRateScheduler, CSVLogger,
BackupAndRestore and History plots."""

import csv
import os

import numpy as np
import pytest
from fake_training_loop import fake_fit

import numeras
from numeras import callbacks, layers, models, optimizers


def _per_epoch(values, key="loss"):
    """batch_logs for fake_fit whose epoch-end value of `key` is values[epoch]."""
    return lambda epoch, step: {key: values[epoch]}


class WeightsFromEpoch(callbacks.Callback):
    """Makes the fake model's weights record the epoch that produced them."""

    def on_epoch_end(self, epoch, logs=None):
        self.model.set_weights([float(epoch)])


# -- EarlyStopping ---------------------------------------------------------------------------------
def test_early_stopping_waits_patience_epochs(model, capsys):
    stopper = callbacks.EarlyStopping(monitor="loss", patience=2, verbose=1)
    history = fake_fit(model, [stopper], epochs=6, steps=2, batch_logs=_per_epoch([1.0, 0.9, 0.95, 0.96, 0.97, 0.5]))
    assert history.epoch == [0, 1, 2, 3]
    assert stopper.stopped_epoch == 3 and stopper.best == 0.9 and stopper.wait == 2
    assert "Epoch 4: early stopping" in capsys.readouterr().out


def test_early_stopping_min_delta_and_max_mode(model):
    stopper = callbacks.EarlyStopping(monitor="loss", min_delta=0.05, patience=1)
    # 0.98 and 0.95 improve by less than 0.05 on 1.0: no improvement.
    history = fake_fit(model, [stopper], epochs=5, batch_logs=_per_epoch([1.0, 0.98, 0.95, 0.5, 0.4]))
    assert history.epoch == [0, 1]
    stopper = callbacks.EarlyStopping(monitor="score", mode="max", patience=1)
    history = fake_fit(model, [stopper], epochs=5, batch_logs=_per_epoch([0.1, 0.2, 0.3, 0.3, 0.4], "score"))
    assert history.epoch == [0, 1, 2, 3]


def test_early_stopping_restores_best_weights_and_honours_baseline(model):
    stopper = callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True, verbose=0)
    fake_fit(model, [WeightsFromEpoch(), stopper], epochs=6, batch_logs=_per_epoch([1.0, 0.4, 0.6, 0.7, 0.8, 0.1]))
    assert stopper.best_epoch == 1 and model.get_weights() == [1.0]
    # No epoch beats the baseline: training stops after `patience` epochs, and the best of them
    # is restored anyway.
    stopper = callbacks.EarlyStopping(monitor="loss", patience=3, baseline=0.1, restore_best_weights=True)
    history = fake_fit(model, [WeightsFromEpoch(), stopper], epochs=8, batch_logs=_per_epoch([0.9, 0.5, 0.7, 0.8, 0.3, 0.2, 0.1, 0.1]))
    assert history.epoch == [0, 1, 2] and model.get_weights() == [1.0]


def test_early_stopping_start_from_epoch_and_missing_metric(model):
    stopper = callbacks.EarlyStopping(monitor="loss", patience=0, start_from_epoch=3)
    history = fake_fit(model, [stopper], epochs=6, batch_logs=_per_epoch([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    assert history.epoch == [0, 1, 2, 3, 4]  # monitoring starts at epoch 3; stops one epoch later
    stopper = callbacks.EarlyStopping(monitor="val_loss")
    with pytest.warns(UserWarning, match="`val_loss` which is not available"):
        fake_fit(model, [stopper], epochs=2)


def test_early_stopping_infers_direction_from_compiled_metrics():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 2, size=(32, 1))
    model = models.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy", "mae"])
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", patience=5)
    model.fit(x, y, epochs=1, validation_split=0.25, verbose=0, callbacks=[stopper])
    assert stopper.monitor_op(2, 1) and stopper.best > -np.inf  # maximised
    stopper = callbacks.EarlyStopping(monitor="mae", patience=5)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[stopper])
    assert stopper.monitor_op(1, 2)  # minimised
    with pytest.raises(ValueError, match="mode='max'"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.EarlyStopping(monitor="custom_score")])


# -- ModelCheckpoint -------------------------------------------------------------------------------
class SavingModel:
    """A fake model whose save/save_weights record their calls (numeras.saving writes files)."""

    def __init__(self, fake):
        self.fake = fake
        self.saved = []

    def __getattr__(self, name):
        return getattr(self.fake, name)

    def save(self, filepath, overwrite=True):
        self.saved.append(("model", filepath))

    def save_weights(self, filepath, overwrite=True):
        self.saved.append(("weights", filepath))


def test_model_checkpoint_formats_paths_and_saves_every_epoch(model, tmp_path):
    saving = SavingModel(model)
    path = str(tmp_path / "ckpt" / "model-{epoch:02d}-{val_loss:.2f}.keras")
    checkpoint = callbacks.ModelCheckpoint(path)
    fake_fit(saving, [checkpoint], epochs=2, val_steps=1)
    # fake_evaluate's val_loss is 0.25.
    assert saving.saved == [
        ("model", str(tmp_path / "ckpt" / "model-01-0.25.keras")),
        ("model", str(tmp_path / "ckpt" / "model-02-0.25.keras")),
    ]
    assert (tmp_path / "ckpt").is_dir()


def test_model_checkpoint_save_best_only(model, tmp_path, capsys):
    saving = SavingModel(model)
    checkpoint = callbacks.ModelCheckpoint(
        str(tmp_path / "best.weights.h5"), monitor="loss", save_best_only=True, save_weights_only=True, verbose=1
    )
    fake_fit(saving, [checkpoint], epochs=4, batch_logs=_per_epoch([0.5, 0.7, 0.4, 0.45]))
    assert [kind for kind, _ in saving.saved] == ["weights", "weights"]  # epochs 1 and 3
    out = capsys.readouterr().out
    assert "Epoch 1: loss improved from inf to 0.50000, saving model to" in out
    assert "Epoch 2: loss did not improve from 0.50000" in out
    # initial_value_threshold: the first value must beat it.
    saving = SavingModel(model)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), monitor="loss", save_best_only=True,
                                           initial_value_threshold=0.45)
    fake_fit(saving, [checkpoint], epochs=4, batch_logs=_per_epoch([0.5, 0.7, 0.4, 0.45]))
    assert len(saving.saved) == 1


def test_model_checkpoint_batch_frequency_and_argument_errors(model, tmp_path):
    saving = SavingModel(model)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}-{batch}.keras"), save_freq=3, monitor="loss")
    fake_fit(saving, [checkpoint], epochs=2, steps=4)
    assert [os.path.basename(p) for _, p in saving.saved] == ["m-1-3.keras", "m-2-2.keras"]
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        callbacks.ModelCheckpoint(str(tmp_path / "w.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        callbacks.ModelCheckpoint(str(tmp_path / "model.pkl"))
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="batch")
    bad = callbacks.ModelCheckpoint(str(tmp_path / "m-{val_acc}.keras"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        fake_fit(SavingModel(model), [bad], epochs=1)


# -- learning rate callbacks -------------------------------------------------------------------------
def test_reduce_lr_on_plateau_with_cooldown_and_floor(model, capsys):
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=2, min_lr=0.0003, verbose=1)
    model.optimizer.learning_rate = 0.001
    history = fake_fit(model, [reduce], epochs=6, batch_logs=_per_epoch([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]))
    # Plateau from epoch 1: reduce at 1 (0.0005), cool down at 2, reduce at 3 (0.0003 = floor),
    # then nothing: the rate is at min_lr. Each epoch logs the rate it trained with.
    assert history.history["learning_rate"] == pytest.approx([0.001, 0.001, 0.0005, 0.0005, 0.0003, 0.0003])
    assert model.optimizer.learning_rate == pytest.approx(0.0003)
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.0005." in capsys.readouterr().out
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def _regression_model(learning_rate=0.01):
    numeras.utils.set_random_seed(0)
    model = models.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer=optimizers.SGD(learning_rate=learning_rate), loss="mse")
    rng = np.random.default_rng(0)
    return model, rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")


def test_learning_rate_scheduler_sets_the_optimizer_rate():
    model, x, y = _regression_model()
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr * 0.5)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[scheduler])
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.005, 0.0025])
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.0025)
    # The Keras 2 form schedule(epoch) is accepted too.
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05])
    with pytest.raises(ValueError, match="should be a float"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: "fast")])


def test_reduce_lr_on_plateau_changes_a_real_optimizer():
    model, x, y = _regression_model(learning_rate=0.08)
    # The loss goes down, so with mode="max" it never improves: a plateau from the start.
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=1)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[reduce])
    assert history.history["learning_rate"] == pytest.approx([0.08, 0.08, 0.04])
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.02)


# -- CSVLogger --------------------------------------------------------------------------------------
def test_csv_logger_writes_and_flushes_each_epoch(model, tmp_path):
    path = tmp_path / "log.csv"
    seen_rows = []

    class ReadBack(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            with open(path) as f:
                seen_rows.append(len(f.read().strip().splitlines()))

    logger = callbacks.CSVLogger(str(path))
    fake_fit(model, [logger, ReadBack()], epochs=3, val_steps=1)
    assert seen_rows == [2, 3, 4]  # the header, then one row per finished epoch
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert float(rows[1]["loss"]) == pytest.approx(0.5 + 0.01 * 4)
    assert rows[2]["val_loss"] == "0.25"

    appender = callbacks.CSVLogger(str(path), append=True)
    fake_fit(model, [appender], epochs=1, val_steps=1)
    lines = path.read_text().strip().splitlines()
    assert len(lines) == 5 and lines.count(lines[0]) == 1  # no second header


def test_csv_logger_adds_val_columns_and_separator(model, tmp_path):
    path = tmp_path / "log.tsv"
    fake_fit(model, [callbacks.CSVLogger(str(path), separator="\t")], epochs=1)
    header, row = path.read_text().strip().splitlines()
    assert header.split("\t") == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert row.split("\t")[-2:] == ["NA", "NA"]


# -- BackupAndRestore -----------------------------------------------------------------------------
class CrashAt(callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("simulated crash")


def _backup_model():
    numeras.utils.set_random_seed(3)
    model = models.Sequential([layers.Input((5,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def test_backup_and_restore_resumes_after_a_crash_with_optimizer_state(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)).astype("float32"), rng.normal(size=(40, 1)).astype("float32")
    reference = _backup_model()
    reference.fit(x, y, epochs=4, batch_size=10, shuffle=False, verbose=0)

    backup_dir = tmp_path / "backup"
    crashed = _backup_model()
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashed.fit(x, y, epochs=4, batch_size=10, shuffle=False, verbose=0,
                    callbacks=[callbacks.BackupAndRestore(backup_dir), CrashAt(2)])
    assert (backup_dir / "latest.weights.npz").exists()
    assert not any(name.endswith(".tmp") or ".tmp-" in name for name in os.listdir(backup_dir))

    resumed = _backup_model()  # a new process would start from fresh weights
    history = resumed.fit(x, y, epochs=4, batch_size=10, shuffle=False, verbose=0,
                          callbacks=[callbacks.BackupAndRestore(backup_dir)])
    assert history.epoch == [2, 3]
    assert int(resumed.optimizer.iterations.numpy()) == int(reference.optimizer.iterations.numpy()) == 16
    for got, want in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    for got, want in zip(resumed.optimizer.variables, reference.optimizer.variables):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)
    assert not backup_dir.exists()  # deleted once training finished


def test_backup_and_restore_batch_frequency_and_previous_backup(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 5)).astype("float32"), rng.normal(size=(40, 1)).astype("float32")
    backup_dir = tmp_path / "b"
    model = _backup_model()
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=3, batch_size=10, verbose=0,
                  callbacks=[callbacks.BackupAndRestore(backup_dir, save_freq=3, double_checkpoint=True), CrashAt(2)])
    assert (backup_dir / "latest.weights.npz.bkp").exists()
    # A torn latest backup: the previous one is used, with a warning.
    (backup_dir / "latest.weights.npz").write_bytes(b"not a zip file")
    resumed = _backup_model()
    with pytest.warns(UserWarning, match="unreadable"):
        history = resumed.fit(x, y, epochs=3, batch_size=10, verbose=0,
                              callbacks=[callbacks.BackupAndRestore(backup_dir, double_checkpoint=True)])
    # Backups were made during epoch 0 (its 3rd batch) and epoch 1 (the 6th batch overall); the
    # previous one is from epoch 0, which therefore runs again.
    assert history.epoch == [0, 1, 2]
    # ...with the optimizer state of that backup: 3 steps done then, 12 since.
    assert int(resumed.optimizer.iterations.numpy()) == 3 + 12
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.BackupAndRestore(backup_dir, save_freq="sometimes")


# -- plots ------------------------------------------------------------------------------------------
def test_history_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    history = callbacks.History()
    history.history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "accuracy": [0.5, 0.7, 0.8]}
    figure = history.plot(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["Training and validation loss", "Training and validation accuracy"]
    loss_axis = figure.axes[0]
    assert [line.get_label() for line in loss_axis.get_lines()] == ["Training loss", "Validation loss"]
    np.testing.assert_array_equal(loss_axis.get_lines()[1].get_ydata(), [1.1, 0.8, 0.7])
    one = callbacks.plot_history(history.history, metrics=["accuracy"])
    assert len(one.axes) == 1
    with pytest.raises(ValueError, match="no values recorded"):
        callbacks.plot_history(history, metrics=["auc"])


def test_model_checkpoint_with_real_saving(tmp_path):
    if not hasattr(models.Model, "save"):
        pytest.skip("numeras.saving is not available")
    model, x, y = _regression_model()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "best-{epoch}.keras"), monitor="loss", save_best_only=True)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["best-1.keras", "best-2.keras"]
    restored = numeras.saving.load_model(str(tmp_path / "best-2.keras"))
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
