"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.base_optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta, as Keras 3 computes it::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * g**2
        delta = -sqrt(accumulated_delta_var + epsilon) * g / sqrt(accumulated_grad + epsilon)
        accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta**2
        w = w + learning_rate * delta

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001 (the paper's form is 1.0).
        rho: the decay rate. Defaults to 0.95.
        epsilon: added inside both square roots. Defaults to 1e-7.
        Other arguments: see :class:`Optimizer`.
    """

    _num_scratch = 2

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
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
        self.rho = rho
        self.epsilon = backend.epsilon() if epsilon is None else epsilon

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        # Created per variable in Keras's order, so saved optimizer states match Keras files.
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        step, scratch = self._scratch[index]
        rho = float(self.rho)
        epsilon = float(self.epsilon)
        w = variable.data
        accumulated_grad = self._accumulated_grads[index].data
        accumulated_delta = self._accumulated_delta_vars[index].data

        xp.multiply(accumulated_grad, rho, out=accumulated_grad)
        xp.square(gradient, out=scratch)
        xp.multiply(scratch, 1.0 - rho, out=scratch)
        xp.add(accumulated_grad, scratch, out=accumulated_grad)
        # step <- -delta (the sign is folded into the final subtraction; squaring ignores it)
        xp.add(accumulated_delta, epsilon, out=step)
        xp.sqrt(step, out=step)
        xp.multiply(step, gradient, out=step)
        xp.add(accumulated_grad, epsilon, out=scratch)
        xp.sqrt(scratch, out=scratch)
        xp.divide(step, scratch, out=step)
        xp.multiply(accumulated_delta, rho, out=accumulated_delta)
        xp.square(step, out=scratch)
        xp.multiply(scratch, 1.0 - rho, out=scratch)
        xp.add(accumulated_delta, scratch, out=accumulated_delta)
        xp.multiply(step, learning_rate, out=step)
        xp.subtract(w, step, out=w)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
