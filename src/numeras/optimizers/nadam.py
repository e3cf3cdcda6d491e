"""Nadam: Adam with Nesterov momentum."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.base_optimizer import Optimizer


class Nadam(Optimizer):
    """Nadam (Dozat, 2015), as Keras 3 computes it. With ``t`` = ``iterations + 1`` and the
    momentum schedule ``mu(t) = beta_1 * (1 - 0.5 * 0.96**t)``, once per update the product
    ``u_product *= mu(t)`` (starting at 1), then for each variable::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        m_hat = mu(t+1) * m / (1 - u_product * mu(t+1)) + (1 - mu(t)) * g / (1 - u_product)
        v_hat = v / (1 - beta_2**t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001.
        beta_1: decay rate of the first moment. Defaults to 0.9.
        beta_2: decay rate of the second moment. Defaults to 0.999.
        epsilon: added to ``sqrt(v_hat)``. Defaults to 1e-7.
        Other arguments: see :class:`Optimizer`.
    """

    _num_scratch = 2

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = backend.epsilon() if epsilon is None else epsilon

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        var_list = list(var_list)
        dtype = var_list[0].dtype if var_list else backend.floatx()
        super().build(var_list)
        # Created per variable in Keras's order, so saved optimizer states match Keras files.
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        # Saved with the other state (last, as in Keras) so training resumes exactly. Keras makes
        # it a bare Variable, so its name and path are both "variable", not "nadam/...".
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype, name="variable")
        self._u_product.path = "variable"

    def _momentum_schedule(self, t: int) -> float:
        return float(self.beta_1) * (1.0 - 0.5 * 0.96**t)

    def _backend_update_step(self, grads: list, variables: list, learning_rate: float) -> None:
        t = self._current_step() + 1
        self._u_product.data[...] = float(self._u_product.data) * self._momentum_schedule(t)
        super()._backend_update_step(grads, variables, learning_rate)

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        scratch, denominator = self._scratch[index]
        beta_1 = float(self.beta_1)
        beta_2 = float(self.beta_2)
        t = self._current_step() + 1
        u_t = self._momentum_schedule(t)
        u_t_1 = self._momentum_schedule(t + 1)
        u_product_t = float(self._u_product.data)
        u_product_t_1 = u_product_t * u_t_1
        w = variable.data
        m = self._momentums[index].data
        v = self._velocities[index].data

        xp.subtract(gradient, m, out=scratch)
        xp.multiply(scratch, 1.0 - beta_1, out=scratch)
        xp.add(m, scratch, out=m)
        xp.square(gradient, out=scratch)
        xp.subtract(scratch, v, out=scratch)
        xp.multiply(scratch, 1.0 - beta_2, out=scratch)
        xp.add(v, scratch, out=v)
        # scratch <- m_hat
        xp.multiply(m, u_t_1 / (1.0 - u_product_t_1), out=scratch)
        xp.multiply(gradient, (1.0 - u_t) / (1.0 - u_product_t), out=denominator)
        xp.add(scratch, denominator, out=scratch)
        # denominator <- sqrt(v_hat) + epsilon
        xp.divide(v, 1.0 - beta_2**t, out=denominator)
        xp.sqrt(denominator, out=denominator)
        xp.add(denominator, float(self.epsilon), out=denominator)
        xp.multiply(scratch, learning_rate, out=scratch)
        xp.divide(scratch, denominator, out=scratch)
        xp.subtract(w, scratch, out=w)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
