"""``Model``: a layer that can be trained. ``compile`` chooses the optimizer, loss and metrics;
``fit``, ``evaluate`` and ``predict`` run the loops, each step going through ``train_step`` /
``test_step`` / ``predict_step`` so subclasses can replace a step and keep the loop."""

from __future__ import annotations

import inspect
import math
import time
import warnings
from collections.abc import Mapping
from typing import Any

from numeras import backend, saving
from numeras.autodiff import GradientTape, Tensor, no_grad
from numeras.backend import xp
from numeras.backend.blas_threads import ThreadTuner
from numeras.layers.layer import Layer
from numeras.models import data as data_utils
from numeras.utils.tree import flatten, is_nested, map_structure, pack_sequence_as


class Model(Layer):
    """A trainable stack of layers. Subclass it and write ``call`` (Keras's subclassing API), or
    use ``Sequential``."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        # Model(inputs, outputs) is a functional model; so is CustomModel(inputs, outputs) for a
        # subclass, which keeps its own train_step/metrics (Keras injects Functional likewise).
        if args or kwargs:
            from numeras.models.functional import Functional, functional_subclass, is_functional_init

            if is_functional_init(args, kwargs) and not issubclass(cls, Functional):
                return super().__new__(Functional if cls is Model else functional_subclass(cls))
        return super().__new__(cls)

    def __init__(self, *args: Any, trainable: bool = True, name: str | None = None, **kwargs: Any) -> None:
        if args or "inputs" in kwargs:
            from numeras.models.functional import Functional, functional_subclass, is_functional_init

            if is_functional_init(args, kwargs):
                # A subclass's __init__ called super().__init__(inputs=..., outputs=...).
                if not isinstance(self, Functional):
                    self.__class__ = functional_subclass(type(self))
                Functional.__init__(self, *args, trainable=trainable, name=name, **kwargs)
                return
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.compiled = False
        self.optimizer: Any = None
        self.loss: Any = None
        self.stop_training = False
        self.history: Any = None
        self._compile_loss: Any = None
        self._compile_metrics: Any = None
        self._loss_tracker: Any = None
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
        from numeras.models.compile_utils import CompileLoss, CompileMetrics

        self.optimizer = optimizers.get(optimizer)
        for spec in flatten(loss):
            if isinstance(spec, str) and spec.lower() not in losses.SHAPE_DEPENDENT_NAMES:
                losses.get(spec)  # an unknown name fails now, not at the first step
        _check_loss_weights(loss_weights)
        metrics = _standardize_metrics_argument(metrics, "metrics")
        weighted_metrics = _standardize_metrics_argument(weighted_metrics, "weighted_metrics")
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
        self.compiled = True
        self.stop_training = False

    def get_compile_config(self) -> dict | None:
        """The arguments ``compile`` was called with (None before ``compile``), as Keras 3's
        ``get_compile_config``. The values are the objects themselves, the optimizer in its
        current state; ``numeras.saving`` turns them into the file's ``compile_config``."""
        if not self.compiled:
            return None
        compiled_metrics = self._compile_metrics
        return {
            "optimizer": self.optimizer,
            "loss": self.loss,
            "loss_weights": self.loss_weights,
            "metrics": compiled_metrics._user_metrics if compiled_metrics is not None else None,
            "weighted_metrics": compiled_metrics._user_weighted_metrics if compiled_metrics is not None else None,
            "run_eagerly": False,
            "steps_per_execution": 1,
            "jit_compile": "auto",
        }

    def compile_from_config(self, config: Mapping[str, Any]) -> None:
        """``compile(**config)`` with what ``get_compile_config`` gave (values already turned
        back into objects by ``numeras.saving``), then the optimizer built for the model's
        weights so saved optimizer state can be loaded into it (Keras 3's
        ``compile_from_config``). Arguments numeras's ``compile`` lacks are ignored, with a
        warning unless they hold their neutral value."""
        if type(self).compile is not Model.compile:
            warnings.warn(
                "`compile()` was not called as part of model loading because the model's `compile()` "
                "method is custom. Subclassed models that override `compile()` should also override "
                "`compile_from_config(config)`, or call `compile()` yourself after loading.",
                stacklevel=3,
            )
            return
        accepted = set(inspect.signature(Model.compile).parameters) - {"self"}
        arguments = {}
        for key, value in config.items():
            if key in accepted:
                arguments[key] = value
            elif value not in (None, False, {}, []):
                warnings.warn(
                    f"Ignoring the compile argument {key}={value!r} saved in the file: numeras has no such argument.",
                    stacklevel=3,
                )
        self.compile(**arguments)
        if self.built and self.optimizer is not None and not self.optimizer.built:
            self.optimizer.build(self.trainable_weights)

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
            if not isinstance(layer, Model):
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
        from numeras.models.compile_utils import CompileMetrics

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
        grads = tape.gradient(loss, trainable, out=self._gradient_buffers(trainable))
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

    # -- checks done before any step ----------------------------------------------------
    def _require_compiled(self, method: str) -> None:
        if not self.compiled:
            raise RuntimeError(
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
        from numeras.models.compile_utils import align_targets

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
        default), one optimizer step per batch. Returns the ``History``."""
        from numeras.callbacks import CallbackList

        self._require_compiled("fit")
        if x is None:
            raise ValueError("fit: `x` is required (the training inputs).")
        x = data_utils.to_data(x, "x")
        y = data_utils.to_data(y, "y")
        sample_weight = data_utils.to_data(sample_weight, "sample_weight")
        data_utils.check_same_length(x, y, sample_weight)
        batch_size = _check_batch_size(batch_size, "fit")
        _check_positive_int(epochs, "epochs", "fit", allow_zero=True)
        if class_weight is not None and y is not None:
            weights = data_utils.class_weights_for(y, class_weight)
            sample_weight = weights if sample_weight is None else _scale_weights(sample_weight, weights)
        if validation_data is None and validation_split:
            (x, y, sample_weight), (vx, vy, vsw) = data_utils.split_validation(
                [x, y, sample_weight], validation_split
            )
            validation_data = (vx, vy, vsw)
        elif validation_data is not None:
            validation_data = _unpack_validation(validation_data)
        x = self._prepare_inputs(x, "fit")
        self._validate_targets(x, y)
        if validation_data is not None:
            self._prepare_inputs(validation_data[0], "fit (validation_data)")
            self._validate_targets(validation_data[0], validation_data[1])

        n = data_utils.num_samples(x)
        steps = math.ceil(n / batch_size)
        if steps_per_epoch:
            steps = min(steps, int(steps_per_epoch))
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=steps,
        )
        gather_x = data_utils.make_gatherer(x, batch_size)
        gather_y = data_utils.make_gatherer(y, batch_size)
        gather_w = data_utils.make_gatherer(sample_weight, batch_size, backend.floatx())

        self.stop_training = False
        self._initial_epoch = None
        callback_list.on_train_begin()
        # A callback (BackupAndRestore) may resume an interrupted run at a later epoch.
        initial_epoch = self._initial_epoch or initial_epoch
        epoch_logs: dict = {}
        # Picks the BLAS thread count by timing a few steps each epoch (backend/blas_threads.py).
        tuner = ThreadTuner.create()
        self._blas_thread_tuner = tuner
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                if tuner is not None:
                    tuner.begin_epoch(steps)
                logs: dict = {}
                for step, index in enumerate(data_utils.batch_indices(n, batch_size, shuffle, steps)):
                    callback_list.on_train_batch_begin(step)
                    batch = pack_x_y_sample_weight(
                        gather_x.gather(index),
                        None if gather_y is None else gather_y.gather(index),
                        None if gather_w is None else gather_w.gather(index),
                    )
                    if tuner is not None and tuner.probing(step):
                        started = time.perf_counter()
                        logs = self.train_step(batch)
                        tuner.record(step, time.perf_counter() - started)
                    else:
                        logs = self.train_step(batch)
                    callback_list.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                epoch_logs = self._get_metrics_result_or_logs(logs)
                if validation_data is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self.evaluate(
                        validation_data[0], validation_data[1], sample_weight=validation_data[2],
                        batch_size=validation_batch_size or batch_size, verbose=0,
                        steps=validation_steps, return_dict=True, _callbacks=callback_list,
                    )
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
        finally:
            if tuner is not None:
                tuner.finish()
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
    ) -> Any:
        """Loss and metrics over ``x``/``y`` in inference mode: a float (loss only), a list
        ``[loss, *metrics]`` or, with ``return_dict``, a dict."""
        from numeras.callbacks import CallbackList

        self._require_compiled("evaluate")
        if x is None:
            raise ValueError("evaluate: `x` is required (the inputs to evaluate on).")
        x = data_utils.to_data(x, "x")
        y = data_utils.to_data(y, "y")
        sample_weight = data_utils.to_data(sample_weight, "sample_weight")
        data_utils.check_same_length(x, y, sample_weight)
        batch_size = _check_batch_size(batch_size, "evaluate")
        x = self._prepare_inputs(x, "evaluate")
        self._validate_targets(x, y)
        n = data_utils.num_samples(x)
        total_steps = math.ceil(n / batch_size)
        if steps:
            total_steps = min(total_steps, int(steps))
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = _callbacks or CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=total_steps
        )
        gather_x = data_utils.make_gatherer(x, batch_size)
        gather_y = data_utils.make_gatherer(y, batch_size)
        gather_w = data_utils.make_gatherer(sample_weight, batch_size, backend.floatx())
        self.reset_metrics()
        callback_list.on_test_begin()
        logs: dict = {}
        with no_grad():
            for step, index in enumerate(data_utils.batch_indices(n, batch_size, False, total_steps)):
                callback_list.on_test_batch_begin(step)
                batch = pack_x_y_sample_weight(
                    gather_x.gather(index),
                    None if gather_y is None else gather_y.gather(index),
                    None if gather_w is None else gather_w.gather(index),
                )
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
        from numeras.callbacks import CallbackList

        x = data_utils.to_data(x, "x")
        batch_size = _check_batch_size(batch_size, "predict")
        x = self._prepare_inputs(x, "predict")
        n = data_utils.num_samples(x)
        total_steps = math.ceil(n / batch_size)
        if steps:
            total_steps = min(total_steps, int(steps))
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=total_steps
        )
        gather_x = data_utils.make_gatherer(x, batch_size)
        structure: Any = None
        buffers: list = []
        position = 0
        callback_list.on_predict_begin()
        with no_grad():
            for step, index in enumerate(data_utils.batch_indices(n, batch_size, False, total_steps)):
                callback_list.on_predict_batch_begin(step)
                batch_out = self.predict_step(pack_x_y_sample_weight(gather_x.gather(index)))
                if isinstance(batch_out, Tensor):
                    arrays = [batch_out.data]
                else:
                    arrays = [leaf.data if isinstance(leaf, Tensor) else xp.asarray(leaf) for leaf in flatten(batch_out)]
                if structure is None:
                    structure = batch_out
                    rows = min(n, total_steps * batch_size)
                    buffers = [xp.empty((rows, *a.shape[1:]), dtype=a.dtype) for a in arrays]
                count = len(arrays[0])
                for buffer, array in zip(buffers, arrays):
                    buffer[position : position + count] = array
                position += count
                shown = arrays[0] if not is_nested(structure) else pack_sequence_as(structure, arrays)
                callback_list.on_predict_batch_end(step, {"outputs": shown})
        callback_list.on_predict_end()
        if structure is None:
            return xp.empty((0,))
        results = [buffer[:position] for buffer in buffers]
        return results[0] if not is_nested(structure) else pack_sequence_as(structure, results)

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
        x, y = data_utils.to_data(x, "x"), data_utils.to_data(y, "y")
        sample_weight = data_utils.to_data(sample_weight, "sample_weight")
        data_utils.check_same_length(x, y, sample_weight)
        if class_weight is not None and y is not None:
            weights = data_utils.class_weights_for(y, class_weight)
            sample_weight = weights if sample_weight is None else _scale_weights(sample_weight, weights)
        x = self._prepare_inputs(x, "train_on_batch")
        self._validate_targets(x, y)
        logs = self.train_step(pack_x_y_sample_weight(data_utils.as_batch(x), y, sample_weight))
        return self._format_batch_logs(logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        self._require_compiled("test_on_batch")
        x, y = data_utils.to_data(x, "x"), data_utils.to_data(y, "y")
        sample_weight = data_utils.to_data(sample_weight, "sample_weight")
        data_utils.check_same_length(x, y, sample_weight)
        x = self._prepare_inputs(x, "test_on_batch")
        self._validate_targets(x, y)
        self.reset_metrics()
        with no_grad():
            logs = self.test_step(pack_x_y_sample_weight(data_utils.as_batch(x), y, sample_weight))
        return self._format_batch_logs(logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        x = self._prepare_inputs(data_utils.to_data(x, "x"), "predict_on_batch")
        with no_grad():
            out = self.predict_step(pack_x_y_sample_weight(data_utils.as_batch(x)))
        if isinstance(out, Tensor):
            return out.data
        return map_structure(lambda t: t.data if isinstance(t, Tensor) else t, out)

    def _format_batch_logs(self, logs: dict, return_dict: bool) -> Any:
        logs = self._get_metrics_result_or_logs(logs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    # -- inspection ---------------------------------------------------------------------
    def summary(
        self,
        line_length: int | None = None,
        positions: Any = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Print the layers, their output shapes and parameter counts, in Keras 3's layout."""
        from numeras.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable, expand_nested=expand_nested, layer_range=layer_range)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Model:
        """A model from its config: a functional config (``layers``, ``input_layers``,
        ``output_layers``) rebuilds the graph; any other is passed to the constructor."""
        from numeras.models.functional import functional_from_config

        functional_keys = ("name", "layers", "input_layers", "output_layers")
        if all(key in config for key in functional_keys):
            return functional_from_config(cls, config, custom_objects)
        try:
            return cls(**config)
        except TypeError as error:
            raise TypeError(
                f"Unable to revive model {cls.__name__} from config: {error}. When overriding "
                "get_config(), make sure the config holds every argument of the constructor, or "
                "override from_config() too."
            ) from None

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by ``name`` or by position ``index`` in ``layers``."""
        if index is not None and name is not None:
            raise ValueError("get_layer: pass either `name` or `index`, not both.")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"get_layer: `index` {index} is out of range: the model has {len(self.layers)} layers."
                )
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"get_layer: no layer named {name!r}. Layers: {[layer.name for layer in self.layers]}."
            )
        raise ValueError("get_layer: pass `name` or `index`.")

    # -- saving (numeras.saving) --------------------------------------------------------
    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save the model (architecture, weights, compile arguments, optimizer state) to a
        ``.keras`` file, Keras 3's format (or a legacy ``.h5`` file). Atomic: a crash mid-save
        leaves any previous file intact."""
        saving.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save the weights (and optimizer state) to a ``.weights.h5`` file."""
        saving.save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Load weights from a ``.weights.h5``, ``.keras`` or legacy ``.h5`` file; nothing is
        loaded unless every weight fits (``skip_mismatch=True`` skips those that do not)."""
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)


