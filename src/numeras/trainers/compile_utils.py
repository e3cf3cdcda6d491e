"""What ``compile(loss=..., loss_weights=..., metrics=...)`` becomes, for one output or many.

``CompileLoss`` maps the losses to the model's outputs (one loss for all, a list in output order,
or a dict keyed by output name), weights them and sums them; with several losses it also keeps
one ``Mean`` per output, reported as ``<output_name>_loss``. ``CompileMetrics`` maps metrics the
same way and reports them as ``<output_name>_<metric_name>`` when the model has several outputs.
Both follow Keras 3's ``keras/src/trainers/compile_utils.py``. An output that carries a mask
(``_keras_mask``) reaches its losses and metrics with the mask, which weights them (see
``numeras.losses.loss``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from numeras.autodiff import Tensor
from numeras.metrics.metric import Mean, Metric
from numeras.utils.tree import flatten, is_nested


def _is_function_like(value: Any) -> bool:
    return value is None or isinstance(value, str) or callable(value)


def _prediction_for_metrics(value: Any) -> Any:
    """A prediction for the metrics: its array, cut from the graph, but still a Tensor carrying
    the mask when it has one (the metrics weight the entries by it, as Keras)."""
    if not isinstance(value, Tensor):
        return value
    mask = value._keras_mask
    if mask is None:
        return value.data
    detached = Tensor(value.data)
    detached._keras_mask = mask
    return detached


class _Slot:
    """One model output: where it sits in ``y_pred`` and the name Keras reports it under."""

    __slots__ = ("key", "name")

    def __init__(self, key: Any, name: str | None) -> None:
        self.key = key  # None (single output), a list index, or a dict key
        self.name = name


def _output_slots(y_pred: Any, output_names: list[str] | None) -> list[_Slot]:
    """The outputs of ``y_pred`` (a tensor, a list/tuple or a dict of them)."""
    if isinstance(y_pred, Mapping):
        return [_Slot(key, str(key)) for key in y_pred]
    if isinstance(y_pred, (list, tuple)):
        names = output_names if output_names and len(output_names) == len(y_pred) else None
        return [_Slot(i, names[i] if names else None) for i in range(len(y_pred))]
    return [_Slot(None, output_names[0] if output_names and len(output_names) == 1 else None)]


def _describe(structure: Any) -> str:
    if isinstance(structure, Mapping):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in structure.items()) + "}"
    if isinstance(structure, (list, tuple)):
        return "[" + ", ".join(_describe(v) for v in structure) + "]"
    return "*"


def align_targets(y_true: Any, y_pred: Any, slots: list[_Slot], argument: str = "y") -> list:
    """``y_true`` as one entry per slot of ``y_pred`` (``None`` where no target is given).

    Accepted pairings, as Keras: the same structure; a dict of targets keyed by output name for
    a list of outputs; a list of targets in the (sorted-key) order of a dict of outputs; a single
    target for a single output (alone or in a list of one).
    """
    if len(slots) == 1 and slots[0].key is None:
        if isinstance(y_true, (list, tuple)) and len(y_true) == 1:
            return [y_true[0]]
        if isinstance(y_true, Mapping) and len(y_true) == 1:
            return [next(iter(y_true.values()))]
        return [y_true]
    if y_true is None:
        return [None] * len(slots)
    if isinstance(y_pred, Mapping):
        if isinstance(y_true, Mapping):
            unknown = [k for k in y_true if k not in y_pred]
            if unknown:
                raise ValueError(
                    f"`{argument}` has key(s) {unknown} that are not outputs of the model; the "
                    f"outputs are {list(y_pred)}."
                )
            return [y_true.get(slot.key) for slot in slots]
        if isinstance(y_true, (list, tuple)) and len(y_true) == len(slots):
            by_sorted_key = dict(zip(sorted(y_pred), y_true))
            return [by_sorted_key[slot.key] for slot in slots]
    elif isinstance(y_pred, (list, tuple)):
        if isinstance(y_true, (list, tuple)) and len(y_true) == len(slots):
            return list(y_true)
        if isinstance(y_true, Mapping):
            names = [slot.name for slot in slots]
            if None not in names:
                unknown = [k for k in y_true if k not in names]
                if unknown:
                    raise ValueError(
                        f"`{argument}` has key(s) {unknown} that are not output names of the "
                        f"model; the outputs are named {names}."
                    )
                return [y_true.get(name) for name in names]
        if len(slots) == 1 and not is_nested(y_true):
            return [y_true]
    raise ValueError(
        f"`{argument}` and the model's outputs have different structures.\n"
        f"{argument}: {_describe(y_true)}\ny_pred: {_describe(y_pred)}\n"
        "Pass one target per output: a list in the order of the outputs, or a dict keyed by "
        "output name."
    )


def _per_output(spec: Any, slots: list[_Slot], argument: str, y_pred: Any) -> list:
    """A list/dict given per output (``loss``, ``loss_weights``, ``metrics``) as one entry per
    slot; a dict is keyed by output name."""
    if isinstance(spec, Mapping):
        names = [slot.name for slot in slots]
        unknown = [key for key in spec if key not in names]
        if unknown:
            raise ValueError(
                f"In the dict argument `{argument}`, key(s) {unknown} do not correspond to any "
                f"model output. The outputs are named {names}. Received: {argument}={spec!r}"
            )
        return [spec.get(slot.name) for slot in slots]
    if isinstance(spec, (list, tuple)):
        if len(spec) != len(slots):
            raise ValueError(
                f"For a model with {len(slots)} outputs, `{argument}` given as a list should have "
                f"one entry per output; received {len(spec)} entries: {argument}={spec!r}. Pass a "
                "list with one entry per output (None for an output without one), or a dict "
                "keyed by output name."
            )
        if isinstance(y_pred, Mapping):
            by_sorted_key = dict(zip(sorted(y_pred), spec))
            return [by_sorted_key[slot.key] for slot in slots]
        return list(spec)
    return [spec] * len(slots)


class CompileLoss:
    """The compiled loss: ``sum_i loss_weight_i * loss_i(y_true_i, y_pred_i)`` over outputs.

    Built on the first call from the structure of the targets and outputs. With more than one
    loss, ``metrics`` holds one ``Mean`` per output loss (unweighted), named ``<name>_loss``
    after the output's name (or the loss's, when outputs are unnamed).
    """

    def __init__(self, loss: Any, loss_weights: Any = None, output_names: list[str] | None = None) -> None:
        if loss_weights is not None and not isinstance(loss_weights, (list, tuple, Mapping, float, int)):
            raise ValueError(
                "Expected `loss_weights` argument to be a float (single output case) or a list, "
                "tuple, or dict (multiple output case). Received instead: "
                f"loss_weights={loss_weights!r} of type {type(loss_weights).__name__}"
            )
        self._user_loss = loss
        self._user_loss_weights = loss_weights
        self.output_names = list(output_names) if output_names else None
        self.built = False
        self.metrics: list[Mean] = []
        self._slots: list[_Slot] = []
        self._entries: list[tuple[int, Any, float | None]] = []  # (slot index, Loss, weight)

    def build(self, y_true: Any, y_pred: Any) -> None:
        from numeras import losses

        slots = _output_slots(y_pred, self.output_names)
        targets = align_targets(y_true, y_pred, slots)
        if len(slots) == 1:
            loss_specs = [self._single_loss(self._user_loss, slots[0])]
            weight = self._user_loss_weights
            if isinstance(weight, Mapping):
                weight = next(iter(weight.values())) if len(weight) == 1 else None
            elif isinstance(weight, (list, tuple)):
                weight = weight[0] if len(weight) == 1 else None
            weights = [weight]
        else:
            loss_specs = _per_output(self._user_loss, slots, "loss", y_pred)
            weights = (
                [None] * len(slots)
                if self._user_loss_weights is None
                else _per_output(self._user_loss_weights, slots, "loss_weights", y_pred)
            )
        flat_pred = y_pred if isinstance(y_pred, (list, tuple, Mapping)) else None
        entries = []
        for index, (slot, spec, weight) in enumerate(zip(slots, loss_specs, weights)):
            if spec is None:
                continue
            if not _is_function_like(spec):
                raise ValueError(
                    f"Each entry of `loss` must be a loss name, a function or a Loss instance; "
                    f"received {spec!r} for output {slot.name or index}."
                )
            prediction = y_pred if flat_pred is None else y_pred[slot.key]
            resolved = losses.resolve(spec, targets[index], prediction)
            entries.append((index, resolved, None if weight is None else float(weight)))
        self._slots = slots
        self._entries = entries
        self.metrics = []
        if len(entries) > 1:
            for index, resolved, _ in entries:
                name = slots[index].name or resolved.name
                self.metrics.append(Mean(name=f"{name}_loss"))
        self.built = True

    @staticmethod
    def _single_loss(spec: Any, slot: _Slot) -> Any:
        if isinstance(spec, Mapping):
            if len(spec) == 1 and (slot.name is None or slot.name in spec):
                return next(iter(spec.values()))
            raise ValueError(
                f"`loss` is a dict with keys {list(spec)}, but the model has one output"
                f"{' named ' + repr(slot.name) if slot.name else ''}. Pass the loss directly."
            )
        if isinstance(spec, (list, tuple)):
            if len(spec) == 1:
                return spec[0]
            raise ValueError(
                f"`loss` is a list of {len(spec)} losses, but the model has one output. Pass "
                "one loss."
            )
        return spec

    def resolved_losses(self) -> list[tuple[_Slot, Any]]:
        """(output slot, resolved Loss) pairs, after ``build``."""
        return [(self._slots[index], loss) for index, loss, _ in self._entries]

    def loss_for_slot(self, index: int) -> Any:
        for slot_index, loss, _ in self._entries:
            if slot_index == index:
                return loss
        return None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor | None:
        if not self.built:
            self.build(y_true, y_pred)
        if len(self._slots) == 1 and self._slots[0].key is None and not is_nested(y_pred):
            if not self._entries:
                return None
            _, loss_fn, weight = self._entries[0]
            target = y_true[0] if isinstance(y_true, (list, tuple)) and len(y_true) == 1 else y_true
            value = loss_fn(target, y_pred, sample_weight=sample_weight)
            return value * weight if weight is not None else value
        targets = align_targets(y_true, y_pred, self._slots)
        if sample_weight is not None and is_nested(sample_weight):
            weights = align_targets(sample_weight, y_pred, self._slots, argument="sample_weight")
        else:
            weights = [sample_weight] * len(self._slots)
        total = None
        for position, (index, loss_fn, weight) in enumerate(self._entries):
            slot = self._slots[index]
            target = targets[index]
            if target is None:
                continue
            prediction = y_pred if slot.key is None else y_pred[slot.key]
            value = loss_fn(target, prediction, sample_weight=weights[index])
            if self.metrics:
                # The per-output trackers report the unweighted loss, as Keras.
                batch = len(flatten(prediction)[0])
                self.metrics[position].update_state(value.data, sample_weight=batch)
            if weight is not None:
                value = value * weight
            total = value if total is None else total + value
        return total


class _MetricsList:
    """The metrics of one output, with the output name used as their prefix (or ``None``)."""

    __slots__ = ("metrics", "output_name", "slot_index")

    def __init__(self, metrics: list[Metric], output_name: str | None, slot_index: int) -> None:
        self.metrics = metrics
        self.output_name = output_name
        self.slot_index = slot_index


class CompileMetrics(Metric):
    """The compiled ``metrics`` and ``weighted_metrics``: one ``Metric`` in ``model.metrics`` whose
    ``result()`` is a dict (Keras's ``compile_metrics``).

    ``metrics`` may be a list (applied to the single output, or one entry per output of a
    multi-output model: a metric or a list of metrics, ``None`` for none) or a dict keyed by
    output name. ``"accuracy"`` and ``"crossentropy"`` become the binary, categorical or sparse
    variant from each output's targets and predictions.
    """

    def __init__(
        self,
        metrics: Any,
        weighted_metrics: Any = None,
        output_names: list[str] | None = None,
        compile_loss: CompileLoss | None = None,
        loss: Any = None,
    ) -> None:
        super().__init__(name="compile_metrics")
        for argument, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value and not isinstance(value, (list, tuple, Mapping)):
                raise ValueError(
                    f"Expected `{argument}` argument to be a list, tuple, or dict. Received "
                    f"instead: {argument}={value!r} of type {type(value).__name__}"
                )
        self._user_metrics = metrics
        self._user_weighted_metrics = weighted_metrics
        self.output_names = list(output_names) if output_names else None
        self._compile_loss = compile_loss
        self._loss = loss
        self.built = False
        self._flat_metrics: list[_MetricsList] = []
        self._flat_weighted_metrics: list[_MetricsList] = []
        self._slots: list[_Slot] = []

    @property
    def metrics(self) -> list[Metric]:
        """Every metric object, unprefixed names (as Keras)."""
        return [m for group in self._flat_metrics + self._flat_weighted_metrics for m in group.metrics]

    @property
    def variables(self) -> list:
        return [v for m in self.metrics for v in m.variables]

    def build(self, y_true: Any, y_pred: Any) -> None:
        slots = _output_slots(y_pred, self.output_names)
        targets = align_targets(y_true, y_pred, slots)
        self._slots = slots
        self._flat_metrics = self._build_set(self._user_metrics, slots, targets, y_pred, "metrics")
        self._flat_weighted_metrics = self._build_set(
            self._user_weighted_metrics, slots, targets, y_pred, "weighted_metrics"
        )
        self.built = True

    def _loss_for(self, index: int) -> Any:
        if self._compile_loss is not None and self._compile_loss.built:
            return self._compile_loss.loss_for_slot(index)
        return self._loss if not is_nested(self._loss) else None

    def _build_set(self, spec: Any, slots: list[_Slot], targets: list, y_pred: Any, argument: str) -> list:
        from numeras import metrics as metrics_module

        if not spec:
            return []
        if len(slots) == 1:
            entries = flatten(spec) if isinstance(spec, Mapping) else list(spec)
            if isinstance(spec, Mapping) and slots[0].name is not None:
                unknown = [k for k in spec if k != slots[0].name]
                if unknown:
                    raise ValueError(
                        f"In the dict argument `{argument}`, key(s) {unknown} do not correspond "
                        f"to the model's output {slots[0].name!r}."
                    )
            per_slot = [entries]
            prefix = [None]
        else:
            per_slot = _per_output(spec, slots, argument, y_pred)
            if not isinstance(spec, (list, tuple, Mapping)):
                per_slot = [[spec]] * len(slots)
            prefix = [slot.name for slot in slots]
        groups = []
        for index, entries in enumerate(per_slot):
            if entries is None:
                continue
            if not isinstance(entries, (list, tuple)):
                entries = [entries]
            for entry in entries:
                if not (_is_function_like(entry) or isinstance(entry, Metric)):
                    raise ValueError(
                        f"All entries of `{argument}` must be metric names, functions or Metric "
                        f"objects; received {entry!r}."
                    )
            slot = slots[index]
            prediction = y_pred if slot.key is None else y_pred[slot.key]
            resolved = [
                metrics_module.resolve(entry, targets[index], prediction, loss=self._loss_for(index))
                for entry in entries
                if entry is not None
            ]
            groups.append(_MetricsList(resolved, prefix[index], index))
        return groups

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self.built:
            self.build(y_true, y_pred)
        targets = align_targets(y_true, y_pred, self._slots)
        if sample_weight is not None and is_nested(sample_weight):
            weights = align_targets(sample_weight, y_pred, self._slots, argument="sample_weight")
        else:
            weights = [sample_weight] * len(self._slots)
        for group in self._flat_metrics:
            target = targets[group.slot_index]
            if target is None:
                continue
            prediction = _prediction_for_metrics(self._prediction(y_pred, group.slot_index))
            for metric in group.metrics:
                metric.update_state(target, prediction)
        for group in self._flat_weighted_metrics:
            target = targets[group.slot_index]
            if target is None:
                continue
            prediction = _prediction_for_metrics(self._prediction(y_pred, group.slot_index))
            for metric in group.metrics:
                metric.update_state(target, prediction, sample_weight=weights[group.slot_index])

    def _prediction(self, y_pred: Any, index: int) -> Any:
        key = self._slots[index].key
        return y_pred if key is None else y_pred[key]

    def reset_state(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    def named_metrics(self) -> list[tuple[str, Metric]]:
        """``(reported name, metric)`` pairs: prefixed with the output name for a model with
        several outputs; a repeated name gets ``_1``, ``_2``, ... (weighted ones ``weighted_``)."""
        named: list[tuple[str, Metric]] = []
        counters: dict[str, int] = {}

        def unique(name: str) -> str:
            if name in counters:
                index = counters[name]
                counters[name] += 1
                return f"{name}_{index}"
            counters[name] = 1
            return name

        for group in self._flat_metrics:
            for metric in group.metrics:
                name = f"{group.output_name}_{metric.name}" if group.output_name else metric.name
                named.append((unique(name), metric))
        for group in self._flat_weighted_metrics:
            for metric in group.metrics:
                name = f"{group.output_name}_{metric.name}" if group.output_name else metric.name
                if name in counters:
                    name = f"weighted_{metric.name}"
                    if group.output_name:
                        name = f"{group.output_name}_{name}"
                named.append((unique(name), metric))
        return named

    def result(self) -> dict:
        """``{reported name: value}`` for every compiled metric (see ``named_metrics``)."""
        return {name: metric.result() for name, metric in self.named_metrics()}

    def get_config(self) -> dict:
        raise NotImplementedError("CompileMetrics is rebuilt by compile(); it has no config.")


# -- compile's argument checks --------------------------------------------------------------
def standardize_metrics_argument(metrics: Any, argument: str) -> Any:
    """``metrics`` as a list or dict (a single name, function or Metric becomes a list)."""
    if metrics is None or isinstance(metrics, (list, tuple, Mapping)):
        return metrics
    if isinstance(metrics, str) or callable(metrics):
        return [metrics]
    raise TypeError(
        f"compile: `{argument}` must be a list such as ['accuracy'] (or a dict keyed by output "
        f"name), received {type(metrics).__name__}."
    )


def check_loss_weights(loss_weights: Any) -> None:
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
