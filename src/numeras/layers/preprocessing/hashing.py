"""``Hashing``: strings or integers to hash bins, with the bins Keras 3 (TensorFlow) gives."""

from __future__ import annotations

from typing import Any

import numpy as np

from numeras import backend
from numeras.autodiff import Tensor
from numeras.layers.layer import Layer
from numeras.layers.preprocessing.index_lookup import as_numpy, encode_categorical, hash_to_buckets


class Hashing(Layer):
    """Hashes each value into one of ``num_bins`` bins, as Keras 3's ``Hashing``.

    Strings are hashed with FarmHash Fingerprint64 of their UTF-8 bytes (Keras's
    ``tf.strings.to_hash_bucket_fast``); with ``salt`` (an int, or a pair of ints) with keyed
    SipHash-2-4 (``to_hash_bucket_strong``). Integers are hashed as their decimal text, floats
    after truncation to integers. With ``mask_value``, that value goes to bin 0 and the others
    to bins 1..num_bins-1. Both hashes are implemented in numeras (no TensorFlow) and give
    TensorFlow's bins: the tests compare against bins recorded from TensorFlow 2.21.
    """

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: Any = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                f"The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or 'int64'. "
                f"Received: dtype={kwargs['dtype']}"
            )
        accepted = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in accepted:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {accepted}. Received: output_mode={output_mode}")
        if sparse:
            raise ValueError("Hashing: `sparse=True` needs sparse tensors; numeras returns dense arrays.")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 integers, or a "
                    f"single integer. Received: salt={salt}."
                )

    def call(self, inputs: Any) -> Tensor:
        values = as_numpy(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]
        bins = self._hash_values_to_bins(values)
        if self.output_mode == "int":
            return Tensor(bins.astype(self.dtype))
        return Tensor(encode_categorical(bins, self.output_mode, self.num_bins, self.dtype))

    def _hash_values_to_bins(self, values: np.ndarray) -> np.ndarray:
        num_bins = self.num_bins
        mask = None
        if self.mask_value is not None and num_bins > 1:
            num_bins -= 1
            mask = values == self.mask_value
        if values.dtype.kind == "f":
            values = values.astype(np.int64)
        bins = hash_to_buckets(values, num_bins, self.salt)
        if mask is not None:
            bins = np.where(mask, 0, bins + 1)
        return bins

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if len(input_shape) == 0:
            return (self.num_bins,)
        return (*input_shape[:-1], self.num_bins)

    def _convert_inputs(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
