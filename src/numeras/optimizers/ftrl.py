"""FTRL-Proximal ("Follow The Regularized Leader", McMahan et al., 2013), as Keras 3 computes it."""

from __future__ import annotations

from typing import Any

from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.base_optimizer import Optimizer


class Ftrl(Optimizer):
    """FTRL-Proximal, suited to shallow models with large sparse feature spaces. Per variable,
    with ``p = -learning_rate_power`` and ``l2 = l2_regularization_strength + beta / (2 lr)``::

        g_shrunk = g + 2 * l2_shrinkage_regularization_strength * w
        n_new = n + g**2
        z = z + g_shrunk - (n_new**p - n**p) / lr * w
        w = (clip(z, -l1, l1) - z) / (n_new**p / lr + 2 * l2)
        n = n_new

    ``n`` is the ``accumulator`` slot (starting at ``initial_accumulator_value``), ``z`` the
    ``linear`` slot.

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001.
        learning_rate_power: <= 0; how the rate decays with the accumulated squared gradient
            (-0.5, the default, is Adagrad-like; 0 is a fixed rate).
        initial_accumulator_value: >= 0; the starting accumulator (default 0.1).
        l1_regularization_strength: >= 0; the L1 penalty (default 0).
        l2_regularization_strength: >= 0; the stabilization L2 penalty (default 0).
        l2_shrinkage_regularization_strength: >= 0; the magnitude L2 penalty (default 0).
        beta: the "beta" of the FTRL paper (default 0).
        Other arguments: see :class:`Optimizer`.
    """

    _num_scratch = 2

    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
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
        checks = (
            ("initial_accumulator_value", initial_accumulator_value, initial_accumulator_value < 0.0, "positive or zero"),
            ("learning_rate_power", learning_rate_power, learning_rate_power > 0.0, "negative or zero"),
            ("l1_regularization_strength", l1_regularization_strength, l1_regularization_strength < 0.0, "positive or zero"),
            ("l2_regularization_strength", l2_regularization_strength, l2_regularization_strength < 0.0, "positive or zero"),
            (
                "l2_shrinkage_regularization_strength",
                l2_shrinkage_regularization_strength,
                l2_shrinkage_regularization_strength < 0.0,
                "positive or zero",
            ),
        )
        for argument, value, invalid, expected in checks:
            if invalid:
                raise ValueError(f"Ftrl: `{argument}` needs to be {expected}. Received: {argument}={value}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list, ["accumulator", "linear"], initializer=[float(self.initial_accumulator_value), "zeros"]
        )

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        new_power, old_power = self._scratch[index]
        w = variable.data
        accumulator = self._accumulators[index].data
        linear = self._linears[index].data
        lr = w.dtype.type(learning_rate)
        power = -float(self.learning_rate_power)
        l1 = float(self.l1_regularization_strength)
        l2 = float(self.l2_regularization_strength) + float(self.beta) / (2.0 * lr)

        xp.power(accumulator, power, out=old_power)
        xp.square(gradient, out=new_power)
        xp.add(accumulator, new_power, out=accumulator)  # accumulator <- n_new
        xp.power(accumulator, power, out=new_power)
        # linear += g + 2 * shrinkage * w - (n_new**p - n**p) / lr * w
        xp.subtract(new_power, old_power, out=old_power)
        xp.divide(old_power, lr, out=old_power)
        xp.multiply(old_power, w, out=old_power)
        xp.subtract(gradient, old_power, out=old_power)
        shrinkage = float(self.l2_shrinkage_regularization_strength)
        if shrinkage:
            old_power += (2 * shrinkage) * w
        xp.add(linear, old_power, out=linear)
        # w = (clip(linear, -l1, l1) - linear) / (n_new**p / lr + 2 * l2)
        xp.divide(new_power, lr, out=new_power)
        xp.add(new_power, 2 * l2, out=new_power)
        xp.clip(linear, -l1, l1, out=old_power)
        xp.subtract(old_power, linear, out=old_power)
        xp.divide(old_power, new_power, out=w)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta,
            }
        )
        return config
