"""``LossScaleOptimizer``: Keras 3's dynamic loss scaling around another optimizer.

Loss scaling keeps small float16 gradients from underflowing: the loss is multiplied by a large
scale before differentiation and the gradients are divided by it again before the update. The
scale halves whenever a gradient is not finite (that step is skipped) and doubles after
``dynamic_growth_steps`` finite steps in a row. With float32 (numeras's usual dtype) the
division undoes the multiplication, so the wrapper passes the inner optimizer's updates
through; it still keeps its state, saves and loads like Keras's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from numeras.autodiff.tensor import Tensor
from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.base_optimizer import Optimizer
from numeras.optimizers.serialization import deserialize, serialize

_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """An optimizer that applies dynamic loss scaling to ``inner_optimizer``.

    Args:
        inner_optimizer: the ``Optimizer`` that makes the updates.
        initial_scale: the starting loss scale (default 2**15).
        dynamic_growth_steps: double the scale after this many finite steps (default 2000).
        name: the optimizer's name.

    Per step: if every gradient is finite, the inner optimizer is applied to
    ``gradient / dynamic_scale`` and ``step_counter`` advances (the scale doubles and the
    counter resets when it reaches ``dynamic_growth_steps - 1``); otherwise nothing is updated,
    the scale halves and the counter resets. Clipping, weight decay and the like belong on the
    inner optimizer.
    """

    def __init__(
        self,
        inner_optimizer: Optimizer,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for argument, default in _BASE_DEFAULTS.items():
            if argument not in kwargs:
                continue
            value = kwargs.pop(argument)
            if value != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{argument}` (received {argument}={value!r}). "
                    f"Instead, set `{argument}` on the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`. It takes "
                "inner_optimizer, initial_scale, dynamic_growth_steps and name."
            )
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(
                "LossScaleOptimizer: `inner_optimizer` must be an Optimizer instance, received "
                f"{type(inner_optimizer).__name__}: {inner_optimizer!r}."
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list: Sequence[Any]) -> None:
        if self.built:
            return
        self.step_counter = self.add_variable((), initializer="zeros", dtype="int32", name="step_counter")
        self.dynamic_scale = self.add_variable(
            (), initializer=float(self.initial_scale), dtype="float32", name="dynamic_scale"
        )
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self) -> list[Variable]:
        """This optimizer's state, then the inner optimizer's (Keras's order in saved files)."""
        return self._variables + self.inner_optimizer.variables

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        grads = list(grads)
        if not self.built:
            if trainable_variables is None:
                raise ValueError(
                    "LossScaleOptimizer.apply: `trainable_variables` is required on the first call "
                    "(the optimizer is not built yet)."
                )
            self.build(list(trainable_variables))
        arrays = [None if g is None else (g.data if isinstance(g, Tensor) else xp.asarray(g)) for g in grads]
        finite = all(bool(xp.isfinite(a).all()) for a in arrays if a is not None)
        counter, scale = self.step_counter.data, self.dynamic_scale.data
        if not finite:
            counter[...] = 0
            scale *= 0.5
            return
        unscaled = [None if a is None else a / a.dtype.type(scale) for a in arrays]
        self.inner_optimizer.apply(unscaled, trainable_variables)
        if int(counter) == self.dynamic_growth_steps - 1:
            counter[...] = 0
            scale *= 2.0
        else:
            counter += 1

    def scale_loss(self, loss: Any) -> Any:
        """``loss * dynamic_scale`` (``initial_scale`` before the first step)."""
        scale = float(self.dynamic_scale.data) if self.built else float(self.initial_scale)
        return loss * scale

    @property
    def learning_rate(self) -> Any:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        # The base constructor sets a placeholder rate before the inner optimizer exists.
        if "inner_optimizer" not in self.__dict__:
            Optimizer.learning_rate.fset(self, learning_rate)
        else:
            self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self) -> Tensor:
        return self.inner_optimizer.iterations

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    def save_own_variables(self, store: Any) -> None:
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store: Any) -> None:
        variables = self.variables
        if len(store.keys()) != len(variables):
            import warnings

            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(variables)} variables whereas the saved optimizer has {len(store.keys())} variables.",
                stacklevel=2,
            )
            return
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "inner_optimizer": serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> LossScaleOptimizer:
        config = dict(config)
        inner = config.pop("inner_optimizer")
        if not isinstance(inner, Optimizer):  # the saving code may have rebuilt it already
            inner = deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)
