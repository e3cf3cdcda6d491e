"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled positive (1) or negative (0).

Each review is a list of word indices, words being ranked by how often they occur in the training
set (index 1 is the most frequent word of the raw file). Downloaded on first use from Keras's
public copy (``imdb.npz``, 17 MB) and cached in ``~/.numeras/datasets`` (``$NUMERAS_HOME``
replaces ``~/.numeras``). The reviews come from Andrew L. Maas et al., "Learning Word Vectors for
Sentiment Analysis" (ACL 2011), https://ai.stanford.edu/~amaas/data/sentiment/.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

from numeras.backend import xp
from numeras.datasets import _loading

ORIGIN = _loading.KERAS_DATASETS_ORIGIN + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"  # sha256
WORD_INDEX_ORIGIN = _loading.KERAS_DATASETS_ORIGIN + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"  # md5, as in Keras
_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(
    path: str | os.PathLike = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int | None = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs: Any,
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Load IMDB as ``(x_train, y_train), (x_test, y_test)``, exactly as Keras does.

    ``x_*`` are 1-D object arrays of Python lists of word indices; ``y_*`` are int64 arrays of 0/1.
    Both splits are shuffled with ``np.random.RandomState(seed)`` (train first, then test, from the
    same generator), so a given seed yields Keras's very order. Then, in this order:

    1. every word index ``w`` becomes ``w + index_from``, and ``start_char`` (if not None) is put
       first in each review;
    2. if ``maxlen`` is set, reviews with ``len >= maxlen`` (start mark included) are dropped;
    3. indices outside ``[skip_top, num_words)`` become ``oov_char``, or are removed when
       ``oov_char`` is None. ``num_words=None`` (or 0) means ``max index`` over all reviews, which,
       as in Keras, sends that single rarest index to ``oov_char`` too.

    Args:
        path: Cache file name (Keras's meaning), or a path with a folder (``"./imdb.npz"``) to
            read that file instead of downloading.
        num_words: Keep the ``num_words`` most frequent indices (after the shift), see above.
        skip_top: Also treat the ``skip_top`` most frequent indices as out of vocabulary.
        maxlen: Drop reviews of ``maxlen`` indices or more.
        seed: Shuffling seed (``None``: drawn from numeras's seeded generator).
        start_char: Index marking the start of each review; 0 is kept for padding.
        oov_char: Index replacing out-of-vocabulary words; None removes them.
        index_from: Offset added to the stored word indices.
    """
    caller = "imdb.load_data"
    if "nb_words" in kwargs:
        warnings.warn(
            "imdb.load_data: `nb_words` is deprecated, use `num_words`.", DeprecationWarning, stacklevel=2
        )
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"{caller}: unexpected keyword arguments {sorted(kwargs)}.")
    num_words = _loading.check_int(num_words, "num_words", caller, allow_none=True, minimum=0)
    skip_top = _loading.check_int(skip_top, "skip_top", caller, minimum=0)
    maxlen = _loading.check_int(maxlen, "maxlen", caller, allow_none=True, minimum=0)
    start_char = _loading.check_int(start_char, "start_char", caller, allow_none=True)
    oov_char = _loading.check_int(oov_char, "oov_char", caller, allow_none=True)
    index_from = _loading.check_int(index_from, "index_from", caller)
    rng = _loading.seeded_shuffler(seed, caller)

    file_path = _loading.fetch(path, ORIGIN, FILE_HASH, caller)
    arrays = _loading.load_npz(file_path, _KEYS, caller)
    x_train, labels_train = _loading.shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, labels_test = _loading.shuffled(rng, arrays["x_test"], arrays["y_test"])

    tokens_train, lengths_train = _loading.flatten(x_train, len(x_train), caller)
    tokens_test, lengths_test = _loading.flatten(x_test, len(x_test), caller)
    tokens_train, lengths_train = _loading.add_start_and_offset(
        tokens_train, lengths_train, start_char, index_from
    )
    tokens_test, lengths_test = _loading.add_start_and_offset(
        tokens_test, lengths_test, start_char, index_from
    )

    if maxlen:
        tokens_train, lengths_train, keep = _loading.drop_sequences_not_shorter_than(
            tokens_train, lengths_train, maxlen
        )
        labels_train = labels_train[keep]
        tokens_test, lengths_test, keep = _loading.drop_sequences_not_shorter_than(
            tokens_test, lengths_test, maxlen
        )
        labels_test = labels_test[keep]
        if not len(lengths_train) or not len(lengths_test):
            raise ValueError(
                f"{caller}: after filtering for sequences shorter than maxlen={maxlen}, no sequence "
                "was kept. Increase maxlen."
            )

    tokens = xp.concatenate([tokens_train, tokens_test])
    lengths = xp.concatenate([lengths_train, lengths_test])
    if not num_words:
        if not tokens.size:
            raise ValueError(f"{caller}: the reviews hold no word at all, so `num_words` cannot be inferred.")
        num_words = int(tokens.max())
    tokens, lengths = _loading.limit_vocabulary(tokens, lengths, num_words, skip_top, oov_char)

    sequences = _loading.as_list_array(tokens, lengths)
    split = len(lengths_train)
    return (sequences[:split], labels_train), (sequences[split:], labels_test)


def get_word_index(path: str | os.PathLike = "imdb_word_index.json") -> dict[str, int]:
    """The dict ``word -> index`` of the IMDB data (indices before ``index_from`` is added).

    To decode a review loaded with the defaults: ``{i + 3: w for w, i in get_word_index().items()}``,
    with 1 meaning the start mark and 2 an out-of-vocabulary word.
    """
    file_path = _loading.fetch(path, WORD_INDEX_ORIGIN, WORD_INDEX_HASH, "imdb.get_word_index")
    return _read_word_index(file_path, "imdb.get_word_index")


def _read_word_index(file_path: str, caller: str) -> dict[str, int]:
    try:
        with open(file_path, encoding="utf-8") as stream:
            index = json.load(stream)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{caller}: cannot read {file_path} as a JSON word index ({error}). Delete it so it is "
            "downloaded again."
        ) from error
    if not isinstance(index, dict):
        raise ValueError(
            f"{caller}: {file_path} holds a {type(index).__name__}, not a word -> index mapping."
        )
    return index
