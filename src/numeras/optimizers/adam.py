"""Adam: momentum on the gradient and on its square, with bias correction."""

from __future__ import annotations

import math
from typing import Any

from numeras import backend
from numeras.autodiff.variable import Variable
from numeras.backend import kernels
from numeras.optimizers.base_optimizer import Optimizer


class Adam(Optimizer):
    """Adam, as Keras 3 computes it (``t`` = ``iterations + 1``)::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    With ``amsgrad=True``, ``v_hat = max(v_hat, v)`` replaces ``v`` in the last line.

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001.
        beta_1: decay rate of the first-moment average. Defaults to 0.9.
        beta_2: decay rate of the second-moment average. Defaults to 0.999.
        epsilon: added to ``sqrt(v)`` ("epsilon hat" of the paper). Defaults to 1e-7.
        amsgrad: use the AMSGrad variant. Defaults to False.
        Other arguments: see :class:`Optimizer`.
    """

    _num_scratch = 2

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float | None = 1e-7,
        amsgrad: bool = False,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = backend.epsilon() if epsilon is None else epsilon
        self.amsgrad = amsgrad

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        # Created per variable in Keras's order, so saved optimizer states match Keras files.
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        scratch, increment = self._scratch[index]
        beta_1 = float(self.beta_1)
        beta_2 = float(self.beta_2)
        t = self._current_step() + 1
        alpha = learning_rate * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
        w = variable.data
        m = self._momentums[index].data
        v = self._velocities[index].data
        v_hat = self._velocity_hats[index].data if self.amsgrad else None
        kernels.adam_update(w, gradient, m, v, beta_1, beta_2, alpha, float(self.epsilon), scratch, increment, v_hat)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config
