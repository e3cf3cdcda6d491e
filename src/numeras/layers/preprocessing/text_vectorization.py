"""``TextVectorization``: raw strings to token indices or bag-of-words vectors, without TensorFlow.

The pipeline is Keras 3's: standardize (lowercase ASCII letters, as TensorFlow does, and/or strip
ASCII punctuation with Keras's exact character class), split (on ASCII whitespace as ``tf.strings.split``, or into characters),
form n-grams (joined by a space, all 1-grams of a text first, then 2-grams, ...), then look the
tokens up in a StringLookup whose mask token is "" (index 0) and OOV token "[UNK]" (index 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from numeras import backend
from numeras.autodiff import Tensor
from numeras.layers.layer import Layer
from numeras.layers.preprocessing.index_lookup import _is_batch_iterable, _listify, as_numpy
from numeras.layers.preprocessing.string_lookup import StringLookup

# Keras's regex: r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']' (",-\." is the range , - .).
_PUNCTUATION = re.compile(r"""[!"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']""")
# tf.strings.split with no separator splits on ASCII whitespace only (not on U+00A0 or U+001C).
_WHITESPACE = re.compile(r"[ \t\n\r\v\f]+")
# tf.strings.lower (no encoding given, as Keras calls it) lowercases ASCII letters only: "É" stays.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _check_choice(value: Any, allowed: tuple, name: str) -> None:
    if value is None or callable(value) or value in allowed:
        return
    raise ValueError(
        f"TextVectorization: unknown value for `{name}` argument. Allowed values are: {allowed}, None, "
        f"or a callable. Received: {name}={value!r}"
    )


