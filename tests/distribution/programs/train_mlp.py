"""A seed-like MLP trained by the distribution tests, on 1 process (plain numeras) or several
(``mpiexec -n 2 python train_mlp.py OUT --distributed``). Each process writes what the tests
compare to OUT/result_rank<r>.npz; the model's own files (checkpoint, CSV log, saved model) go
to OUT/files with the writing rank in their names, so the tests see which ranks wrote.

Options: --fail-rank R --fail-epoch E (raise on rank R after the first step of epoch E),
--kill-rank R --kill-epoch E (SIGKILL instead), --exit-rank R --exit-epoch E (sys.exit(3)), --backup DIR (BackupAndRestore), --epochs N,
--batchnorm (a BatchNormalization layer), --dropout.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

import numpy as np

import numeras
from numeras import backend, callbacks, layers, models, optimizers

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--distributed", action="store_true")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--fail-rank", type=int, default=-1)
parser.add_argument("--fail-epoch", type=int, default=-1)
parser.add_argument("--kill-rank", type=int, default=-1)
parser.add_argument("--kill-epoch", type=int, default=-1)
parser.add_argument("--exit-rank", type=int, default=-1)
parser.add_argument("--exit-epoch", type=int, default=-1)
parser.add_argument("--backup", default=None)
parser.add_argument("--batchnorm", action="store_true")
parser.add_argument("--dropout", action="store_true")
options = parser.parse_args()

if options.distributed:
    from numeras import distribution

    distribution.set_distribution(distribution.DataParallel())
    rank = distribution.process_id()
else:
    rank = 0

backend.set_random_seed(7)
data = np.random.default_rng(0)
x = data.normal(size=(600, 16)).astype("float32")
labels = (x[:, :4].sum(axis=1) > 0).astype("int64") + 2 * (x[:, 4] > 0.5)
y = numeras.utils.to_categorical(labels, 4)
x_test = data.normal(size=(203, 16)).astype("float32")
y_test = numeras.utils.to_categorical(data.integers(0, 4, len(x_test)), 4)

stack = [layers.Input((16,)), layers.Dense(32, activation="relu")]
if options.batchnorm:
    stack.append(layers.BatchNormalization())
if options.dropout:
    stack.append(layers.Dropout(0.5))
stack.append(layers.Dense(4, activation="softmax"))
model = models.Sequential(stack)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])

files = os.path.join(options.out, "files")
os.makedirs(files, exist_ok=True)
epoch_weights: list = []


class Probe(callbacks.Callback):
    """Records the weights after each epoch, and fails or dies where the options say."""

    def on_epoch_end(self, epoch, logs=None):
        epoch_weights.append(np.concatenate([w.ravel() for w in self.model.get_weights()]))

    def on_train_batch_end(self, batch, logs=None):
        epoch = len(epoch_weights) + (initial_epoch[0] if initial_epoch else 0)
        if batch == 0 and rank == options.fail_rank and epoch == options.fail_epoch:
            raise RuntimeError(f"planned failure on rank {rank} in epoch {epoch}")
        if batch == 0 and rank == options.kill_rank and epoch == options.kill_epoch:
            os.kill(os.getpid(), signal.SIGKILL)
        if batch == 0 and rank == options.exit_rank and epoch == options.exit_epoch:
            sys.exit(3)


initial_epoch: list = []


class FirstEpoch(callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if not initial_epoch:
            initial_epoch.append(epoch)


run_callbacks = [
    FirstEpoch(),
    Probe(),
    callbacks.ModelCheckpoint(os.path.join(files, f"checkpoint_rank{rank}.keras")),
    callbacks.CSVLogger(os.path.join(files, f"log_rank{rank}.csv")),
]
if options.backup:
    run_callbacks.append(callbacks.BackupAndRestore(options.backup))

history = model.fit(
    x, y, batch_size=63, epochs=options.epochs, validation_split=0.15, callbacks=run_callbacks, verbose=0,
)
evaluation = model.evaluate(x_test, y_test, batch_size=50, verbose=0)
predictions = model.predict(x_test, batch_size=40, verbose=0)
model.save(os.path.join(files, f"model_rank{rank}.keras"))

# A custom loop: Horovod's DistributedOptimizer on this process's half of one batch equals a
# plain optimizer on the whole batch.
custom = models.Sequential([layers.Input((16,)), layers.Dense(4)])
custom.build((None, 16))
custom.set_weights([w * 0 + 0.1 for w in custom.get_weights()])
optimizer = optimizers.SGD(0.1)
batch_x, batch_y = x[:64], y[:64]
if options.distributed:
    optimizer = distribution.DistributedOptimizer(optimizer)
    size = distribution.num_processes()
    batch_x, batch_y = np.array_split(batch_x, size)[rank], np.array_split(batch_y, size)[rank]
for _ in range(3):
    with numeras.GradientTape() as tape:
        loss = numeras.ops.mean(numeras.ops.square(custom(batch_x) - batch_y))
    grads = tape.gradient(loss, custom.trainable_weights)
    optimizer.apply_gradients(zip(grads, custom.trainable_weights))

# Dropout: the mask of this process's first sample, drawn inside a sharded step (the tests
# check that the processes draw different masks).
dropout_mask = np.zeros(0)
if options.dropout:
    probe_layer = layers.Dropout(0.5)
    masks: list = []

    class MaskProbe(models.Model):
        def train_step(self, data):
            masks.append(probe_layer(np.ones((1, 64), "float32"), training=True).data.copy())
            return {}

    prober = MaskProbe()
    prober.compile(optimizer="sgd", loss="mse")
    prober.fit(x[:64], x[:64], batch_size=64, epochs=1, verbose=0)
    dropout_mask = masks[0]

np.savez(
    os.path.join(options.out, f"result_rank{rank}.npz"),
    dropout_mask=dropout_mask,
    epoch_weights=np.stack(epoch_weights),
    history=np.array([history.history[k] for k in sorted(history.history)]),
    history_keys=np.array(sorted(history.history)),
    evaluation=np.array(evaluation),
    predictions=predictions,
    custom_weights=np.concatenate([w.ravel() for w in custom.get_weights()]),
    initial_epoch=np.array(initial_epoch[0] if initial_epoch else -1),
)
