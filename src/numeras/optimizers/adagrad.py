"""Adagrad: per-parameter learning rates shrinking with the sum of past squared gradients."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.base_optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad, as Keras 3 computes it::

        accumulator = accumulator + g**2          # starts at initial_accumulator_value
        w = w - learning_rate * g / sqrt(accumulator + epsilon)

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001.
        initial_accumulator_value: starting value of the accumulators. Defaults to 0.1.
        epsilon: added inside the square root. Defaults to 1e-7.
        Other arguments: see :class:`Optimizer`.
    """

    _num_scratch = 2

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float | None = 1e-7,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        if initial_accumulator_value < 0:
            raise ValueError(
                "Adagrad: `initial_accumulator_value` must be non-negative, received "
                f"initial_accumulator_value={initial_accumulator_value!r}."
            )
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = backend.epsilon() if epsilon is None else epsilon

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=float(self.initial_accumulator_value)
        )

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        denominator, increment = self._scratch[index]
        w = variable.data
        accumulator = self._accumulators[index].data
        xp.square(gradient, out=denominator)
        xp.add(accumulator, denominator, out=accumulator)
        xp.add(accumulator, float(self.epsilon), out=denominator)
        xp.sqrt(denominator, out=denominator)
        xp.multiply(gradient, learning_rate, out=increment)
        xp.divide(increment, denominator, out=increment)
        xp.subtract(w, increment, out=w)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return config