_RESOLVED_LATER = {"accuracy", "acc", "crossentropy", "ce"}


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """What a step receives, as Keras's data adapters give it: ``x`` alone (``(x,)`` when ``x``
    is a list or tuple), ``(x, y)``, or ``(x, y, sample_weight)``; so ``inputs, targets = data``
    works in a custom ``train_step``."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` as a triple."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
    return data, None, None


def _unpack_validation(validation_data: Any) -> tuple:
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "fit: `validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
            f"val_sample_weight), received {type(validation_data).__name__}."
        )
    vx = data_utils.to_data(validation_data[0], "validation_data[0]")
    vy = data_utils.to_data(validation_data[1], "validation_data[1]")
    vw = data_utils.to_data(validation_data[2], "validation_data[2]") if len(validation_data) == 3 else None
    data_utils.check_same_length(vx, vy, vw)
    return vx, vy, vw


def _check_batch_size(batch_size: Any, method: str) -> int:
    if batch_size is None:
        return 32
    _check_positive_int(batch_size, "batch_size", method)
    return int(batch_size)


def _check_positive_int(value: Any, argument: str, method: str, allow_zero: bool = False) -> None:
    valid = isinstance(value, (int, xp.integer)) and not isinstance(value, bool)
    if not valid or value < (0 if allow_zero else 1):
        raise ValueError(
            f"{method}: `{argument}` must be a {'non-negative' if allow_zero else 'positive'} "
            f"integer, received {value!r}."
        )


def _batch_len(x: Any) -> int:
    if isinstance(x, (list, tuple, Mapping)):
        x = next(leaf for leaf in flatten(x) if leaf is not None)
    return len(x)


def _scale_weights(sample_weight: Any, weights: Any) -> Any:
    if data_utils.is_structure(sample_weight):
        return map_structure(lambda w: None if w is None else w * weights, sample_weight)
    return sample_weight * weights


def _standardize_metrics_argument(metrics: Any, argument: str) -> Any:
    """``metrics`` as a list or dict (a single name, function or Metric becomes a list)."""
    if metrics is None or isinstance(metrics, (list, tuple, Mapping)):
        return metrics
    if isinstance(metrics, str) or callable(metrics):
        return [metrics]
    raise TypeError(
        f"compile: `{argument}` must be a list such as ['accuracy'] (or a dict keyed by output "
        f"name), received {type(metrics).__name__}."
    )


def _check_loss_weights(loss_weights: Any) -> None:
    """``loss_weights`` must hold numbers (one, a list, or a dict by output name). Names of
    metrics there come from Keras 2's positional order, ``compile(optimizer, loss, metrics)``."""
    if loss_weights is None:
        return
    values = list(loss_weights.values()) if isinstance(loss_weights, Mapping) else flatten(loss_weights)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not _is_number(value):
            hint = ""
            if isinstance(value, str) or callable(value):
                hint = (
                    " It looks like metrics: the third positional argument of compile() is "
                    "`loss_weights` (Keras 3), so pass metrics by keyword, e.g. "
                    "compile(optimizer, loss, metrics=['accuracy'])."
                )
            raise TypeError(
                f"compile: `loss_weights` must be a number, a list of numbers or a dict of numbers "
                f"by output name, received {loss_weights!r}.{hint}"
            )


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, str)


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

