"""``IndexLookup``: the vocabulary table behind StringLookup, IntegerLookup and TextVectorization.

Keras 3 keeps the table in TensorFlow hash tables; here it is a sorted NumPy array of the
vocabulary's tokens with their indices, looked up with one ``np.searchsorted`` per call. The
layout of the indices follows Keras exactly: in ``output_mode="int"`` the mask token (if any)
takes index 0, then ``num_oov_indices`` OOV indices, then the learned tokens, most frequent
first, ties broken by the token's sort order *high to low* (Keras sorts with
``np.lexsort((tokens, counts))[::-1]``). In the other output modes the mask token has no index:
masked positions count nowhere.
"""

from __future__ import annotations

import collections
import os
from typing import Any

import numpy as np

from numeras import backend
from numeras.autodiff import Tensor
from numeras.layers.layer import Layer
from numeras.layers.preprocessing import _string_hash

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def as_numpy(inputs: Any) -> np.ndarray:
    """A Tensor, array, list or scalar as a NumPy array (bytes decoded to str, objects as str)."""
    if isinstance(inputs, Tensor):
        inputs = inputs.data
    array = np.asarray(inputs)
    if array.dtype.kind == "S":
        array = np.char.decode(array, "utf-8")
    elif array.dtype.kind == "O":
        array = np.asarray(
            [v.decode("utf-8") if isinstance(v, bytes) else v for v in array.reshape(-1)]
        ).reshape(array.shape)
    return array


def encode_categorical(indices: np.ndarray, output_mode: str, depth: int, dtype: str, count_weights: Any = None) -> np.ndarray:
    """``indices`` (integers; any outside [0, depth) count nowhere) as Keras's one-hot, multi-hot
    or count vectors of length ``depth``.

    one_hot adds an axis (a trailing axis of 1 is replaced); multi_hot and count reduce the last
    axis, so (batch, tokens) becomes (batch, depth) and (tokens,) becomes (depth,).
    """
    if indices.ndim == 0:
        indices = indices.reshape(1)
    valid = (indices >= 0) & (indices < depth)
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices, valid = indices[..., 0], valid[..., 0]
        out = np.zeros((*indices.shape, depth), dtype=dtype)
        flat = out.reshape(-1, depth)
        rows = np.flatnonzero(valid.reshape(-1))
        flat[rows, indices.reshape(-1)[rows]] = 1
        return out
    if indices.ndim > 2:
        raise ValueError(
            f"When output_mode is '{output_mode}', the input must have rank 1 or 2 (its last axis is "
            f"counted into a vector of length {depth}); received shape {indices.shape}."
        )
    lead_shape = indices.shape[:-1]
    num_rows = int(np.prod(lead_shape)) if lead_shape else 1
    row_of = np.repeat(np.arange(num_rows), indices.shape[-1]).reshape(indices.shape)
    flat_bins = (row_of * depth + np.where(valid, indices, 0))[valid]
    weights = None
    if count_weights is not None and output_mode == "count":
        weights = np.broadcast_to(np.asarray(count_weights), indices.shape)[valid]
    counts = np.bincount(flat_bins, weights=weights, minlength=num_rows * depth)
    if output_mode == "multi_hot":
        counts = counts > 0
    return counts.astype(dtype).reshape((*lead_shape, depth))


