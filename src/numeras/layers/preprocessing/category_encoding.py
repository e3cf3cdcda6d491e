"""``CategoryEncoding``: integer category ids to one-hot, multi-hot or count vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from numeras.autodiff import Tensor
from numeras.layers.layer import Layer
from numeras.layers.preprocessing.index_lookup import as_numpy, encode_categorical


class CategoryEncoding(Layer):
    """Encodes integer ids in [0, num_tokens) as Keras 3's ``CategoryEncoding``.

    ``"one_hot"`` gives one vector per id (a trailing axis of 1 is replaced), ``"multi_hot"``
    and ``"count"`` one vector per sample (the last axis is reduced); ``count_weights`` (same
    shape as the inputs) weights each id's count.
    """

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(
                "CategoryEncoding: `output_mode` must be one of 'count', 'one_hot', 'multi_hot'. "
                f"Received: output_mode={output_mode!r}"
            )
        if num_tokens is None:
            raise ValueError(
                "CategoryEncoding: num_tokens must be set to use this layer. If the number of tokens "
                "is not known beforehand, use the IntegerLookup layer instead."
            )
        if num_tokens < 1:
            raise ValueError(f"CategoryEncoding: `num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("CategoryEncoding: `sparse=True` needs sparse tensors; numeras returns dense arrays.")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs: Any, count_weights: Any = None) -> Tensor:
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                "CategoryEncoding: `count_weights` is not used when `output_mode` is not 'count'. "
                f"Received count_weights={count_weights}."
            )
        values = as_numpy(inputs)
        if values.dtype.kind == "f":
            if values.size and not bool(np.all(values == np.floor(values))):
                raise ValueError(f"CategoryEncoding '{self.name}': inputs must be integer ids, received fractional values.")
            values = values.astype(np.int64)
        elif values.dtype.kind not in "iub":
            raise TypeError(f"CategoryEncoding '{self.name}': inputs must be integer ids, received dtype {values.dtype}.")
        if values.size and (values.min() < 0 or values.max() >= self.num_tokens):
            raise ValueError(
                f"CategoryEncoding '{self.name}': input values must be in the range 0 <= values < "
                f"num_tokens with num_tokens={self.num_tokens}; received values in "
                f"[{values.min()}, {values.max()}]. Raise num_tokens or remap the ids."
            )
        weights = None if count_weights is None else as_numpy(count_weights)
        dtype = self.dtype if weights is None else self.dtype
        return Tensor(encode_categorical(values.astype(np.int64), self.output_mode, self.num_tokens, dtype, weights))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if input_shape[-1] != 1 or len(input_shape) == 1:
                return (*input_shape, self.num_tokens)
            return (*input_shape[:-1], self.num_tokens)
        return (*input_shape[:-1], self.num_tokens)

    def _convert_inputs(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}
