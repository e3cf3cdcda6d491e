"""Embedding: integer indices (word ids) to dense vectors, the first layer of a text model."""

from __future__ import annotations

import warnings
from typing import Any

from numeras import initializers
from numeras.autodiff import Tensor
from numeras.autodiff.ops import constant, matmul, multiply
from numeras.autodiff.ops.gather import take_rows
from numeras.backend import xp
from numeras.layers.core import _serialize_regularizer
from numeras.layers.layer import Layer, _get_regularizer


class Embedding(Layer):
    """Looks up row ``i`` of the ``embeddings`` matrix (input_dim x output_dim) for each index ``i``.

    Inputs are non-negative integers below ``input_dim`` (floats holding whole numbers are
    accepted, as Keras casts them). With ``mask_zero=True`` index 0 is padding:
    ``compute_mask`` returns ``inputs != 0`` for the layers that follow. ``lora_rank`` freezes
    ``embeddings`` and trains a low-rank update ``lora_embeddings_a @ lora_embeddings_b``
    (scaled by ``lora_alpha / lora_rank``) instead, as Keras 3.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"Embedding: `{name}` must be a positive integer, received {name}={value!r} "
                    f"(of type {type(value).__name__})."
                )
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            # Keras 2's argument; Keras 3 warns and ignores it (the sequence length comes from the input).
            warnings.warn(
                "Embedding: argument `input_length` is deprecated and ignored (the output's length "
                "follows the input's). Just remove it.",
                UserWarning,
                stacklevel=2,
            )
        if quantization_config is not None:
            raise NotImplementedError(
                "Embedding: quantization is not supported by numeras; pass quantization_config=None."
            )
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = _get_regularizer(embeddings_regularizer)
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        # Indices must not be cast to the layer's float dtype on the way in.
        self.autocast = False
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        self._embeddings: Any = None
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape: Any = None) -> None:
        if self._embeddings is not None:
            return
        self._embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            trainable=True,
        )
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, self.lora_alpha)

    @property
    def embeddings(self) -> Any:
        """The lookup table: the ``embeddings`` weight, plus the scaled LoRA update when enabled."""
        if self._embeddings is None:
            raise AttributeError(
                f"Embedding '{self.name}': the layer is not built yet, so `embeddings` does not "
                "exist. Call the layer on data or call build() first."
            )
        if not self.lora_enabled:
            return self._embeddings
        delta = matmul(self.lora_embeddings_a, self.lora_embeddings_b)
        return self._embeddings + multiply(delta, self.lora_alpha / self.lora_rank)

    def enable_lora(
        self,
        rank: int,
        lora_alpha: float | None = None,
        a_initializer: Any = "he_uniform",
        b_initializer: Any = "zeros",
    ) -> None:
        """Freeze ``embeddings`` and train ``lora_embeddings_a`` (input_dim x rank) and
        ``lora_embeddings_b`` (rank x output_dim) instead."""
        if self.embeddings_constraint:
            raise ValueError(
                "Embedding: LoRA is incompatible with embedding constraints. To enable LoRA on "
                "this layer, remove the `embeddings_constraint` argument."
            )
        if self._embeddings is None:
            raise ValueError("Embedding: cannot enable LoRA on a layer that isn't built yet; build it first.")
        if self.lora_enabled:
            raise ValueError("Embedding: LoRA is already enabled; it can only be enabled once per layer.")
        self.lora_embeddings_a = self.add_weight(
            name="lora_embeddings_a",
            shape=(self.input_dim, rank),
            initializer=initializers.get(a_initializer),
            regularizer=self.embeddings_regularizer,
        )
        self.lora_embeddings_b = self.add_weight(
            name="lora_embeddings_b",
            shape=(rank, self.output_dim),
            initializer=initializers.get(b_initializer),
            regularizer=self.embeddings_regularizer,
        )
        self._embeddings.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def call(self, inputs: Any) -> Tensor:
        indices = self._checked_indices(inputs)
        return take_rows(self.embeddings, indices)

    def _checked_indices(self, inputs: Any) -> Any:
        """The inputs as an integer array, after checking every index lies in [0, input_dim)."""
        values = inputs.data if isinstance(inputs, Tensor) else xp.asarray(inputs)
        kind = values.dtype.kind
        if kind == "f":
            if values.size and not bool(xp.all(values == xp.floor(values))):
                bad = values[values != xp.floor(values)].reshape(-1)[:5]
                raise ValueError(
                    f"Embedding '{self.name}': inputs must be integer indices, received floats with "
                    f"fractional parts (e.g. {bad.tolist()}). Pass integer word ids (e.g. the output "
                    "of TextVectorization or StringLookup), or round/cast them first."
                )
            values = values.astype(xp.int64)
        elif kind == "b":
            values = values.astype(xp.int64)
        elif kind not in "iu":
            raise TypeError(
                f"Embedding '{self.name}': inputs must be integer indices, received dtype "
                f"{values.dtype}. Turn strings into indices first (TextVectorization or StringLookup)."
            )
        if values.size:
            low, high = int(values.min()), int(values.max())
            if low < 0 or high >= self.input_dim:
                offending = low if low < 0 else high
                raise ValueError(
                    f"Embedding '{self.name}': every index must lie in [0, input_dim={self.input_dim}), "
                    f"received {offending}. Raise `input_dim` to the vocabulary size (the largest "
                    "index + 1), or map out-of-vocabulary ids to a valid index."
                )
        return values

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """``inputs != 0`` when ``mask_zero`` (index 0 is padding), otherwise None."""
        if not self.mask_zero:
            return None
        values = inputs.data if isinstance(inputs, Tensor) else xp.asarray(inputs)
        return constant(values != 0)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": _serialize_regularizer(self.embeddings_regularizer),
            "activity_regularizer": _serialize_regularizer(self.activity_regularizer),
            "embeddings_constraint": None,
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config
