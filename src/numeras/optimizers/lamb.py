"""LAMB (You et al., 2019): Adam with a layer-wise trust ratio, as Keras 3 computes it."""

from __future__ import annotations

import math
from typing import Any

from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.base_optimizer import Optimizer


class Lamb(Optimizer):
    """LAMB: Adam's step rescaled, per variable, by ``||w|| / ||step||`` (t = iterations + 1)::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        step = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)
        ratio = ||w|| / ||step||  (1 when either norm is 0)
        w = w - ratio * learning_rate * step

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001.
        beta_1: decay rate of the first moment. Defaults to 0.9.
        beta_2: decay rate of the second moment. Defaults to 0.999.
        epsilon: added to the root of the second moment. Defaults to 1e-7.
        Other arguments: see :class:`Optimizer`.
    """

    _num_scratch = 2

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
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

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        step, scratch = self._scratch[index]
        w = variable.data
        m = self._momentums[index].data
        v = self._velocities[index].data
        beta_1, beta_2 = float(self.beta_1), float(self.beta_2)
        t = self._current_step() + 1
        xp.subtract(gradient, m, out=scratch)
        scratch *= 1.0 - beta_1
        m += scratch
        xp.square(gradient, out=scratch)
        scratch -= v
        scratch *= 1.0 - beta_2
        v += scratch
        xp.divide(v, 1.0 - beta_2**t, out=scratch)
        xp.sqrt(scratch, out=scratch)
        scratch += float(self.epsilon)
        xp.divide(m, 1.0 - beta_1**t, out=step)
        step /= scratch
        w_norm = math.sqrt(float(xp.vdot(w, w)))
        step_norm = math.sqrt(float(xp.vdot(step, step)))
        ratio = w_norm / step_norm if w_norm > 0 and step_norm > 0 else 1.0
        step *= w.dtype.type(ratio * learning_rate)
        w -= step

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
