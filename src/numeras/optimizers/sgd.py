"""Stochastic gradient descent, optionally with (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.arguments import is_number
from numeras.optimizers.base_optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent (with momentum), as Keras 3's ``SGD``.

    Without momentum: ``w = w - learning_rate * g``.

    With ``momentum > 0``::

        velocity = momentum * velocity - learning_rate * g
        w = w + velocity

    and with ``nesterov=True`` the last line becomes
    ``w = w + momentum * velocity - learning_rate * g``.

    Args:
        learning_rate: float, schedule or callable; defaults to 0.01.
        momentum: float in [0, 1]; 0 is plain gradient descent. Defaults to 0.0.
        nesterov: whether to use Nesterov momentum. Defaults to False.
        Other arguments: see :class:`Optimizer`.
    """

    _num_scratch = 2

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
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
        if not is_number(momentum) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be a float between 0 and 1, received momentum={momentum!r}.")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self.momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum != 0 else []

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        step, lookahead = self._scratch[index]
        w = variable.data
        xp.multiply(gradient, learning_rate, out=step)
        if self.momentum == 0:
            xp.subtract(w, step, out=w)
            return
        momentum = float(self.momentum)
        velocity = self.momentums[index].data
        xp.multiply(velocity, momentum, out=velocity)
        xp.subtract(velocity, step, out=velocity)
        if self.nesterov:
            xp.multiply(velocity, momentum, out=lookahead)
            xp.subtract(lookahead, step, out=lookahead)
            xp.add(w, lookahead, out=w)
        else:
            xp.add(w, velocity, out=w)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
