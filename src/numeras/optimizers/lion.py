"""Lion ("EvoLved Sign Momentum", Chen et al., 2023), as Keras 3 computes it."""

from __future__ import annotations

from typing import Any

from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.base_optimizer import Optimizer


class Lion(Optimizer):
    """Lion: every step moves each weight by exactly ``learning_rate`` in the direction of the
    sign of an interpolated momentum::

        w = w - learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    Its updates are larger than Adam's, so it wants a 3-10x smaller learning rate.

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001.
        beta_1: interpolation factor of the update, in (0, 1]. Defaults to 0.9.
        beta_2: decay rate of the momentum. Defaults to 0.99.
        Other arguments: see :class:`Optimizer`.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
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
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Lion: argument `beta_1` must be in the (0, 1] range; otherwise the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}."
            )

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        (direction,) = self._scratch[index]
        w = variable.data
        m = self._momentums[index].data
        beta_1 = w.dtype.type(self.beta_1)
        beta_2 = w.dtype.type(self.beta_2)
        xp.multiply(m, beta_1, out=direction)
        direction += gradient * (1 - beta_1)
        xp.sign(direction, out=direction)
        direction *= w.dtype.type(learning_rate)
        xp.subtract(w, direction, out=w)
        m *= beta_2
        m += gradient * (1 - beta_2)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
