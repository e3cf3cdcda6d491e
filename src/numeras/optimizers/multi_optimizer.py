"""``MultiOptimizer`` and ``OptimizerMap`` of Keras 3.15: different optimizers for different
variables, chosen by variable path (exact, or a regular expression matching the whole path),
with a default for the rest."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any

from numeras.autodiff.variable import Variable
from numeras.optimizers.base_optimizer import Optimizer
from numeras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from numeras.optimizers.serialization import deserialize, serialize

_MODULE = "keras.optimizers"


def _serialize(optimizer: Optimizer) -> dict:
    return serialize(optimizer)


def _deserialize(config: Any, custom_objects: dict | None) -> Any:
    if isinstance(config, (Optimizer, OptimizerMap)) or callable(config) and not isinstance(config, dict):
        return config  # already rebuilt by the saving code
    if isinstance(config, dict) and config.get("class_name") == "OptimizerMap":
        return OptimizerMap.from_config(config.get("config") or {}, custom_objects=custom_objects)
    return deserialize(config, custom_objects=custom_objects)


class OptimizerMap(MutableMapping):
    """A mapping from variable paths (or regular expressions matching a whole path) to
    optimizers, with ``default_optimizer`` for the variables no key matches.

    ``optimizer_map(variable)`` returns the optimizer for ``variable.path``. A path matched by
    several patterns is an error, as in Keras.
    """

    def __init__(self, default_optimizer: Optimizer, optimizer_map: dict[str, Optimizer] | None = None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                f"OptimizerMap: `default_optimizer` must be an Optimizer instance, received {default_optimizer!r}."
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                f"OptimizerMap: `optimizer_map` must be a dict from variable paths to optimizers, received {optimizer_map!r}."
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict[str, Optimizer] = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self) -> Optimizer:
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Multiple optimizers assigned to variable {key}: the patterns {matches} all match it. "
                "Make the patterns exclusive."
            )
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value {self._optimizer_map[key]}. "
                "Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: keys must be strings (variable paths or patterns), received {key!r}.")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"OptimizerMap: values must be Optimizer instances, received {optimizer!r}.")
        if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
            raise ValueError(f"OptimizerMap: an optimizer in the map cannot be a {type(optimizer).__name__}.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, variable: Any) -> Optimizer:
        return self[str(getattr(variable, "path", None) or getattr(variable, "name", ""))]

    def get_config(self) -> dict:
        return {
            "default_optimizer": _serialize(self._default_optimizer),
            "optimizer_map": {key: _serialize(optimizer) for key, optimizer in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> OptimizerMap:
        default = _deserialize(config["default_optimizer"], custom_objects)
        mapping = {key: _deserialize(value, custom_objects) for key, value in (config.get("optimizer_map") or {}).items()}
        return cls(default, mapping)


class MultiOptimizer(Optimizer):
    """Applies a different optimizer to each group of variables.

    Args:
        optimizer_map: an ``OptimizerMap``, or any callable ``variable -> Optimizer``.
        loss_scale_factor: passed on to every inner optimizer.
        name: the optimizer's name.

    ``variables`` lists this optimizer's own state (``iteration``, ``learning_rate``) and then
    each inner optimizer's, in the order the optimizers were first used. The learning rate
    belongs to the inner optimizers: reading or setting it here is an AttributeError.
    """

    def __init__(self, optimizer_map: OptimizerMap | Callable[[Any], Optimizer], loss_scale_factor: float | None = None, name: str | None = None):
        self._inner_optimizers: list[Optimizer] = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        if hasattr(optimizer_map, "values"):
            for optimizer in optimizer_map.values():
                self._adopt(optimizer)
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None:
            self._adopt(default)

    def _adopt(self, optimizer: Optimizer) -> None:
        if not any(optimizer is known for known in self._inner_optimizers):
            optimizer.loss_scale_factor = self.loss_scale_factor
            self._inner_optimizers.append(optimizer)

    def build(self, var_list: Sequence[Any]) -> None:
        if self.built:
            return
        var_list = list(var_list)
        self._optimizer_index: dict[int, int] = {}
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            if not isinstance(optimizer, Optimizer):
                raise ValueError(f"MultiOptimizer: the optimizer for variable {variable.path!r} is not an Optimizer: {optimizer!r}.")
            if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
                raise ValueError(f"MultiOptimizer: a {type(optimizer).__name__} cannot be used inside a MultiOptimizer.")
            self._adopt(optimizer)
            self._optimizer_index[id(variable)] = next(i for i, o in enumerate(self._inner_optimizers) if o is optimizer)
        groups: list[list] = [[] for _ in self._inner_optimizers]
        for variable in var_list:
            groups[self._optimizer_index[id(variable)]].append(variable)
        for optimizer, group in zip(self._inner_optimizers, groups):
            if group:
                optimizer.build(group)
        super().build(var_list)

    @property
    def optimizers(self) -> list[Optimizer]:
        return self._inner_optimizers

    @property
    def variables(self) -> list[Variable]:
        variables = self._variables[:]
        for optimizer in self._inner_optimizers:
            variables.extend(optimizer.variables)
        return variables

    @property
    def learning_rate(self) -> Any:
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate on the "
            "individual sub-optimizers instead (optimizer.optimizers)."
        )

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the individual "
            "sub-optimizers instead (optimizer.optimizers)."
        )

    @property
    def loss_scale_factor(self) -> float | None:
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: float | None) -> None:
        self._loss_scale_factor = value
        for optimizer in self.__dict__.get("_inner_optimizers", []):
            optimizer.loss_scale_factor = value

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on a "
                    "list of variables. Call `optimizer.build(trainable_variables)` first."
                )
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(
                f"Gradients must match trainable variables one-to-one. Received {len(grads)} gradients and "
                f"{len(trainable_variables)} variables."
            )
        groups: list[tuple[list, list]] = [([], []) for _ in self._inner_optimizers]
        for grad, variable in zip(grads, trainable_variables):
            group_grads, group_vars = groups[self._optimizer_index[id(variable)]]
            group_grads.append(grad)
            group_vars.append(variable)
        for optimizer, (group_grads, group_vars) in zip(self._inner_optimizers, groups):
            if group_vars:
                optimizer.apply(group_grads, group_vars)
        self._iterations.data += 1

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        groups: list[list] = [[] for _ in self._inner_optimizers]
        for variable in var_list:
            groups[self._optimizer_index[id(variable)]].append(variable)
        for optimizer, group in zip(self._inner_optimizers, groups):
            if group:
                optimizer.finalize_variable_values(group)

    def set_weights(self, weights: Sequence[Any]) -> None:
        if not self.built:
            raise ValueError("MultiOptimizer.set_weights: call `optimizer.build(trainable_variables)` first.")
        weights = list(weights)
        own = len(self._variables)
        for variable, weight in zip(self._variables, weights[:own]):
            variable.assign(weight)
        start = own
        for optimizer in self._inner_optimizers:
            count = len(optimizer.variables)
            if count:
                optimizer.set_weights(weights[start : start + count])
                start += count

    def save_own_variables(self, store: Any) -> None:
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store: Any) -> None:
        variables = self.variables
        if len(store.keys()) != len(variables):
            import warnings

            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has {len(variables)} "
                f"variables whereas the saved optimizer has {len(store.keys())} variables.",
                stacklevel=2,
            )
            return
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    def get_config(self) -> dict[str, Any]:
        if isinstance(self._optimizer_map, OptimizerMap):
            optimizer_map: Any = {
                "module": _MODULE,
                "class_name": "OptimizerMap",
                "config": self._optimizer_map.get_config(),
                "registered_name": None,
            }
        else:
            from numeras.saving.object_registration import serialize_function

            optimizer_map = serialize_function(self._optimizer_map, getattr(self._optimizer_map, "__module__", ""))
        return {"optimizer_map": optimizer_map, "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> MultiOptimizer:
        config = dict(config)
        config["optimizer_map"] = _deserialize(config["optimizer_map"], custom_objects)
        return cls(**config)
