"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.autodiff.variable import Variable
from numeras.backend import kernels
from numeras.optimizers.base_optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop, as Keras 3 computes it::

        velocity = rho * velocity + (1 - rho) * g**2
        w = w - learning_rate * g / sqrt(velocity + epsilon)

    Note that ``epsilon`` is inside the square root (PyTorch adds it outside).
    With ``centered=True`` the denominator is ``sqrt(velocity - average_grad**2 + epsilon)``,
    where ``average_grad = rho * average_grad + (1 - rho) * g``. With ``momentum > 0`` the
    increment goes through ``m = momentum * m + increment; w = w - m``.

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001.
        rho: discounting factor of the squared-gradient average. Defaults to 0.9.
        momentum: plain (not Nesterov) momentum. Defaults to 0.0.
        epsilon: added to the mean square before the square root. Defaults to 1e-7.
        centered: normalise by the estimated variance instead of the raw second moment.
        Other arguments: see :class:`Optimizer`.
    """

    _num_scratch = 2

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float | None = 1e-7,
        centered: bool = False,
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
        self.momentum = momentum
        # Keras 2 code passes epsilon=None to mean backend.epsilon().
        self.epsilon = backend.epsilon() if epsilon is None else epsilon
        self.centered = centered

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum > 0 else []
        self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient") if self.centered else []

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        denominator, increment = self._scratch[index]
        rho = float(self.rho)
        w = variable.data
        velocity = self._velocities[index].data
        average = self._average_gradients[index].data if self.centered else None
        momentum = self._momentums[index].data if self.momentum > 0 else None
        kernels.rmsprop_update(
            w, gradient, velocity, rho, learning_rate, float(self.epsilon), denominator, increment,
            average=average, momentum=momentum, momentum_rate=float(self.momentum),
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered})
        return config
