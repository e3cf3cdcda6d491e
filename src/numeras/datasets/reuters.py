"""Reuters newswires: 11,228 short news stories labelled with one of 46 topics.

Each newswire is a list of word indices, words being ranked by frequency. Downloaded on first use
from Keras's public copy (``reuters.npz``, 2 MB) and cached in ``~/.numeras/datasets``
(``$NUMERAS_HOME`` replaces ``~/.numeras``). The stories come from the Reuters-21578 collection
(David D. Lewis, distributed for research purposes).
"""

from __future__ import annotations

import os
from typing import Any

from numeras.datasets import _loading
from numeras.datasets.imdb import _read_word_index

ORIGIN = _loading.KERAS_DATASETS_ORIGIN + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"  # sha256
WORD_INDEX_ORIGIN = _loading.KERAS_DATASETS_ORIGIN + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"  # md5, as in Keras
_KEYS = ("x", "y")

_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi",
    "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei",
    "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)  # fmt: skip


def load_data(
    path: str | os.PathLike = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int | None = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Load Reuters as ``(x_train, y_train), (x_test, y_test)``, exactly as Keras does.

    ``x_*`` are 1-D object arrays of Python lists of word indices; ``y_*`` int64 topic indices
    (0 to 45, see :func:`get_label_names`). All 11,228 stories are shuffled with
    ``np.random.RandomState(seed)``; then indices are shifted by ``index_from`` and ``start_char``
    put first; stories with ``len >= maxlen`` are dropped if ``maxlen`` is set; indices outside
    ``[skip_top, num_words)`` become ``oov_char`` (or are removed if it is None; ``num_words=None``
    means the largest index, which then also becomes ``oov_char``, as in Keras). Finally the first
    ``int(n * (1 - test_split))`` stories are the training set: 8,982 and 2,246 by default.

    ``path``: cache file name, or a path with a folder to read that file without downloading.
    """
    caller = "reuters.load_data"
    num_words = _loading.check_int(num_words, "num_words", caller, allow_none=True, minimum=0)
    skip_top = _loading.check_int(skip_top, "skip_top", caller, minimum=0)
    maxlen = _loading.check_int(maxlen, "maxlen", caller, allow_none=True, minimum=0)
    start_char = _loading.check_int(start_char, "start_char", caller, allow_none=True)
    oov_char = _loading.check_int(oov_char, "oov_char", caller, allow_none=True)
    index_from = _loading.check_int(index_from, "index_from", caller)
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) or not 0 <= test_split <= 1:
        raise ValueError(
            f"{caller}: `test_split` must be a fraction between 0 and 1, received {test_split!r}."
        )
    rng = _loading.seeded_shuffler(seed, caller)

    file_path = _loading.fetch(path, ORIGIN, FILE_HASH, caller)
    arrays = _loading.load_npz(file_path, _KEYS, caller)
    stories, labels = _loading.shuffled(rng, arrays["x"], arrays["y"])

    tokens, lengths = _loading.flatten(stories, len(stories), caller)
    tokens, lengths = _loading.add_start_and_offset(tokens, lengths, start_char, index_from)
    if maxlen:
        tokens, lengths, keep = _loading.drop_sequences_not_shorter_than(tokens, lengths, maxlen)
        labels = labels[keep]
    if not num_words:
        if not tokens.size:
            raise ValueError(
                f"{caller}: no story is left, so `num_words` cannot be inferred. Increase maxlen."
            )
        num_words = int(tokens.max())
    tokens, lengths = _loading.limit_vocabulary(tokens, lengths, num_words, skip_top, oov_char)

    sequences = _loading.as_list_array(tokens, lengths)
    split = int(len(sequences) * (1 - test_split))
    return (sequences[:split], labels[:split]), (sequences[split:], labels[split:])


def get_word_index(path: str | os.PathLike = "reuters_word_index.json") -> dict[str, int]:
    """The dict ``word -> index`` of the Reuters data (before ``index_from``: ``"the"`` is 1,
    which is 4 in ``load_data``'s sequences with the defaults)."""
    file_path = _loading.fetch(path, WORD_INDEX_ORIGIN, WORD_INDEX_HASH, "reuters.get_word_index")
    return _read_word_index(file_path, "reuters.get_word_index")


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, indexed like the labels ``y``."""
    return _LABEL_NAMES