class TextVectorization(Layer):
    """Turns strings into sequences of token indices (``output_mode="int"``) or into one
    vector per string (``"multi_hot"``, ``"count"``, ``"tf_idf"``), as Keras 3.

    Index 0 is padding (the mask token ""), index 1 the OOV token "[UNK]", then the vocabulary
    learned by ``adapt`` (most frequent first, ties by token sort order high to low) or given by
    ``vocabulary=``. In "int" mode, ``output_sequence_length`` pads with 0 or truncates each
    sequence to that length; without it the batch is padded to its longest sequence.

    Differences from Keras 3, all deliberate: calling the layer before it has a vocabulary
    raises (Keras's "int" mode silently maps every token to OOV); ``sparse`` and ``ragged``
    are refused (numeras returns dense arrays); "multi_hot"/"count" outputs are floatx (Keras
    hands over its int64 counts); for an input of shape (batch, 1) ``compute_output_shape``
    gives (batch, depth), the shape ``call`` returns (Keras reports (batch, 1, depth)).
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable | None = "lower_and_strip_punctuation",
        split: str | Callable | None = "whitespace",
        ngrams: int | tuple | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if sparse:
            raise ValueError("TextVectorization: `sparse=True` needs TensorFlow sparse tensors; numeras returns dense arrays.")
        if ragged:
            raise ValueError("TextVectorization: `ragged=True` needs TensorFlow ragged tensors; numeras pads sequences instead.")
        _check_choice(standardize, _STANDARDIZE, "standardize")
        _check_choice(split, _SPLIT, "split")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"TextVectorization: unknown value for `output_mode` argument. Allowed values are: "
                f"{_OUTPUT_MODES}. Received: output_mode={output_mode!r}"
            )
        if not (
            ngrams is None
            or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
            or (isinstance(ngrams, tuple) and all(isinstance(item, int) for item in ngrams))
        ):
            raise ValueError(f"TextVectorization: `ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or isinstance(output_sequence_length, int)):
            raise ValueError(
                "TextVectorization: `output_sequence_length` must be either None or an integer when "
                f"`output_mode` is 'int'. Received: output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "TextVectorization: `output_sequence_length` must not be set if `output_mode` is not "
                f"'int' (each string becomes one vector of length max_tokens/vocabulary_size). Received "
                f"output_mode={output_mode!r} and output_sequence_length={output_sequence_length}; "
                "remove output_sequence_length or use output_mode='int'."
            )
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        # Keras's config says float32 whatever the output: the output dtype is `dtype` below.
        super().__init__(name=name, **kwargs)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            has_input_vocabulary=self._has_input_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )
        self.built = True

    @property
    def dtype(self) -> str:
        """The dtype of the outputs: int64 token indices, or floats for one vector per string."""
        return "int64" if self._output_mode == "int" else backend.floatx()

    # -- vocabulary --------------------------------------------------------------------
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Build the vocabulary from ``data``: a list or array of strings, or any iterable of
        batches of strings (``steps`` caps the number of batches read)."""
        self.reset_state()
        if _is_batch_iterable(data):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        else:
            array = as_numpy(data)
            if batch_size is not None and array.ndim:
                for start in range(0, len(array), batch_size):
                    self.update_state(array[start:start + batch_size])
            else:
                self.update_state(array)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        self._lookup_layer.update_state(self._preprocess(data))

    def finalize_state(self) -> None:
        self._lookup_layer.finalize_state()

    def reset_state(self) -> None:
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order ("" and "[UNK]" first unless include_special_tokens=False)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The number of indices, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (a list/array of tokens or a file path) and, for 'tf_idf', its IDF weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    @property
    def idf_weights(self) -> Any:
        return self._lookup_layer.idf_weights

    # -- the pipeline ------------------------------------------------------------------
    def _preprocess(self, inputs: Any) -> Any:
        """Standardized strings, then (when ``split``) one list of tokens (n-grams) per string."""
        strings = as_numpy(inputs)
        if strings.dtype.kind != "U":
            strings = strings.astype(str)
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            strings = np.char.translate(strings, _ASCII_LOWER)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            strings = np.asarray([_PUNCTUATION.sub("", s) for s in strings.reshape(-1).tolist()], dtype=str).reshape(strings.shape)
        if callable(self._standardize):
            strings = as_numpy(self._standardize(strings))
        if self._split is None:
            return strings
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must be 1 or "
                    f"the last shape dimension must be 1. Received: inputs.shape={strings.shape} with "
                    f"rank={strings.ndim}"
                )
            strings = strings[..., 0]
        if strings.ndim == 0:
            strings = strings.reshape(1)
        if self._split == "whitespace":
            documents = [[t for t in _WHITESPACE.split(s) if t] for s in strings.tolist()]
        elif self._split == "character":
            documents = [list(s) for s in strings.tolist()]
        else:
            documents = [[t.decode() if isinstance(t, bytes) else str(t) for t in doc] for doc in self._split(strings)]
        if self._ngrams is not None:
            documents = [_ngrams(doc, self._ngrams) for doc in documents]
        return documents

    def call(self, inputs: Any) -> Tensor:
        lookup = self._lookup_layer
        if lookup._tokens is None:
            raise RuntimeError(
                f"TextVectorization '{self.name}': the layer has no vocabulary yet. Call "
                "`layer.adapt(texts)` on sample data, or pass `vocabulary=` (a list of tokens or a "
                "file path) before calling it."
            )
        processed = self._preprocess(inputs)
        lookup._called = True
        if self._split is None:
            indices = lookup.lookup(processed)
            if self._output_mode != "int":
                # As Keras: the last axis is reduced, so a 1-D batch gives one vector in all.
                return Tensor(lookup._encode(indices))
            return Tensor(self._fit_length(indices))
        lengths = [len(doc) for doc in processed]
        flat = [t for doc in processed for t in doc]
        flat_indices = lookup.lookup(np.asarray(flat, dtype=str)) if flat else np.zeros(0, dtype=np.int64)
        if self._output_mode == "int":
            width = self._output_sequence_length
            if width is None:
                width = max(lengths, default=0)
            out = np.zeros((len(processed), width), dtype=np.int64)
            # Each token's row and position in its sequence; tokens past `width` are dropped.
            rows = np.repeat(np.arange(len(processed)), lengths)
            starts = np.cumsum(lengths) - np.asarray(lengths, dtype=np.int64)
            positions = np.arange(len(flat)) - np.repeat(starts, lengths)
            kept = positions < width
            out[rows[kept], positions[kept]] = flat_indices[kept]
            return Tensor(out)
        return Tensor(self._bag_of_tokens(flat_indices, lengths))

    def _bag_of_tokens(self, flat_indices: np.ndarray, lengths: list) -> np.ndarray:
        """One vector per document (multi_hot / count / tf_idf) from the concatenated indices."""
        lookup = self._lookup_layer
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        rows = np.repeat(np.arange(len(lengths)), lengths)
        valid = (flat_indices >= 0) & (flat_indices < depth)
        counts = np.bincount((rows * depth + flat_indices)[valid], minlength=len(lengths) * depth)
        counts = counts.reshape(len(lengths), depth)
        if self._output_mode in ("multi_hot", "one_hot"):
            counts = counts > 0
        out = counts.astype(backend.floatx())
        if self._output_mode == "tf_idf":
            out *= lookup.idf_weights
        return out

    def _fit_length(self, indices: np.ndarray) -> np.ndarray:
        width = self._output_sequence_length
        if width is None:
            return indices
        if indices.ndim == 0:
            indices = indices.reshape(1)
        kept = indices[..., :width]
        pad = width - kept.shape[-1]
        if pad > 0:
            kept = np.pad(kept, [(0, 0)] * (kept.ndim - 1) + [(0, pad)])
        return kept

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = (*input_shape, 1)
        else:
            # The strings' trailing axis of 1 is squeezed before splitting (Keras's call does
            # this too, though its compute_output_shape reports (batch, 1, depth)).
            if len(input_shape) > 1 and input_shape[-1] == 1:
                input_shape = input_shape[:-1]
            input_shape = (*input_shape, None)
        return self._lookup_layer.compute_output_shape(input_shape)

    # -- saving hooks, under Keras 3's names: the vocabulary lives with the lookup table ------
    def save_own_variables(self, store: Any) -> None:
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store: Any) -> None:
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path: str) -> None:
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str) -> None:
        self._lookup_layer.load_assets(dir_path)

    def _convert_inputs(self, inputs: Any) -> Any:
        # Strings pass through untouched.
        return inputs

    def get_config(self) -> dict:
        lookup = self._lookup_layer
        return {
            **super().get_config(),
            "max_tokens": lookup.max_tokens,
            "standardize": self._standardize,
            "split": self._split,
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": lookup.sparse,
            "ragged": self._ragged,
            "vocabulary": _listify(lookup.input_vocabulary),
            "idf_weights": _listify(lookup.input_idf_weights),
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        }

    @classmethod
    def from_config(cls, config: dict) -> TextVectorization:
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return super().from_config(config)


def _ngrams(tokens: list, widths: tuple) -> list:
    """All n-grams of ``tokens`` for each width in ``widths`` (in that order), space-joined."""
    out: list = []
    for width in widths:
        out.extend(" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
    return out
