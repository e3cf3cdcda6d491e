"""``Trainer``: how a model is trained (Keras 3's ``trainers/trainer.py``). ``compile`` chooses
the optimizer, loss and metrics; ``fit``, ``evaluate`` and ``predict`` run the loops over an
``EpochIterator``, each step going through ``train_step`` / ``test_step`` / ``predict_step`` so
subclasses can replace a step and keep the loop. ``Model`` is ``Trainer`` plus ``Layer``.

Length: over the house's ~700 lines because ``Trainer`` is Keras's whole training surface in one
class (compile, three loops, three steps, the ``*_on_batch`` calls, compile config and the first
edition's ``*_generator`` methods); the shared data path already lives in ``epoch_iterator.py``."""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Mapping
from typing import Any

from numeras import backend
from numeras.autodiff import GradientTape, Tensor, no_grad
from numeras.backend import xp
from numeras.backend.blas_threads import ThreadTuner
from numeras.distribution import distribution_lib
from numeras.saving import keras_format
from numeras.trainers.data_adapters import data_adapter_utils as data_utils
from numeras.trainers.data_adapters.data_adapter_utils import (
    check_positive_int,
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from numeras.trainers.epoch_iterator import EpochIterator, OutputCollector
from numeras.utils.py_dataset import PyDataset
from numeras.utils.tree import flatten, is_nested, map_structure


class Trainer:
    """The training half of ``Model``: compile, the steps, the loops and the per-batch methods.
    It relies on the ``Layer`` half for ``__call__``, weights, ``losses`` and ``built``."""

    def __init__(self) -> None:
        self.compiled = False
        self.optimizer: Any = None
        self.loss: Any = None
        self.stop_training = False
        self.history: Any = None
        self._compile_loss: Any = None
        self._compile_metrics: Any = None
        self._loss_tracker: Any = None
        self._compile_config: dict | None = None
        self._initial_epoch: int | None = None

    # -- compile ------------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = "auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Choose how to train: ``optimizer`` and ``loss`` (names or objects) and ``metrics``
        to report (names keep the spelling you give: ``'acc'`` is logged as ``acc``)."""
        from numeras import losses, optimizers
        from numeras import metrics as metrics_module
        from numeras.losses.lookup import SHAPE_DEPENDENT_NAMES
        from numeras.trainers.compile_utils import (
            CompileLoss,
            CompileMetrics,
            check_loss_weights,
            standardize_metrics_argument,
        )

        self.optimizer = optimizers.get(optimizer)
        for spec in flatten(loss):
            if isinstance(spec, str) and spec.lower() not in SHAPE_DEPENDENT_NAMES:
                losses.get(spec)  # an unknown name fails now, not at the first step
        check_loss_weights(loss_weights)
        metrics = standardize_metrics_argument(metrics, "metrics")
        weighted_metrics = standardize_metrics_argument(weighted_metrics, "weighted_metrics")
        for spec in flatten(metrics) + flatten(weighted_metrics):
            if isinstance(spec, str) and spec.lower() not in _RESOLVED_LATER:
                # Unknown names fail here, at compile time, not after the first epoch.
                metrics_module.get(spec)
        self.loss = loss
        self.loss_weights = loss_weights
        output_names = getattr(self, "output_names", None)
        compile_loss = CompileLoss(loss, loss_weights, output_names) if loss is not None else None
        compile_metrics = (
            CompileMetrics(metrics, weighted_metrics, output_names, compile_loss=compile_loss, loss=loss)
            if metrics or weighted_metrics
            else None
        )
        # Set past Layer.__setattr__: these are listed by `metrics` itself, not as attributes.
        object.__setattr__(self, "_compile_loss", compile_loss)
        object.__setattr__(self, "_compile_metrics", compile_metrics)
        object.__setattr__(self, "_loss_tracker", metrics_module.Mean(name="loss"))
        # What get_compile_config() serializes (Keras 3 records the same eight arguments).
        object.__setattr__(self, "_compile_config", {
            "optimizer": self.optimizer,
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        })
        self.compiled = True
        self.stop_training = False

    @property
    def metrics(self) -> list:
        """Keras 3's order: the loss tracker ``loss``, the compiled metrics (one object,
        ``compile_metrics``, whose result is a dict), the per-output loss trackers, then the
        metrics assigned as attributes of the model and of its layers. ``fit`` resets all of
        them at the start of each epoch; override this property to report your own."""
        found = []
        if self.compiled:
            found.append(self._loss_tracker)
            if self._compile_metrics is not None:
                found.append(self._compile_metrics)
            if self._compile_loss is not None:
                found.extend(self._compile_loss.metrics)
        found.extend(self._tracked_metrics)
        for layer in self._flatten_layers(include_self=False):
            if not isinstance(layer, Trainer):
                found.extend(layer._tracked_metrics)
        return found

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    # -- steps --------------------------------------------------------------------------
    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        """The total loss: the compiled loss (``sum_i loss_weight_i * loss_i`` over the outputs)
        plus every loss the layers added (weight regularization penalties, ``add_loss``), each
        summed to a scalar."""
        from numeras import ops

        del x, training
        total = None
        if self._compile_loss is not None and y is not None:
            total = self._compile_loss(y, y_pred, sample_weight)
        for extra in self.losses:
            if not isinstance(extra, Tensor):
                extra = Tensor(xp.asarray(extra, dtype=backend.floatx()))
            if extra.data.dtype.kind != "f":
                extra = ops.cast(extra, backend.floatx())
            if extra.ndim:
                extra = ops.sum(extra)
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError(
                "compute_loss: no loss to minimise. Pass `loss=` to compile(), or add losses in "
                "call() with self.add_loss(...)."
            )
        return total

    def _compute_loss(self, x: Any, y: Any, y_pred: Any, sample_weight: Any, training: bool) -> Tensor:
        """``compute_loss``, also for overrides written without the ``training`` argument."""
        if _takes_training_argument(type(self)):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _track_loss(self, loss: Tensor, batch_size: int) -> None:
        self._loss_tracker.update_state(loss.data, sample_weight=batch_size)

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict:
        """Update the compiled metrics with one batch and return every metric's running value.
        ``sample_weight`` applies to ``weighted_metrics`` only, as in Keras."""
        del x
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """``{name: value}`` of every metric in ``metrics`` (a dict result, such as the compiled
        metrics', is merged in)."""
        distribution = distribution_lib.distribution()
        if distribution is not None:
            # Logs report every process's samples: the metric state is summed across them first.
            return distribution.global_metrics_result(self.metrics, self._local_metrics_result)
        return self._local_metrics_result()

    def _local_metrics_result(self) -> dict:
        logs: dict = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[metric.name] = result
        return {name: _to_float(value) for name, value in sorted(logs.items())}

    def _get_metrics_result_or_logs(self, logs: Any) -> dict:
        """The metrics' results, unless a custom step returned logs with other keys (Keras)."""
        results = self.get_metrics_result()
        if not isinstance(logs, dict):
            return results
        # A step may return {"loss": ..., "compile_metrics": {...}}: merge nested results in, so
        # that validation logs get their "val_" prefix on the real names.
        flat: dict = {}
        for key, value in logs.items():
            if isinstance(value, Mapping):
                flat.update(value)
            else:
                flat[key] = value
        if set(flat) == set(results):
            return results
        return {key: _to_float(value) for key, value in flat.items()}

    def _flatten_metrics_in_order(self, logs: dict) -> Any:
        """``logs`` as a list in the order of ``metrics`` (compiled metrics by their own names,
        then any other key in sorted order); a single value alone."""
        from numeras.trainers.compile_utils import CompileMetrics

        names = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                names.extend(sub.name for sub in metric.metrics)
            else:
                names.append(metric.name)
        results = [logs[name] for name in names if name in logs]
        results.extend(logs[key] for key in sorted(logs) if key not in names)
        return results[0] if len(results) == 1 else results

    def train_step(self, data: tuple) -> dict:
        """One gradient update on a batch ``(x, y, sample_weight)``; returns the running logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        trainable = self.trainable_weights
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
            scaled_loss = self.optimizer.scale_loss(loss)  # loss scaling, undone by apply (Keras)
        grads = tape.gradient(scaled_loss, trainable, out=self._gradient_buffers(trainable))
        self.optimizer.apply_gradients(zip(grads, trainable))
        self._track_loss(loss, _batch_len(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _gradient_buffers(self, trainable: list) -> list:
        """Arrays, reused every step, that receive the gradients of ``trainable``: views into one
        flat buffer per dtype, so no step allocates (and page-faults in) gradient memory, and all
        gradients are contiguous for a single all-reduce. Rebuilt when the variables change."""
        key = [(id(v), v.data.shape, v.data.dtype) for v in trainable]
        cached = self.__dict__.get("_gradient_buffer_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        sizes: dict = {}
        for v in trainable:
            sizes[v.data.dtype] = sizes.get(v.data.dtype, 0) + v.data.size
        flat = {dtype: xp.empty(size, dtype=dtype) for dtype, size in sizes.items()}
        offsets = dict.fromkeys(flat, 0)
        buffers = []
        for v in trainable:
            start = offsets[v.data.dtype]
            offsets[v.data.dtype] = start + v.data.size
            buffers.append(flat[v.data.dtype][start : start + v.data.size].reshape(v.data.shape))
        self._gradient_buffer_cache = (key, buffers)
        return buffers

    def test_step(self, data: tuple) -> dict:
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._track_loss(loss, _batch_len(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # -- checks done before any step (models override the three hooks below) -------------
    def _require_compiled(self, method: str) -> None:
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before `{method}()`: e.g. "
                "model.compile(optimizer='rmsprop', loss='categorical_crossentropy', "
                "metrics=['accuracy'])."
            )

    def _expected_input_shape(self) -> tuple | None:
        return None

    def _check_input_data(self, x: Any, method: str) -> None:
        """Check input data against the model's inputs (functional models know them)."""

    def _symbolic_outputs(self) -> Any:
        """The model's symbolic outputs, when it has them (functional models)."""
        return None

    def _prepare_inputs(self, x: Any, method: str) -> Any:
        """Check ``x`` against the model's input, building the model from it when needed."""
        self._check_input_data(x, method)
        data_utils.check_string_inputs(x, method, lambda: _declares_string_input(self))
        if data_utils.is_structure(x):
            if not self.built:
                self._ensure_built(map_structure(lambda a: None if a is None else (None, *a.shape[1:]), x))
            return x
        expected = self._expected_input_shape()
        if expected is not None and x.ndim >= 1:
            received = x.shape[1:]
            wanted = tuple(expected[1:])
            if len(received) != len(wanted) or any(
                w is not None and w != r for w, r in zip(wanted, received)
            ):
                hint = ""
                if math.prod(received) == math.prod(w or 0 for w in wanted):
                    hint = f" Reshape it first: x.reshape((len(x), {', '.join(str(w) for w in wanted)}))."
                raise ValueError(
                    f"{method}: `x` has samples of shape {tuple(received)}, but the model expects "
                    f"samples of shape {wanted} (input shape {tuple(expected)}).{hint}"
                )
        if not self.built:
            self._ensure_built((None, *x.shape[1:]))
        return x

    def _output_shape_for(self, x: Any) -> Any:
        if data_utils.is_structure(x):
            return None
        try:
            return self.compute_output_shape((None, *x.shape[1:]))
        except Exception:  # noqa: BLE001 - an unknown output shape only skips the label check
            return None

    def _validate_targets(self, x: Any, y: Any) -> None:
        """Check the targets against the compiled loss(es) before any step, so that e.g. integer
        labels given to ``categorical_crossentropy`` fail with the fix, not with a shape error."""
        if y is None or self._compile_loss is None:
            return
        from numeras import losses
        from numeras.trainers.compile_utils import align_targets

        symbolic = self._symbolic_outputs()
        if symbolic is not None:
            compile_loss = self._compile_loss
            if not compile_loss.built:
                compile_loss.build(y, symbolic)
            slots = compile_loss._slots
            targets = align_targets(y, symbolic, slots)
            for slot, loss in compile_loss.resolved_losses():
                index = slots.index(slot)
                output = symbolic if slot.key is None else symbolic[slot.key]
                if targets[index] is not None and not data_utils.is_structure(targets[index]):
                    losses.validate_targets(loss, targets[index], tuple(output.shape))
            return
        if is_nested(self.loss) or data_utils.is_structure(y):
            return
        output_shape = self._output_shape_for(x)
        if isinstance(output_shape, tuple) and all(n is None or isinstance(n, int) for n in output_shape):
            losses.validate_targets(losses.resolve(self.loss, y, output_shape), y, output_shape)

    def _check_data_for_model(self, iterator: EpochIterator, method: str) -> None:
        """Check the data (all of it in memory, else its first batch) against the model, building
        the model from it if needed, before any step, so a wrong shape, dtype or label encoding
        fails with the fix."""
        data = iterator.data_adapter.data_to_check()
        if data is not None:
            self._prepare_inputs(data[0], method)
            if method != "predict":  # predict ignores any targets its batches carry
                self._validate_targets(data[0], data[1])
            iterator.data_adapter.allow_variable_axes(self._expected_input_shape())

    def _make_callbacks(self, callbacks: Any, verbose: Any, epochs: int, steps: Any, add_history: bool = False) -> Any:
        from numeras.callbacks import CallbackList

        verbose = 1 if verbose == "auto" else int(verbose)
        distribution = distribution_lib.distribution()
        if distribution is not None and not distribution.writes_files():
            # Only rank 0 prints and writes files (progress bar, checkpoints, logs, backups).
            from numeras.distribution.callbacks import callbacks_for_other_ranks

            callbacks, verbose = callbacks_for_other_ranks(callbacks), 0
        return CallbackList(
            callbacks, add_history=add_history, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=steps,
        )

    # -- fit / evaluate / predict ---------------------------------------------------------
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ) -> Any:
        """Train for ``epochs`` passes over ``x``/``y`` in mini-batches of ``batch_size`` (32 by
        default), one optimizer step per batch. ``x`` may also be a generator, a ``PyDataset``
        or an iterable of batches ``(x, y[, sample_weight])`` (``y`` is then part of it); an epoch
        is then ``steps_per_epoch`` batches, or one pass. Returns the ``History``."""
        from numeras.callbacks import CallbackList

        self._require_compiled("fit")
        check_positive_int(epochs, "epochs", "fit", allow_zero=True)
        epoch_iterator = EpochIterator(
            x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps_per_epoch,
            shuffle=shuffle, class_weight=class_weight, method="fit",
        )
        val_iterator = epoch_iterator.validation_iterator(
            validation_data, validation_split, validation_batch_size, validation_steps
        )
        epoch_iterator.require_steps(epochs - initial_epoch, "steps_per_epoch")
        self._check_data_for_model(epoch_iterator, "fit")
        if val_iterator is not None:
            validation_runs = sum((epoch + 1) % validation_freq == 0 for epoch in range(initial_epoch, epochs))
            val_iterator.require_steps(validation_runs, "validation_steps")
            self._check_data_for_model(val_iterator, "fit (validation_data)")

        callback_list = callbacks
        if not isinstance(callbacks, CallbackList):
            callback_list = self._make_callbacks(
                callbacks, verbose, epochs, epoch_iterator.num_batches, add_history=True
            )
        self.stop_training = False
        self._initial_epoch = None
        # Picks the BLAS thread count by timing a few steps each epoch (backend/blas_threads.py).
        epoch_iterator.hook = self._blas_thread_tuner = ThreadTuner.create()
        callback_list.on_train_begin()
        # A callback (BackupAndRestore) may resume an interrupted run at a later epoch.
        initial_epoch = self._initial_epoch or initial_epoch
        distribution = distribution_lib.distribution()
        if distribution is not None:
            # Every process starts from rank 0's weights, optimizer state and epoch.
            for iterator in (epoch_iterator, val_iterator):
                if iterator is not None:
                    distribution.check_steps(iterator.num_batches, "fit")
            initial_epoch = distribution.on_train_begin(self, initial_epoch)
        epoch_logs: dict = {}
        with epoch_iterator:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                logs: dict = {}
                for step, batch in epoch_iterator.enumerate_epoch():
                    callback_list.on_train_batch_begin(step)
                    logs = self.train_step(batch)
                    callback_list.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                if epoch_iterator.ran_dry:
                    break  # a generator ran out in an earlier epoch: nothing was trained here
                epoch_logs = self._get_metrics_result_or_logs(logs)
                if val_iterator is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self.evaluate(
                        verbose=0, return_dict=True, _callbacks=callback_list, _epoch_iterator=val_iterator
                    )
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
        callback_list.on_train_end(epoch_logs)
        return self.history

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Any = None,
        return_dict: bool = False,
        _callbacks: Any = None,
        _epoch_iterator: EpochIterator | None = None,
    ) -> Any:
        """Loss and metrics over ``x``/``y`` in inference mode: a float (loss only), a list
        ``[loss, *metrics]`` or, with ``return_dict``, a dict."""
        self._require_compiled("evaluate")
        epoch_iterator = _epoch_iterator
        if epoch_iterator is None:
            # fit's validation passes its own iterator, checked when fit started.
            epoch_iterator = EpochIterator(
                x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps, method="evaluate"
            )
            epoch_iterator.require_steps(1, "steps")
            self._check_data_for_model(epoch_iterator, "evaluate")
        callback_list = _callbacks or self._make_callbacks(callbacks, verbose, 1, epoch_iterator.num_batches)
        self.reset_metrics()
        callback_list.on_test_begin()
        logs: dict = {}
        with no_grad(), epoch_iterator:
            for step, batch in epoch_iterator.enumerate_epoch():
                callback_list.on_test_batch_begin(step)
                logs = self.test_step(batch)
                callback_list.on_test_batch_end(step, logs)
        logs = self._get_metrics_result_or_logs(logs)
        callback_list.on_test_end(logs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
    ) -> Any:
        """The model's outputs for ``x``, computed in batches in inference mode: an ndarray, or
        for a model with several outputs a list (or dict) of ndarrays."""
        epoch_iterator = EpochIterator(x, batch_size=batch_size, steps_per_epoch=steps, method="predict")
        epoch_iterator.require_steps(1, "steps")
        self._check_data_for_model(epoch_iterator, "predict")
        callback_list = self._make_callbacks(callbacks, verbose, 1, epoch_iterator.num_batches)
        outputs = OutputCollector(epoch_iterator.data_adapter)
        callback_list.on_predict_begin()
        with no_grad(), epoch_iterator:
            for step, batch in epoch_iterator.enumerate_epoch():
                callback_list.on_predict_batch_begin(step)
                shown = outputs.add(self.predict_step(batch))
                callback_list.on_predict_batch_end(step, {"outputs": shown})
        callback_list.on_predict_end()
        distribution = distribution_lib.distribution()
        if distribution is not None:
            return distribution.gather_predictions(outputs.result())
        return outputs.result()

    # -- the first edition's generator methods (Keras 3 removed them) ----------------------
    def fit_generator(self, generator: Any, steps_per_epoch: int | None = None, epochs: int = 1,
                      verbose: Any = 1, callbacks: Any = None, validation_data: Any = None,
                      validation_steps: int | None = None, validation_freq: int = 1,
                      class_weight: dict | None = None, max_queue_size: int = 10, workers: int = 1,
                      use_multiprocessing: bool = False, shuffle: bool = True, initial_epoch: int = 0) -> Any:
        """Keras 2's ``fit_generator``: ``fit(generator, ...)``, with a DeprecationWarning.
        ``workers``/``use_multiprocessing``/``max_queue_size`` set a ``PyDataset``'s loading."""
        _warn_deprecated("fit_generator", "fit")
        _configure_workers(generator, workers, use_multiprocessing, max_queue_size)
        return self.fit(
            generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose, callbacks=callbacks,
            validation_data=validation_data, validation_steps=validation_steps, validation_freq=validation_freq,
            class_weight=class_weight, shuffle=shuffle and isinstance(generator, PyDataset),
            initial_epoch=initial_epoch,
        )

    def evaluate_generator(self, generator: Any, steps: int | None = None, callbacks: Any = None,
                           max_queue_size: int = 10, workers: int = 1, use_multiprocessing: bool = False,
                           verbose: Any = 0) -> Any:
        """Keras 2's ``evaluate_generator``: ``evaluate(generator, ...)``, with a DeprecationWarning."""
        _warn_deprecated("evaluate_generator", "evaluate")
        _configure_workers(generator, workers, use_multiprocessing, max_queue_size)
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator: Any, steps: int | None = None, callbacks: Any = None,
                          max_queue_size: int = 10, workers: int = 1, use_multiprocessing: bool = False,
                          verbose: Any = 0) -> Any:
        """Keras 2's ``predict_generator``: ``predict(generator, ...)``, with a DeprecationWarning."""
        _warn_deprecated("predict_generator", "predict")
        _configure_workers(generator, workers, use_multiprocessing, max_queue_size)
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    # -- one batch ----------------------------------------------------------------------
    def _prepare_batch(self, method: str, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None) -> Any:
        """The data path of the ``*_on_batch`` methods: the same conversion and checks as an
        epoch's, the whole data as one batch."""
        x, y, sample_weight = data_utils.standardize_data(x, y, sample_weight, class_weight)
        x = self._prepare_inputs(x, method)
        self._validate_targets(x, y)
        return pack_x_y_sample_weight(data_utils.as_batch(x), y, sample_weight)

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One gradient step on exactly this batch; returns the loss (and metrics)."""
        self._require_compiled("train_on_batch")
        logs = self.train_step(self._prepare_batch("train_on_batch", x, y, sample_weight, class_weight))
        return self._format_batch_logs(logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        self._require_compiled("test_on_batch")
        batch = self._prepare_batch("test_on_batch", x, y, sample_weight)
        self.reset_metrics()
        with no_grad():
            logs = self.test_step(batch)
        return self._format_batch_logs(logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        batch = self._prepare_batch("predict_on_batch", x)
        with no_grad():
            out = self.predict_step(batch)
        if isinstance(out, Tensor):
            return out.data
        return map_structure(lambda t: t.data if isinstance(t, Tensor) else t, out)

    def _format_batch_logs(self, logs: dict, return_dict: bool) -> Any:
        logs = self._get_metrics_result_or_logs(logs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    # -- compile config (saving) ----------------------------------------------------------
    def get_compile_config(self) -> dict:
        """The arguments ``compile`` was called with, serialized as Keras 3 does (``{}`` before
        ``compile``); the optimizer is the current one, with its current state."""
        if not self.compiled or self._compile_config is None:
            return {}
        arguments = dict(self._compile_config, optimizer=self.optimizer)
        for key in ("metrics", "weighted_metrics"):
            if not arguments[key]:
                arguments[key] = None
        return keras_format.serialize_keras_object(arguments)

    def compile_from_config(self, config: dict) -> None:
        """``compile`` with the arguments a ``get_compile_config`` dict describes, then the
        optimizer built for the weights so that saved optimizer state can be loaded into it.
        A subclass that overrides ``compile`` must override this too (it is skipped, with a
        warning, as in Keras). Unknown names resolve through ``custom_object_scope``."""
        if type(self).compile is not Trainer.compile:
            warnings.warn(
                "`compile()` was not called as part of model loading because the model's `compile()` "
                "method is custom. Subclassed models that override `compile()` should also override "
                "`compile_from_config(config)`, or call `compile()` yourself after loading.",
                stacklevel=2,
            )
            return
        accepted = set(inspect.signature(Trainer.compile).parameters) - {"self"}
        arguments = {}
        for key, value in config.items():
            if key not in accepted:
                if value not in (None, False, {}, []):
                    warnings.warn(
                        f"Ignoring the compile argument {key}={value!r} saved in the file: numeras has no such argument.",
                        stacklevel=2,
                    )
                continue
            # numeras.saving hands over objects it already resolved; config dicts are resolved here.
            arguments[key] = value if key == "loss_weights" else _deserialize_configs(value)
        self.compile(**arguments)
        if self.built and self.optimizer is not None and not self.optimizer.built:
            self.optimizer.build(self.trainable_weights)

def _deserialize_configs(value: Any) -> Any:
    """``value`` with every object config in it (alone, in a list of metrics, or in a dict by
    output name) turned into its object."""
    if isinstance(value, Mapping):
        if "class_name" in value:
            return keras_format.deserialize_keras_object(value)
        return {name: _deserialize_configs(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_deserialize_configs(item) for item in value)
    return value



_RESOLVED_LATER = {"accuracy", "acc", "crossentropy", "ce"}


def _warn_deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"`model.{old}` is deprecated (Keras 3 removed it): use `model.{new}`, which accepts "
        "generators, PyDataset and other iterables of batches directly.",
        DeprecationWarning,
        stacklevel=3,
    )


def _configure_workers(data: Any, workers: int, use_multiprocessing: bool, max_queue_size: int) -> None:
    """Keras 2 set a Sequence's loading through these arguments; for a generator they are moot."""
    if isinstance(data, PyDataset) and (workers, use_multiprocessing, max_queue_size) != (1, False, 10):
        data.workers, data.use_multiprocessing, data.max_queue_size = workers, use_multiprocessing, max_queue_size


def _declares_string_input(model: Any) -> bool:
    """Whether the model declares an Input of dtype string (then strings are its data)."""
    try:
        inputs = list(getattr(model, "inputs", None) or [])
    except (AttributeError, ValueError):
        return False
    return any(getattr(t, "dtype", None) == "string" for t in inputs)


def _batch_len(x: Any) -> int:
    if isinstance(x, (list, tuple, Mapping)):
        x = next(leaf for leaf in flatten(x) if leaf is not None)
    return len(x)



_TAKES_TRAINING: dict[type, bool] = {}


def _takes_training_argument(cls: type) -> bool:
    known = _TAKES_TRAINING.get(cls)
    if known is None:
        parameters = inspect.signature(cls.compute_loss).parameters
        known = "training" in parameters or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
        )
        _TAKES_TRAINING[cls] = known
    return known


def _to_float(value: Any) -> Any:
    if isinstance(value, Tensor):
        value = value.data
    try:
        return float(value)
    except (TypeError, ValueError):
        return value  # e.g. a metric with one value per threshold