class IndexLookup(Layer):
    """Maps tokens to integer indices through a vocabulary (learned by ``adapt`` or given), and
    optionally encodes them as one-hot / multi-hot / count / TF-IDF vectors, or inverts indices
    back to tokens. See StringLookup and IntegerLookup for the arguments."""

    _vocabulary_dtype = "string"

    def __init__(
        self,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary_dtype: str,
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        cls_name = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{cls_name}: if set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{cls_name}: if pad_to_max_tokens is True, `max_tokens` must be set. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"{cls_name}: `num_oov_indices` must be >= 0. Received: num_oov_indices={num_oov_indices}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{cls_name}: `oov_method` must be 'floormod' or 'farmhash'. Received: oov_method={oov_method!r}")
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(f"{cls_name}: `salt` can only be used when `oov_method='farmhash'`. Received: oov_method={oov_method}")
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(f"{cls_name}: `salt` must be a tuple of 2 integers or a single integer. Received: salt={salt}.")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(f"{cls_name}: `output_mode` must be one of {_OUTPUT_MODES}. Received: output_mode={output_mode!r}")
        if invert and output_mode != "int":
            raise ValueError(f"{cls_name}: `output_mode` must be 'int' when `invert` is true. Received: output_mode={output_mode}")
        if sparse:
            raise ValueError(f"{cls_name}: `sparse=True` needs TensorFlow sparse tensors; numeras returns dense arrays. Pass sparse=False.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{cls_name}: `idf_weights` should only be set if `output_mode` is 'tf_idf'. "
                f"Received: idf_weights={idf_weights} and output_mode={output_mode}"
            )
        frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"{cls_name}: unrecognized keyword argument(s): {kwargs}")
        # Keras's config says float32 whatever the output: the output dtype is `dtype` below.
        super().__init__(name=name)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_vocab_size
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens: np.ndarray | None = None  # learned/given tokens, in index order
        self._sorted_tokens: np.ndarray | None = None
        self._sorted_indices: np.ndarray | None = None
        self.idf_weights: np.ndarray | None = None
        self.reset_state()
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                f"{cls_name}: when specifying the `vocabulary` argument in TF-IDF output mode, the "
                "`idf_weights` argument must also be provided."
            )
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    @property
    def dtype(self) -> str:
        """The dtype of the outputs: int64 indices (tokens when inverting), floats for vectors."""
        if self.invert:
            return "string" if self.vocabulary_dtype == "string" else "int64"
        return "int64" if self.output_mode == "int" else backend.floatx()

    # -- vocabulary --------------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The number of indices: special tokens (mask in int mode, OOV) plus the vocabulary."""
        return (0 if self._tokens is None else len(self._tokens)) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary in index order (``[mask, oov..., tokens...]`` with special tokens)."""
        tokens = [] if self._tokens is None else [self._python_token(t) for t in self._tokens]
        special = [self.oov_token] * self._token_start_index()
        if self.mask_token is not None and self.output_mode == "int":
            special[0] = self.mask_token
        vocab = special + tokens
        return vocab if include_special_tokens else vocab[self._token_start_index():]

    def _python_token(self, token: Any) -> Any:
        return str(token) if self.vocabulary_dtype == "string" else int(token)

    def _as_vocabulary_array(self, values: Any) -> np.ndarray:
        array = as_numpy(values)
        if self.vocabulary_dtype == "string":
            return array.astype(str) if array.dtype.kind != "U" else array
        if array.dtype.kind not in "iu":
            raise ValueError(
                f"{type(self).__name__}: expected integer tokens (vocabulary_dtype='int64'), received "
                f"dtype {array.dtype}."
            )
        return array.astype(np.int64)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Replace the vocabulary (a list/array of tokens, or the path of a text file with one
        token per line) and, in 'tf_idf' mode, the IDF weights (one per token)."""
        cls_name = type(self).__name__
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{cls_name}: `idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                f"{cls_name}: `idf_weights` should only be set if output_mode is 'tf_idf'. "
                f"Received: output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            path = os.fspath(vocabulary)
            if not os.path.exists(path):
                raise ValueError(f"{cls_name}: vocabulary file {path} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError(f"{cls_name}: output_mode 'tf_idf' does not support loading a vocabulary from file.")
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            while lines and lines[-1] == "":
                lines.pop()
            vocabulary = lines if self.vocabulary_dtype == "string" else [int(line) for line in lines]
        vocabulary = self._as_vocabulary_array(vocabulary).reshape(-1)
        if vocabulary.size == 0:
            raise ValueError(f"{cls_name}: cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        token_start = self._token_start_index()
        special_tokens = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        found_special = len(vocabulary) >= token_start and [self._python_token(t) for t in vocabulary[:token_start]] == special_tokens
        tokens = vocabulary[token_start:] if found_special else vocabulary
        repeated = [t for t, n in collections.Counter(tokens.tolist()).items() if n > 1]
        if repeated:
            raise ValueError(
                f"{cls_name}: the passed vocabulary has at least one repeated term. Please uniquify "
                f"your dataset. The repeated terms are: {repeated}"
            )
        token_list = tokens.tolist()
        if self.mask_token is not None and self.mask_token in token_list:
            raise ValueError(
                f"{cls_name}: found reserved mask token at unexpected location in `vocabulary`. The "
                "passed vocabulary does not need to include the OOV and mask tokens: either remove "
                "all mask and OOV tokens, or include them only at the start of the vocabulary in "
                f"precisely this order: {special_tokens}. Received: mask_token={self.mask_token!r} at "
                f"vocabulary index {token_list.index(self.mask_token) + (token_start if found_special else 0)}"
            )
        if self.oov_token is not None and self.invert and self.oov_token in token_list:
            raise ValueError(
                f"{cls_name}: found reserved OOV token at unexpected location in `vocabulary`. Either "
                "remove all mask and OOV tokens, or include them only at the start of the vocabulary "
                f"in precisely this order: {special_tokens}. Received: oov_token={self.oov_token!r}"
            )
        new_size = token_start + len(tokens)
        if self.max_tokens is not None and new_size > self.max_tokens:
            raise ValueError(
                f"{cls_name}: attempted to set a vocabulary larger than the maximum vocab size. "
                f"Received vocabulary size is {new_size}; `max_tokens` is {self.max_tokens}."
            )
        self._set_tokens(tokens)
        self._record_vocabulary_size()
        if self.output_mode == "tf_idf":
            weights = np.asarray(idf_weights, dtype=backend.floatx())
            if len(vocabulary) != len(weights):
                raise ValueError(
                    f"{cls_name}: `idf_weights` must be the same length as vocabulary. "
                    f"len(idf_weights) is {len(weights)}; len(vocabulary) is {len(vocabulary)}"
                )
            if weights.ndim != 1:
                raise ValueError(f"{cls_name}: TF-IDF data must be a 1-index array. Received shape {weights.shape}")
            front = 0 if found_special else token_start
            back = self.max_tokens - front - len(weights) if self.pad_to_max_tokens else 0
            self.idf_weights = np.pad(weights, (front, back), constant_values=(np.average(weights) if front else 0, 0)).astype(backend.floatx())

    def _set_tokens(self, tokens: np.ndarray) -> None:
        self._tokens = tokens
        order = np.argsort(tokens, kind="stable")
        self._sorted_tokens = tokens[order]
        self._sorted_indices = order.astype(np.int64) + self._token_start_index()

    def _record_vocabulary_size(self) -> None:
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            size = self.vocabulary_size()
            if self._frozen_vocab_size is not None and self._frozen_vocab_size != size and self._called:
                raise RuntimeError(
                    f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, the "
                    "vocabulary size cannot be changed after the layer is called. Old vocab size is "
                    f"{self._frozen_vocab_size}, new vocab size is {size}"
                )
        self._frozen_vocab_size = self.vocabulary_size()

    # -- adapt -------------------------------------------------------------------------
    def reset_state(self) -> None:
        self._token_counts: collections.Counter = collections.Counter()
        self._document_counts: collections.Counter = collections.Counter()
        self._num_documents = 0
        if not hasattr(self, "_called"):
            self._called = False

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn the vocabulary (and, for 'tf_idf', document frequencies) from ``data``: an array
        or list of tokens, or any iterable of batches of them."""
        self.reset_state()
        if _is_batch_iterable(data):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        else:
            array = as_numpy(data)
            if array.ndim == 1:
                array = array[:, None]
            self.update_state(array)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via the "
                "`vocabulary` argument or `set_vocabulary()`."
            )
        if isinstance(data, list) and data and isinstance(data[0], list):
            # Ragged documents (TextVectorization's token lists): one document per list.
            lengths = np.asarray([len(doc) for doc in data], dtype=np.int64)
            tokens = [t for doc in data for t in doc]
            flat = self._as_vocabulary_array(tokens) if tokens else np.zeros(0, dtype=np.int64)
        else:
            array = self._as_vocabulary_array(data)
            if array.ndim == 0:
                array = array.reshape(1, 1)
            elif array.ndim == 1:
                array = array[None, :]  # one batch of tokens is one document, as in Keras
            array = array.reshape(array.shape[0], -1)
            lengths = np.full(array.shape[0], array.shape[1], dtype=np.int64)
            flat = array.reshape(-1)
        if self.output_mode == "tf_idf":
            self._num_documents += lengths.size
        if flat.size == 0:
            return
        values, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
        self._token_counts.update(dict(zip(values.tolist(), counts.tolist())))
        if self.output_mode == "tf_idf":
            # Document frequency: count each distinct (document, token) pair once.
            document_ids = np.repeat(np.arange(lengths.size), lengths)
            pairs = np.unique(document_ids * values.size + inverse.reshape(-1))
            document_frequency = np.bincount(pairs % values.size, minlength=values.size)
            self._document_counts.update(dict(zip(values.tolist(), document_frequency.tolist())))

    def finalize_state(self) -> None:
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        tokens = self._as_vocabulary_array(list(counts.keys()))
        frequencies = np.asarray(list(counts.values()), dtype=np.int64)
        # Keras: most frequent first, ties by token sort order high to low (TensorFlow sorts
        # strings by their UTF-8 bytes, which for str is the order of code points).
        order = np.lexsort((tokens, frequencies))[::-1]
        if self.max_tokens:
            order = order[: self.max_tokens - self._token_start_index()]
        tokens = tokens[order]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            document_counts = np.asarray([self._document_counts.get(t, 0) for t in tokens.tolist()], dtype=np.float64)
            idf = np.log(1 + self._num_documents / (1 + document_counts)).astype(backend.floatx())
            idf = np.pad(idf, (self._token_start_index(), 0), constant_values=np.mean(idf))
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - idf.size))
            self.idf_weights = idf.astype(backend.floatx())
        self.reset_state()
        self._record_vocabulary_size()

    # -- lookup ------------------------------------------------------------------------
    def _ensure_vocabulary(self) -> None:
        if self._tokens is None:
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}': the layer has no vocabulary yet. Either pass a "
                "`vocabulary` argument to the layer, call `set_vocabulary()`, or call `adapt()` "
                "with some sample data before calling it."
            )

    def lookup(self, values: np.ndarray) -> np.ndarray:
        """Token array -> index array (int64, same shape), with Keras's mask and OOV rules."""
        self._ensure_vocabulary()
        values = self._as_vocabulary_array(values)
        if self._sorted_tokens.size:
            position = np.searchsorted(self._sorted_tokens, values).clip(0, self._sorted_tokens.size - 1)
            found = self._sorted_tokens[position] == values
            indices = np.where(found, self._sorted_indices[position], -1)
        else:
            found = np.zeros(values.shape, dtype=bool)
            indices = np.full(values.shape, -1, dtype=np.int64)
        oov = ~found
        masked = None
        if self.mask_token is not None:
            masked = values == self.mask_token
            oov &= ~masked
            # In int mode the mask maps to 0; elsewhere to -1, which counts nowhere.
            indices = np.where(masked, 0 if self.output_mode == "int" else -1, indices)
        if oov.any():
            if self.num_oov_indices == 0:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': when `num_oov_indices=0` all inputs should "
                    f"be in vocabulary, found OOV values {np.unique(values[oov]).tolist()[:10]}; "
                    "consider setting `num_oov_indices=1`."
                )
            if self.num_oov_indices == 1:
                indices = np.where(oov, self._oov_start_index(), indices)
            else:
                buckets = self._oov_buckets(values[oov])
                indices[oov] = buckets + self._oov_start_index()
        return indices.astype(np.int64)

    def _oov_buckets(self, values: np.ndarray) -> np.ndarray:
        n = self.num_oov_indices
        if self.vocabulary_dtype != "string" and self.oov_method != "farmhash":
            return np.mod(values, n)
        return hash_to_buckets(values, n, self.salt)

    def call(self, inputs: Any) -> Any:
        self._called = True
        values = as_numpy(inputs)
        if self.invert:
            return self._invert(values)
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you must "
                "set the layer's vocabulary before calling it. Either pass a `vocabulary` argument "
                "to the layer, or call `adapt` with some sample data."
            )
        indices = self.lookup(values)
        return Tensor(self._encode(indices))

    def _encode(self, indices: np.ndarray) -> np.ndarray:
        if self.output_mode == "int":
            return indices
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode_categorical(indices, mode, depth, backend.floatx())
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError("When `output_mode` is 'tf_idf', `idf_weights` must be provided (or learned by adapt).")
            out *= self.idf_weights
        return out

    def _invert(self, indices: np.ndarray) -> np.ndarray:
        self._ensure_vocabulary()
        vocabulary = np.asarray(self.get_vocabulary(), dtype=object)
        indices = np.asarray(indices).astype(np.int64)
        inside = (indices >= 0) & (indices < vocabulary.size)
        out = np.where(inside, vocabulary[np.where(inside, indices, 0)], self.oov_token)
        if self.mask_token is not None:
            out = np.where(indices == 0, self.mask_token, out)
        return out.astype(str) if self.vocabulary_dtype == "string" else out.astype(np.int64)

    # -- saving hooks, under Keras 3's names (a .keras file keeps the vocabulary as an asset) --
    def save_own_variables(self, store: Any) -> None:
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store: Any) -> None:
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = np.asarray(store["idf_weights"], dtype=backend.floatx())

    def save_assets(self, dir_path: str) -> None:
        """Write the vocabulary (special tokens included) to ``dir_path/vocabulary.txt``."""
        if self.input_vocabulary is not None:
            return  # already in the config
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(token) for token in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path: str) -> None:
        """Read the vocabulary written by ``save_assets`` (call ``load_own_variables`` first for
        'tf_idf', whose IDF weights come with the variables)."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self.vocabulary_dtype == "string" else [int(line) for line in lines]
        self._has_input_vocabulary = False
        saved_idf = self.idf_weights
        if self.output_mode == "tf_idf":
            self.set_vocabulary(values, idf_weights=saved_idf)
            self.idf_weights = saved_idf
        else:
            self.set_vocabulary(values)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return (*input_shape[:-1], depth)
            return (*input_shape, depth)
        return (*input_shape[:-1], depth)

    def _convert_inputs(self, inputs: Any) -> Any:
        # Tokens (strings or integer ids) pass through untouched: no float casting.
        return inputs

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": _listify(self.input_idf_weights),
            "vocabulary": _listify(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }


def hash_to_buckets(values: np.ndarray, num_buckets: int, salt: Any = None) -> np.ndarray:
    """Keras's ``to_hash_bucket_fast`` (FarmHash Fingerprint64 of the UTF-8 bytes, modulo
    ``num_buckets``) or, with ``salt`` ([k0, k1]), ``to_hash_bucket_strong`` (keyed SipHash-2-4).
    Non-string values are hashed as their decimal text, as TensorFlow's ``as_string``."""
    values = np.asarray(values)
    if values.dtype.kind != "U":
        values = values.astype(str)
    unique, inverse = np.unique(values.reshape(-1), return_inverse=True)
    if salt is None:
        hashes = [_string_hash.fingerprint64(s.encode("utf-8")) % num_buckets for s in unique.tolist()]
    else:
        key = (int(salt[0]), int(salt[1]))
        hashes = [_string_hash.siphash24(key, s.encode("utf-8")) % num_buckets for s in unique.tolist()]
    return np.asarray(hashes, dtype=np.int64)[inverse].reshape(values.shape)


def _is_batch_iterable(data: Any) -> bool:
    """An iterable of batches (generator, dataset), not one array/list of samples."""
    if isinstance(data, (list, tuple, np.ndarray, Tensor, str, bytes)):
        return False
    return hasattr(data, "__iter__")


def _listify(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value
