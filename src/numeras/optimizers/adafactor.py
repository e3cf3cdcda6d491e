"""Adafactor (Shazeer & Stern, 2018): Adam-like steps with a factored second moment, as Keras 3
computes it."""

from __future__ import annotations

import math
from typing import Any

from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.base_optimizer import Optimizer


def _rms(x) -> float:
    return math.sqrt(float(xp.mean(xp.square(x))))


class Adafactor(Optimizer):
    """Adafactor: for a matrix it keeps only the row and column means of the squared gradient
    (``r`` and ``c``), not one value per weight, so its state is sublinear in memory. With
    t = iterations + 1::

        rho = min(learning_rate, 1 / sqrt(t))        (the rate itself is capped the same way
                                                      when ``relative_step`` and it is a float)
        alpha = max(epsilon_2, rms(w)) * rho
        G = g**2 + epsilon_1,   beta = 1 - t**beta_2_decay
        rank >= 2:  r = beta r + (1 - beta) mean(G, -1);  c = beta c + (1 - beta) mean(G, -2)
                    v = (r / mean(r, -1))[..., None] * c[..., None, :]
        rank < 2:   v = beta v + (1 - beta) G
        u = g / sqrt(v);   w = w - alpha * u / max(1, rms(u) / clip_threshold)

    Variable names are Keras's: ``r`` and ``c`` are named after the weight itself, and the
    (unused) ``r``/``c`` of a vector or scalar weight are scalars outside the optimizer's path.

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001.
        beta_2_decay: the decay exponent of the second moment. Defaults to -0.8.
        epsilon_1: added to the squared gradient. Defaults to 1e-30.
        epsilon_2: lower bound of the weights' rms in the step size. Defaults to 1e-3.
        clip_threshold: the rms above which the update is scaled down. Defaults to 1.0.
        relative_step: cap a float learning rate at 1 / sqrt(t). Defaults to True.
        Other arguments: see :class:`Optimizer`.
    """

    _num_scratch = 2

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
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
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        self._r: list = []
        self._c: list = []
        self._v: list = []
        for var in var_list:
            var_name = str(getattr(var, "name", "variable"))
            shape = tuple(var.shape)
            if len(shape) < 2:
                # Keras creates these as plain int scalars named after the weight, outside the
                # optimizer's path; they are kept (and saved) so optimizer files line up.
                for slots in (self._r, self._c):
                    placeholder = self.add_variable((), initializer="zeros", dtype="int32", name=var_name)
                    placeholder.path = var_name
                    slots.append(placeholder)
            else:
                self._r.append(self.add_variable(shape[:-1], dtype=var.dtype, name=var_name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype, name=var_name))
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        update, square = self._scratch[index]
        w = variable.data
        t = float(self._current_step() + 1)
        lr = float(learning_rate)
        if not callable(self._learning_rate) and self.relative_step:
            lr = min(lr, 1.0 / math.sqrt(t))
        rho = min(lr, 1.0 / math.sqrt(t))
        alpha = max(float(self.epsilon_2), _rms(w)) * rho
        beta = 1.0 - t ** float(self.beta_2_decay)
        v = self._v[index].data
        xp.square(gradient, out=square)
        square += w.dtype.type(self.epsilon_1)
        if w.ndim >= 2:
            r = self._r[index].data
            c = self._c[index].data
            r[...] = beta * r + (1.0 - beta) * square.mean(axis=-1)
            c[...] = beta * c + (1.0 - beta) * square.mean(axis=-2)
            xp.multiply((r / r.mean(axis=-1, keepdims=True))[..., None], c[..., None, :], out=v)
        else:
            v *= beta
            square *= 1.0 - beta
            v += square
        xp.sqrt(v, out=update)
        xp.divide(gradient, update, out=update)
        update *= w.dtype.type(alpha / max(1.0, _rms(update) / float(self.clip_threshold)))
        w -= update

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step,
            }
        )
        return config


