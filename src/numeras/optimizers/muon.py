"""Muon (Jordan et al., 2024): momentum orthogonalized by Newton-Schulz iterations for matrices,
AdamW for everything else, as Keras 3 computes it."""

from __future__ import annotations

import math
import re
from typing import Any

from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.base_optimizer import Optimizer


class Muon(Optimizer):
    """Muon. A 2-D weight (not an embedding, not matched by ``exclude_layers``) is updated with
    its momentum made nearly orthogonal::

        m = momentum * m + g
        d = g + momentum * m  (nesterov)  or  m
        O = newton_schulz5(d, ns_steps)            (≈ U V^T of the SVD of d)
        w = w - learning_rate * O * sqrt(max(rows, cols)) * rms_rate

    Every other weight gets an AdamW step with ``learning_rate * adam_lr_ratio``,
    ``adam_beta_1``, ``adam_beta_2`` and ``epsilon``. Weight decay uses ``weight_decay`` for the
    Muon weights and ``adam_weight_decay`` for the others.

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001.
        adam_beta_1, adam_beta_2: Adam's decay rates (0.9, 0.999).
        adam_weight_decay: decoupled weight decay of the Adam weights (0.004).
        epsilon: Adam's epsilon (1e-7).
        weight_decay: decoupled weight decay of the Muon weights (0.004).
        exclude_layers: regular expressions; weights whose path matches one use Adam.
        exclude_embeddings: weights whose path contains "embedding" use Adam (default True).
        muon_a, muon_b, muon_c: the quintic Newton-Schulz coefficients.
        adam_lr_ratio: the Adam weights' rate relative to ``learning_rate`` (1).
        momentum: Muon's momentum (0.95).
        ns_steps: Newton-Schulz iterations (5).
        nesterov: use Nesterov momentum (True).
        rms_rate: scale making Muon's update rms match Adam's (0.2); None disables it.
        Other arguments: see :class:`Optimizer`.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float | None = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        exclude_layers: list[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
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
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable: Any) -> bool:
        if len(variable.shape) != 2:
            return True
        path = str(getattr(variable, "path", None) or getattr(variable, "name", ""))
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list: Any) -> None:
        if self.built:
            return
        super().build(var_list)
        var_list = list(var_list)
        self.momentums: list = [None] * len(var_list)
        self.adam_velocities: list = [None] * len(var_list)
        for index, var in enumerate(var_list):
            self.momentums[index] = self.add_variable_from_reference(var, "momentum")
            if self._should_use_adamw(var):
                self.adam_velocities[index] = self.add_variable_from_reference(var, "velocity")

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        index = self._var_index[id(variable)]
        m = self.momentums[index].data
        v = self.adam_velocities[index]
        if v is not None:
            self._adamw_update_step(gradient, variable.data, learning_rate * self.adam_lr_ratio, m, v.data)
        else:
            self._muon_update_step(gradient, variable.data, learning_rate, m)

    def _muon_update_step(self, gradient, w, learning_rate: float, m) -> None:
        momentum = w.dtype.type(self.momentum)
        m *= momentum
        m += gradient
        direction = gradient + momentum * m if self.nesterov else m
        update = self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        scale = learning_rate
        if self.rms_rate is not None:
            scale *= math.sqrt(max(w.shape[0], w.shape[1])) * float(self.rms_rate)
        w -= update * w.dtype.type(scale)

    def _adamw_update_step(self, gradient, w, learning_rate: float, m, v) -> None:
        beta_1, beta_2 = float(self.adam_beta_1), float(self.adam_beta_2)
        t = self._current_step() + 1
        alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m += (gradient - m) * w.dtype.type(1 - beta_1)
        v += (xp.square(gradient) - v) * w.dtype.type(1 - beta_2)
        w -= (m * w.dtype.type(alpha)) / (xp.sqrt(v) + w.dtype.type(self.epsilon))

    def zeropower_via_newtonschulz5(self, x, steps: int):
        """An approximate orthogonalization U S' V^T of ``x`` (last two axes) by ``steps``
        quintic Newton-Schulz iterations X <- a X + (b A + c A^2) X with A = X X^T, after
        scaling X to unit Frobenius norm; tall matrices are handled transposed."""
        if x.ndim < 2:
            raise ValueError(f"Muon: expected a gradient or momentum with at least 2 dimensions, received shape {x.shape}.")
        a, b, c = (x.dtype.type(k) for k in (self.muon_a, self.muon_b, self.muon_c))
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = xp.swapaxes(x, -1, -2)
        norm = xp.sqrt(xp.sum(xp.square(x), axis=(-2, -1), keepdims=True))
        x = x / (norm + x.dtype.type(1e-7))
        for _ in range(steps):
            gram = x @ xp.swapaxes(x, -1, -2)
            x = a * x + (b * gram + c * gram @ gram) @ x
        return xp.swapaxes(x, -1, -2) if tall else x

    def _apply_weight_decay(self, variables: list, lr: float) -> None:
        for v in variables:
            if not self._use_weight_decay(v):
                continue
            decay = self.adam_weight_decay if self._should_use_adamw(v) else self.weight_decay
            if decay is None:
                continue
            data = v.data
            data -= data * data.dtype.type(float(decay) * lr)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers,
                "muon_a": self.muon_a,
                "muon_b": self.muon_b,
                "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum,
                "ns_steps": self.ns_steps,
                "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate,
            }
        )
        return config
