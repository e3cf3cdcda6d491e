"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from typing import Any

from numeras.optimizers.adam import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as Keras 3's ``AdamW``.

    Before each Adam update, ``w = w - w * weight_decay * learning_rate``; the decay never
    passes through the moment estimates. Exempt variables (biases, normalisation scales) with
    ``optimizer.exclude_from_weight_decay(var_names=["bias"])``.

    Args:
        learning_rate: float, schedule or callable; defaults to 0.001.
        weight_decay: the decay rate. Defaults to 0.004; must not be None.
        beta_1, beta_2, epsilon, amsgrad: as :class:`Adam`.
        Other arguments: see :class:`Optimizer`.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float | None = 1e-7,
        amsgrad: bool = False,
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
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
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
        if self.weight_decay is None:
            raise ValueError(
                "AdamW: argument `weight_decay` must be a float, received weight_decay=None. For Adam "
                "without weight decay use keras.optimizers.Adam."
            )
