"""Schedule-free AdamW (Defazio et al., 2024), as Keras 3 computes it."""

from __future__ import annotations

import math
from typing import Any

from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.base_optimizer import Optimizer


class ScheduleFreeAdamW(Optimizer):
    """AdamW without a learning-rate schedule: the weights are an interpolation y of a running
    average x of the iterates z (the ``momentum`` slot, which starts as a copy of the weights).
    With t = iterations + 1 and lr scaled by min(t / warmup_steps, 1) during warm-up::

        v = v + (g**2 - v) * (1 - beta_2)
        z_new = z - lr * g / (sqrt(v / (1 - beta_2**t)) + epsilon)
        x = (y - (1 - beta_1) * z) / beta_1               (recovered from the current weights)
        x = (1 - 1/t) * x + (1/t) * z_new
        y = (1 - beta_1) * z_new + beta_1 * x             (the new weights)

    Args:
        learning_rate: float, schedule or callable; defaults to 0.0025.
        beta_1: the interpolation between x and z (default 0.9).
        beta_2: decay rate of the second moment (default 0.999).
        epsilon: added to the root of the second moment (default 1e-8).
        warmup_steps: steps of linear learning-rate warm-up (default 0).
        Other arguments: see :class:`Optimizer`.
    """

    _num_scratch = 2

    def __init__(
        self,
        learning_rate: Any = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
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
            name=name,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        for momentum, var in zip(self._momentums, var_list):
            xp.copyto(momentum.data, var.data)

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        x, scratch = self._scratch[index]
        w = variable.data
        z = self._momentums[index].data
        v = self._velocities[index].data
        dtype = w.dtype.type
        beta_1, beta_2 = float(self.beta_1), float(self.beta_2)
        t = self._current_step() + 1
        lr = float(learning_rate)
        if self.warmup_steps > 0:
            lr *= min(t / float(self.warmup_steps), 1.0)
        # x from the weights and the old z, before z moves.
        xp.multiply(z, dtype(1 - beta_1), out=x)
        xp.subtract(w, x, out=x)
        x /= dtype(beta_1)
        xp.square(gradient, out=scratch)
        scratch -= v
        scratch *= dtype(1 - beta_2)
        v += scratch
        xp.divide(v, dtype(1 - math.pow(beta_2, t)), out=scratch)
        xp.sqrt(scratch, out=scratch)
        scratch += dtype(self.epsilon)
        xp.divide(gradient, scratch, out=scratch)
        scratch *= dtype(lr)
        z -= scratch
        weight = 1.0 / t
        x *= dtype(1 - weight)
        x += z * dtype(weight)
        xp.multiply(x, dtype(beta_1), out=w)
        w += z * dtype(1 - beta_1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}
        )
        return config
