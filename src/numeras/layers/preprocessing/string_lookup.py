"""``StringLookup``: strings to vocabulary indices (or one-hot/multi-hot/count/TF-IDF vectors)."""

from __future__ import annotations

from typing import Any

from numeras.layers.preprocessing.index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary, as Keras 3's ``StringLookup``.

    Index layout (``output_mode="int"``): ``mask_token`` at 0 when set, then
    ``num_oov_indices`` indices for out-of-vocabulary strings (hashed among them with FarmHash
    when there are several), then the vocabulary. ``invert=True`` maps indices back to strings.
    The vocabulary comes from ``vocabulary=`` (a list or a file with one token per line) or
    from ``adapt(data)``, which keeps the ``max_tokens`` most frequent strings.
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            name=name,
            vocabulary_dtype="string",
            salt=salt,
            **kwargs,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        # There is only one vocabulary dtype for strings, so Keras does not expose it.
        del config["vocabulary_dtype"]
        return {**config, "encoding": self.encoding}
