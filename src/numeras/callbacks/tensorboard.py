"""``TensorBoard``: write training curves, weight histograms and images as TensorBoard event
files, with Keras 3's folders and tag names, through tensorboardX (an optional extra:
``pip install "numeras[tensorboard]"``), since numeras has no TensorFlow.

What lands where (``tensorboard --logdir logs`` shows it):

- ``logs/train``: ``epoch_<metric>`` at step = epoch, including ``epoch_learning_rate``;
  ``batch_<metric>`` at step = global batch number (1, 2, ...) when ``update_freq`` is
  ``"batch"`` or N (every N-th batch); the model's config as the ``keras`` summary of the
  ``graph_keras_model`` plugin (``write_graph``); ``<layer>/<weight>/histogram`` (and
  ``/image`` with ``write_images``) every ``histogram_freq`` epochs.
- ``logs/validation``: ``epoch_<metric>`` from the ``val_*`` logs, and
  ``evaluation_<metric>_vs_iterations`` at step = optimizer iterations after each evaluation.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import warnings
from typing import Any

import numpy as np

from numeras.callbacks.callback import Callback

__all__ = ["TensorBoard"]

INSTALL_HINT = 'pip install "numeras[tensorboard]"'
_WRITER_NUMBERS = itertools.count()


def _require_tensorboardx() -> Any:
    try:
        import tensorboardX
    except ImportError as error:
        raise ImportError(
            "TensorBoard writes event files with tensorboardX, which is not installed. Install it with "
            f"`{INSTALL_HINT}` (or `pip install tensorboardX`)."
        ) from error
    return tensorboardX


def _as_float(value: Any) -> float | None:
    try:
        return float(np.asarray(value))
    except (TypeError, ValueError):
        return None


class TensorBoard(Callback):
    """Log ``fit``/``evaluate`` results for TensorBoard.

    Args:
        log_dir: where the ``train`` and ``validation`` folders of event files go.
        histogram_freq: every how many epochs to write weight histograms (0: never).
        write_graph: write the model's architecture (its config, as Keras does).
        write_images: with ``histogram_freq``, also write kernels and biases as images.
        write_steps_per_second: log ``epoch_steps_per_second`` (and ``batch_steps_per_second``
            with a batch ``update_freq``).
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or N (every N-th batch) for the
            ``batch_*`` scalars.
        profile_batch: 0 (numeras has no profiler to run).
        embeddings_freq: every how many epochs to save the weights next to a projector config
            listing the model's ``Embedding`` layers.
        embeddings_metadata: a metadata file for every embedding, or {layer name: file}.

    Example::

        model.fit(x, y, validation_split=0.2, callbacks=[TensorBoard("logs", histogram_freq=1)])
    """

    def __init__(
        self,
        log_dir: Any = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: Any = "epoch",
        profile_batch: Any = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: Any = None,
    ) -> None:
        super().__init__()
        self._tensorboardx = _require_tensorboardx()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _non_negative_int("histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError(
                "TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive integer (every N batches), "
                f"received update_freq={update_freq!r}."
            )
        self.update_freq = update_freq
        if profile_batch not in (0, None, "0", (0, 0), [0, 0]):
            raise ValueError(
                "TensorBoard: numeras has no profiler, so `profile_batch` must be 0, received "
                f"profile_batch={profile_batch!r}. Time batches with write_steps_per_second=True instead."
            )
        self.profile_batch = 0
        self.embeddings_freq = _non_negative_int("embeddings_freq", embeddings_freq)
        self.embeddings_metadata = embeddings_metadata
        self._writers: dict[str, Any] = {}
        self._training = False
        self._global_train_batch = 0
        self._global_test_batch = 0
        self._previous_epoch_iterations = 0.0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0

    # -- writers ---------------------------------------------------------------------------
    def _writer(self, kind: str) -> Any:
        """The event-file writer of ``train`` or ``validation``, opened on first use."""
        if kind not in self._writers:
            # Event file names carry only the second they were made in; the process id and a
            # counter (as TensorFlow adds) keep two writers of one second from sharing a file.
            suffix = f".{os.getpid()}.{next(_WRITER_NUMBERS)}.v2"
            self._writers[kind] = self._tensorboardx.SummaryWriter(
                logdir=os.path.join(self.log_dir, kind), filename_suffix=suffix
            )
        return self._writers[kind]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._close_writers()
        if self.write_graph:
            self._write_model_config()
        if self.embeddings_freq:
            self._configure_embeddings()

    def _write_model_config(self) -> None:
        """The model's config as the ``keras`` summary of TensorBoard's graph_keras_model plugin."""
        if type(self.model).__name__ not in ("Functional", "Sequential"):
            return
        from numeras.saving import serialize_keras_object

        try:
            config_json = json.dumps(serialize_keras_object(self.model))
        except Exception as error:  # as Keras: a model that cannot be serialized is skipped
            warnings.warn(f"TensorBoard: the model failed to serialize as JSON, so no graph is written ({error}).", stacklevel=2)
            return
        summary_module = self._tensorboardx.summary
        metadata = summary_module.SummaryMetadata(
            plugin_data=summary_module.SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1")
        )
        tensor = summary_module.TensorProto(dtype="DT_STRING", string_val=[config_json.encode("utf-8")])
        summary = summary_module.Summary(value=[summary_module.Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
        writer = self._writer("train")
        writer._get_file_writer().add_summary(summary, global_step=0)
        writer.flush()

    def _configure_embeddings(self) -> None:
        from numeras.layers import Embedding

        metadata = self.embeddings_metadata
        remaining = dict(metadata) if isinstance(metadata, dict) else None
        lines = []
        for layer in self.model.layers:
            if not isinstance(layer, Embedding):
                continue
            lines.append("embeddings {")
            lines.append('  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"')
            path = metadata if isinstance(metadata, str) else (remaining.pop(layer.name, None) if remaining else None)
            if path is not None:
                lines.append(f"  metadata_path: {json.dumps(str(path))}")
            lines.append("}")
        if remaining:
            raise ValueError(
                "TensorBoard: `embeddings_metadata` names layers that are not Embedding layers of the model: "
                f"{sorted(remaining)}."
            )
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "w") as handle:
            handle.write("\n".join(lines) + "\n")

    # -- hooks -----------------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._training = True
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0.0

    def on_train_end(self, logs: dict | None = None) -> None:
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations() or 0.0
            self._epoch_start_time = time.time()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer = self._writer("train")
        step = self._global_train_batch
        if self.write_steps_per_second:
            elapsed = time.time() - self._batch_start_time
            if elapsed > 0:
                writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)
        for name, value in (logs or {}).items():
            number = _as_float(value)
            if number is not None:
                writer.add_scalar(f"batch_{name}", number, step)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._global_test_batch += 1

    def on_test_end(self, logs: dict | None = None) -> None:
        iterations = self._iterations()
        if iterations is None or not logs:
            return
        writer = self._writer("validation")
        for name, value in logs.items():
            number = _as_float(value)
            if number is not None:
                writer.add_scalar(f"evaluation_{name}_vs_iterations", number, int(iterations))
        if not self._training:
            # A standalone evaluate: tensorboardX writes from a queue, closing drains it to disk.
            self._close_writers()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self.model.save_weights(os.path.join(self.log_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5"))

    # -- helpers ---------------------------------------------------------------------------
    def _iterations(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return None
        return _as_float(optimizer.iterations)

    def _learning_rates(self) -> dict[str, float]:
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if optimizer is None:
            return {}
        if hasattr(optimizer, "optimizers"):
            return {
                f"learning_rate_{inner.name}": value
                for inner in optimizer.optimizers
                if (value := _as_float(inner.learning_rate)) is not None
            }
        value = _as_float(getattr(optimizer, "learning_rate", None))
        return {} if value is None else {"learning_rate": value}

    def _log_epoch_metrics(self, epoch: int, logs: dict | None) -> None:
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        train_logs.update(self._learning_rates())
        if self.write_steps_per_second:
            iterations = self._iterations()
            elapsed = time.time() - self._epoch_start_time
            if iterations is not None and elapsed > 0:
                train_logs["steps_per_second"] = (iterations - self._previous_epoch_iterations) / elapsed
        for kind, values in (("train", train_logs), ("validation", val_logs)):
            if not values:
                continue
            writer = self._writer(kind)
            for name, value in values.items():
                number = _as_float(value)
                if number is not None:
                    writer.add_scalar(f"epoch_{name}", number, epoch)
            writer.flush()

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = str(getattr(weight, "path", weight.name)).replace(":", "_")
                values = np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
                # Thirty equal-width buckets, as tf.summary.histogram makes by default.
                writer.add_histogram(f"{name}/histogram", values.astype(np.float64).reshape(-1), epoch, bins=30)
                if self.write_images:
                    image = _weight_image(values)
                    if image is not None:
                        writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")
        writer.flush()


def _weight_image(weight: np.ndarray) -> np.ndarray | None:
    """A weight laid out as Keras's TensorBoard draws it: (images, height, width, 1), or None
    when it has no image form. Biases become one row, dense kernels one (wide) image, 3-D
    convolution kernels one image per output channel."""
    from numeras import backend

    image = np.squeeze(weight)
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:
        if backend.image_data_format() == "channels_last":
            image = image.transpose(2, 0, 1)
        image = image.reshape(*image.shape, 1)
    if image.ndim == 4 and image.shape[-1] in (1, 3, 4):
        return image.astype(np.float32)
    return None


def _non_negative_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"TensorBoard: `{name}` must be a non-negative integer (0 turns it off), received {name}={value!r}.")
    return int(value)
