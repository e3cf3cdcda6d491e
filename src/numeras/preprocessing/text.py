"""``numeras.preprocessing.text``: Keras 2's ``Tokenizer``, as "Deep Learning with Python" (first
edition) uses it, with Keras 2's semantics.

A fitted tokenizer numbers words by frequency (1 for the most frequent; ties in order of first
appearance; index 0 is never a word), turns texts into lists of those indices and into
``(len(texts), num_words)`` matrices of ``binary``/``count``/``freq``/``tfidf`` values. Keras 3
replaced it by the ``TextVectorization`` layer, so constructing one warns with a
DeprecationWarning.
"""

from __future__ import annotations

import json
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
"""Every character Keras 2 removes from texts by default: ASCII punctuation, tab and newline."""

_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(text: str, filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " ") -> list[str]:
    """The words of ``text``: lowercased (``lower``), each character of ``filters`` replaced by
    ``split``, split on ``split``, empty strings dropped."""
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans(dict.fromkeys(filters, split)))
    return [word for word in text.split(split) if word]


class Tokenizer:
    """Keras 2's text tokenizer.

    Args:
        num_words: keep only words of index below ``num_words`` (the ``num_words - 1`` most
            frequent) when converting texts; ``None`` keeps every word.
        filters: characters removed from texts (replaced by ``split``).
        lower: lowercase texts first.
        split: the word separator.
        char_level: every character is a token (``filters`` and ``split`` are then unused).
        oov_token: if given, it takes index 1 and stands in for unknown (or beyond
            ``num_words``) words in ``texts_to_sequences``; otherwise such words are dropped.
        analyzer: a function ``text -> list of tokens`` used instead of the filters/split rule.

    After :meth:`fit_on_texts`: ``word_index`` (word -> index), ``index_word`` (index -> word),
    ``word_counts`` (word -> count, in order of first appearance), ``word_docs`` (word ->
    number of texts containing it), ``index_docs`` (index -> that number), ``document_count``.
    """

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = DEFAULT_FILTERS,
        lower: bool = True,
        split: str = " ",
        char_level: bool = False,
        oov_token: str | None = None,
        analyzer: Any = None,
        **kwargs: Any,
    ) -> None:
        warnings.warn(
            "numeras.preprocessing.text.Tokenizer is Keras 2's API; Keras 3 replaced it by the "
            "keras.layers.TextVectorization layer.",
            DeprecationWarning,
            stacklevel=2,
        )
        if "nb_words" in kwargs:  # Keras 1's name for num_words
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Tokenizer: unrecognized keyword arguments: {sorted(kwargs)}.")
        if num_words is not None and (not isinstance(num_words, int) or isinstance(num_words, bool) or num_words < 1):
            raise ValueError(f"Tokenizer: `num_words` must be None or an int >= 1, received num_words={num_words!r}.")
        self.word_counts: OrderedDict[str, int] = OrderedDict()
        self.word_docs: defaultdict[str, int] = defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs: defaultdict[int, int] = defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}
        self.analyzer = analyzer

    def _tokens(self, text: Any) -> list[Any]:
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [item.lower() for item in text] if isinstance(text, list) else text.lower()
            return list(text)
        if self.analyzer is not None:
            return list(self.analyzer(text))
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts: Iterable[Any]) -> None:
        """Count the words of ``texts`` (strings, or lists of tokens) and renumber the vocabulary
        by frequency."""
        if isinstance(texts, str):
            raise TypeError(
                "Tokenizer.fit_on_texts: `texts` must be a list of strings, received one string; "
                "wrap it in a list: fit_on_texts([text])."
            )
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        # sorted() is stable: words of equal count keep their order of first appearance.
        by_count = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [word for word, _ in by_count]
        self.word_index = {word: index for index, word in enumerate(vocabulary, start=1)}
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences: Iterable[Iterable[int]]) -> None:
        """Count in how many sequences each index appears (what ``tfidf`` needs), for a tokenizer
        used on sequences only."""
        sequences = list(sequences)
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts: Iterable[Any]) -> list[list[int]]:
        """Each text as the list of its words' indices (see ``num_words`` and ``oov_token``)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[Any]) -> Iterator[list[int]]:
        """:meth:`texts_to_sequences` one text at a time."""
        if isinstance(texts, str):
            raise TypeError(
                "Tokenizer.texts_to_sequences: `texts` must be a list of strings, received one string; "
                "wrap it in a list."
            )
        num_words = self.num_words
        oov_index = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        for text in texts:
            sequence = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is not None and not (num_words and index >= num_words):
                    sequence.append(index)
                elif oov_index is not None:
                    sequence.append(oov_index)
            yield sequence

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> list[str]:
        """Each sequence of indices back as words joined by spaces (unknown indices dropped, or
        the ``oov_token`` when there is one)."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences: Iterable[Iterable[int]]) -> Iterator[str]:
        num_words = self.num_words
        oov_index = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(index)
                if word is not None and not (num_words and index >= num_words):
                    words.append(word)
                elif oov_index is not None:
                    words.append(self.index_word[oov_index])
            yield " ".join(words)

    def texts_to_matrix(self, texts: Iterable[Any], mode: str = "binary") -> numpy.ndarray:
        """``sequences_to_matrix(texts_to_sequences(texts), mode)``."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences: Iterable[Iterable[int]], mode: str = "binary") -> numpy.ndarray:
        """A float64 matrix ``(len(sequences), num_words)``; entry ``[i, j]`` for index ``j`` of
        sequence ``i`` (indices ``>= num_words`` ignored; ``c`` its count in the sequence):

        * ``binary``: 1;
        * ``count``: ``c``;
        * ``freq``: ``c / len(sequence)``;
        * ``tfidf``: ``(1 + log c) * log(1 + document_count / (1 + index_docs[j]))``.

        Without ``num_words`` the width is ``len(word_index) + 1``.
        """
        if mode not in _MODES:
            raise ValueError(f"Unknown vectorization mode: {mode!r}. Expected one of {_MODES}.")
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise ValueError("Specify a dimension (`num_words` argument), or fit on some text data first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")
        sequences = [list(sequence) for sequence in sequences]
        matrix = numpy.zeros((len(sequences), num_words))
        rows = numpy.repeat(numpy.arange(len(sequences)), [len(s) for s in sequences])
        columns = numpy.fromiter((j for s in sequences for j in s), dtype=numpy.int64, count=rows.size)
        kept = columns < num_words
        rows, columns = rows[kept], columns[kept]
        # Counts of each (row, index) pair, accumulated in one vectorised call.
        counts = numpy.zeros_like(matrix)
        numpy.add.at(counts, (rows, columns), 1.0)
        present = counts > 0
        if mode == "count":
            matrix = counts
        elif mode == "binary":
            matrix[present] = 1.0
        elif mode == "freq":
            lengths = numpy.array([max(len(s), 1) for s in sequences], dtype=numpy.float64)
            matrix = counts / lengths[:, None]
        else:
            document_frequency = numpy.zeros(num_words)
            for index, count in self.index_docs.items():
                if 0 <= index < num_words:
                    document_frequency[index] = count
            idf = numpy.log(1.0 + self.document_count / (1.0 + document_frequency))
            present_rows, present_columns = numpy.nonzero(present)
            matrix[present_rows, present_columns] = (
                1.0 + numpy.log(counts[present_rows, present_columns])
            ) * idf[present_columns]
        return matrix

    def get_config(self) -> dict[str, Any]:
        """The tokenizer's settings and vocabulary, the dict values as JSON strings (Keras 2's form)."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs: Any) -> str:
        """The tokenizer as JSON (``tokenizer_from_json`` reads it back)."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """The Tokenizer that ``Tokenizer.to_json`` wrote, vocabulary included."""
    config = dict(json.loads(json_string).get("config", {}))
    word_counts = json.loads(config.pop("word_counts"))
    word_docs = json.loads(config.pop("word_docs"))
    index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tokenizer = Tokenizer(**config)
    tokenizer.word_counts = OrderedDict(word_counts)
    tokenizer.word_docs = defaultdict(int, word_docs)
    tokenizer.index_docs = defaultdict(int, index_docs)
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer


__all__ = ["Tokenizer", "text_to_word_sequence", "tokenizer_from_json"]
