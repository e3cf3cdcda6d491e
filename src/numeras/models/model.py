"""``Model``: a layer that can be trained. ``compile`` chooses the optimizer, loss and metrics;
``fit``, ``evaluate`` and ``predict`` run the loops, each step going through ``train_step`` /
``test_step`` / ``predict_step`` so subclasses can replace a step and keep the loop."""

from __future__ import annotations

import math
from typing import Any

from numeras import backend
from numeras.autodiff import GradientTape, Tensor, no_grad
from numeras.backend import xp
from numeras.layers.layer import Layer
from numeras.models import data as data_utils


class Model(Layer):
    """A trainable stack of layers. Subclass it and write ``call`` (Keras's subclassing API), or
    use ``Sequential``."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model and (args or "inputs" in kwargs):
            from numeras.models.functional import Functional

            return Functional(*args, **kwargs)
        return super().__new__(cls)

    def __init__(self, *args: Any, trainable: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.compiled = False
        self.optimizer: Any = None
        self.loss: Any = None
        self.stop_training = False
        self.history: Any = None
        self._loss_fn: Any = None
        self._metric_specs: list = []
        self._compile_metrics: list = []
        self._loss_tracker: Any = None
        self._metrics_resolved = False

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

        self.optimizer = optimizers.get(optimizer)
        if isinstance(loss, str) and loss.lower() not in losses.SHAPE_DEPENDENT_NAMES:
            losses.get(loss)  # an unknown name fails now, not at the first step
        self.loss = loss
        self._loss_fn = None
        self.loss_weights = loss_weights
        if metrics is None:
            metrics = []
        elif isinstance(metrics, (str, dict)) or callable(metrics):
            metrics = [metrics]
        elif not isinstance(metrics, (list, tuple)):
            raise TypeError(
                f"compile: `metrics` must be a list such as ['accuracy'], received {type(metrics).__name__}."
            )
        for spec in metrics:
            if isinstance(spec, str):
                # Unknown names fail here, at compile time, not after the first epoch.
                metrics_module.get(spec) if spec.lower() not in _RESOLVED_LATER else None
        self._metric_specs = list(metrics)
        self._weighted_metric_specs = list(weighted_metrics or [])
        self._compile_metrics = []
        self._metrics_resolved = False
        self._loss_tracker = metrics_module.Mean(name="loss")
        self.compiled = True
        self.stop_training = False

    @property
    def metrics(self) -> list:
        """The loss tracker and the compiled metrics (after the first step)."""
        if not self.compiled:
            return []
        return [self._loss_tracker, *self._compile_metrics]

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    def _resolve_loss(self, y: Any, y_pred: Any) -> Any:
        """The compiled loss as a ``Loss``; names such as 'crossentropy' need the shapes."""
        if self._loss_fn is None and self.loss is not None:
            from numeras import losses

            self._loss_fn = losses.resolve(self.loss, y, y_pred)
        return self._loss_fn

    def _resolve_metrics(self, y: Any, y_pred: Any) -> None:
        if self._metrics_resolved:
            return
        from numeras import metrics as metrics_module

        self._compile_metrics = [
            metrics_module.resolve(spec, y, y_pred, loss=self.loss) for spec in self._metric_specs
        ]
        self._metrics_resolved = True

    # -- steps --------------------------------------------------------------------------
    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        """The compiled loss plus every loss the layers added (regularization, ``add_loss``)."""
        total = None
        if y is not None and self._resolve_loss(y, y_pred) is not None:
            total = self._loss_fn(y, y_pred, sample_weight=sample_weight)
        for extra in self.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError(
                "compute_loss: no loss to minimise. Pass `loss=` to compile(), or add losses in "
                "call() with self.add_loss(...)."
            )
        return total

    def _track_loss(self, loss: Tensor, batch_size: int) -> None:
        self._loss_tracker.update_state(loss.data, sample_weight=batch_size)

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict:
        """Update the compiled metrics with one batch and return every metric's running value."""
        self._resolve_metrics(y, y_pred)
        predictions = y_pred.data if isinstance(y_pred, Tensor) else y_pred
        for metric in self._compile_metrics:
            metric.update_state(y, predictions, sample_weight=sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        logs = {m.name: _to_float(m.result()) for m in self.metrics}
        return dict(sorted(logs.items()))

    def train_step(self, data: tuple) -> dict:
        """One gradient update on a batch ``(x, y, sample_weight)``; returns the running logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        trainable = self.trainable_weights
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        grads = tape.gradient(loss, trainable)
        self.optimizer.apply_gradients(zip(grads, trainable))
        self._track_loss(loss, _batch_len(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: tuple) -> dict:
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
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

    def _prepare_inputs(self, x: Any, method: str) -> Any:
        """Check ``x`` against the model's input, building the model from it when needed."""
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
        try:
            return self.compute_output_shape((None, *x.shape[1:]))
        except Exception:  # noqa: BLE001 - an unknown output shape only skips the label check
            return None

    def _validate_targets(self, x: Any, y: Any) -> None:
        if y is None or self.loss is None:
            return
        from numeras import losses

        output_shape = self._output_shape_for(x)
        if isinstance(output_shape, tuple) and all(n is None or isinstance(n, int) for n in output_shape):
            losses.validate_targets(self._resolve_loss(y, output_shape), y, output_shape)

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
        x = data_utils.to_array(x, "x")
        y = data_utils.to_array(y, "y")
        sample_weight = data_utils.to_array(sample_weight, "sample_weight")
        if x is None:
            raise ValueError("fit: `x` is required (the training inputs).")
        data_utils.check_same_length(x, y, sample_weight)
        batch_size = _check_batch_size(batch_size, "fit")
        _check_positive_int(epochs, "epochs", "fit", allow_zero=True)
        if class_weight is not None and y is not None:
            weights = data_utils.class_weights_for(y, class_weight)
            sample_weight = weights if sample_weight is None else sample_weight * weights
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

        n = len(x)
        steps = math.ceil(n / batch_size)
        if steps_per_epoch:
            steps = min(steps, int(steps_per_epoch))
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=steps,
        )
        gather_x = data_utils.BatchGatherer(x, batch_size, data_utils.input_dtype(x))
        gather_y = None if y is None else data_utils.BatchGatherer(y, batch_size, data_utils.input_dtype(y))
        gather_w = None if sample_weight is None else data_utils.BatchGatherer(sample_weight, batch_size, backend.floatx())

        self.stop_training = False
        callback_list.on_train_begin()
        epoch_logs: dict = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            logs: dict = {}
            for step, index in enumerate(data_utils.batch_indices(n, batch_size, shuffle, steps)):
                callback_list.on_train_batch_begin(step)
                batch = (
                    gather_x.gather(index),
                    None if gather_y is None else gather_y.gather(index),
                    None if gather_w is None else gather_w.gather(index),
                )
                logs = self.train_step(batch)
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(logs) if logs else self.get_metrics_result()
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
        x = data_utils.to_array(x, "x")
        y = data_utils.to_array(y, "y")
        sample_weight = data_utils.to_array(sample_weight, "sample_weight")
        data_utils.check_same_length(x, y, sample_weight)
        batch_size = _check_batch_size(batch_size, "evaluate")
        x = self._prepare_inputs(x, "evaluate")
        self._validate_targets(x, y)
        n = len(x)
        total_steps = math.ceil(n / batch_size)
        if steps:
            total_steps = min(total_steps, int(steps))
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = _callbacks or CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=total_steps
        )
        gather_x = data_utils.BatchGatherer(x, batch_size, data_utils.input_dtype(x))
        gather_y = None if y is None else data_utils.BatchGatherer(y, batch_size, data_utils.input_dtype(y))
        gather_w = None if sample_weight is None else data_utils.BatchGatherer(sample_weight, batch_size, backend.floatx())
        self.reset_metrics()
        callback_list.on_test_begin()
        logs: dict = {}
        with no_grad():
            for step, index in enumerate(data_utils.batch_indices(n, batch_size, False, total_steps)):
                callback_list.on_test_batch_begin(step)
                batch = (
                    gather_x.gather(index),
                    None if gather_y is None else gather_y.gather(index),
                    None if gather_w is None else gather_w.gather(index),
                )
                logs = self.test_step(batch)
                callback_list.on_test_batch_end(step, logs)
        logs = self.get_metrics_result()
        callback_list.on_test_end(logs)
        if return_dict:
            return logs
        ordered = [logs[m.name] for m in self.metrics]
        return ordered[0] if len(ordered) == 1 else ordered

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
    ) -> Any:
        """The model's outputs for ``x``, computed in batches in inference mode, as an ndarray."""
        from numeras.callbacks import CallbackList

        x = data_utils.to_array(x, "x")
        batch_size = _check_batch_size(batch_size, "predict")
        x = self._prepare_inputs(x, "predict")
        n = len(x)
        total_steps = math.ceil(n / batch_size)
        if steps:
            total_steps = min(total_steps, int(steps))
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=total_steps
        )
        gather_x = data_utils.BatchGatherer(x, batch_size, data_utils.input_dtype(x))
        outputs = None
        position = 0
        callback_list.on_predict_begin()
        with no_grad():
            for step, index in enumerate(data_utils.batch_indices(n, batch_size, False, total_steps)):
                callback_list.on_predict_batch_begin(step)
                batch_out = self.predict_step((gather_x.gather(index), None, None))
                array = batch_out.data if isinstance(batch_out, Tensor) else xp.asarray(batch_out)
                if outputs is None:
                    outputs = xp.empty((min(n, total_steps * batch_size), *array.shape[1:]), dtype=array.dtype)
                outputs[position : position + len(array)] = array
                position += len(array)
                callback_list.on_predict_batch_end(step, {"outputs": array})
        callback_list.on_predict_end()
        return outputs[:position] if outputs is not None else xp.empty((0,))

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
        x, y = data_utils.to_array(x, "x"), data_utils.to_array(y, "y")
        sample_weight = data_utils.to_array(sample_weight, "sample_weight")
        data_utils.check_same_length(x, y, sample_weight)
        if class_weight is not None and y is not None:
            weights = data_utils.class_weights_for(y, class_weight)
            sample_weight = weights if sample_weight is None else sample_weight * weights
        x = self._prepare_inputs(x, "train_on_batch")
        self._validate_targets(x, y)
        x = x.astype(data_utils.input_dtype(x), copy=False)
        logs = self.train_step((x, y, sample_weight))
        return self._format_batch_logs(logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        self._require_compiled("test_on_batch")
        x, y = data_utils.to_array(x, "x"), data_utils.to_array(y, "y")
        sample_weight = data_utils.to_array(sample_weight, "sample_weight")
        data_utils.check_same_length(x, y, sample_weight)
        x = self._prepare_inputs(x, "test_on_batch")
        self._validate_targets(x, y)
        self.reset_metrics()
        with no_grad():
            logs = self.test_step((x.astype(data_utils.input_dtype(x), copy=False), y, sample_weight))
        return self._format_batch_logs(logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        x = self._prepare_inputs(data_utils.to_array(x, "x"), "predict_on_batch")
        with no_grad():
            out = self.predict_step((x.astype(data_utils.input_dtype(x), copy=False), None, None))
        return out.data if isinstance(out, Tensor) else out

    def _format_batch_logs(self, logs: dict, return_dict: bool) -> Any:
        if return_dict:
            return logs
        ordered = [logs[m.name] for m in self.metrics if m.name in logs]
        return ordered[0] if len(ordered) == 1 else ordered

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
                      show_trainable=show_trainable)

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


_RESOLVED_LATER = {"accuracy", "acc", "crossentropy", "ce"}


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
    vx = data_utils.to_array(validation_data[0], "validation_data[0]")
    vy = data_utils.to_array(validation_data[1], "validation_data[1]")
    vw = data_utils.to_array(validation_data[2], "validation_data[2]") if len(validation_data) == 3 else None
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
    if isinstance(x, (list, tuple)):
        x = x[0]
    if isinstance(x, dict):
        x = next(iter(x.values()))
    return len(x)


def _to_float(value: Any) -> float:
    if isinstance(value, Tensor):
        value = value.data
    return float(value)

