"""pad_sequences (against Keras's per-sequence algorithm) and the book's vectorize_sequences."""

import numpy as np
import pytest

from numeras.utils import pad_sequences, vectorize_sequences


def keras_pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Keras's loop, transcribed, as the reference."""
    lengths = [len(s) for s in sequences]
    sample_shape = next((np.asarray(s).shape[1:] for s in sequences if len(s)), ())
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    x = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or maxlen == 0:
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if padding == "post":
            x[i, : len(trunc)] = trunc
        else:
            x[i, -len(trunc) :] = trunc
    return x


def test_keras_docstring_examples():
    sequence = [[1], [2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(pad_sequences(sequence), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequence, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequence, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequence, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    assert pad_sequences(sequence).dtype == np.int32


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 0, 1, 4, 9])
def test_matches_keras_on_random_ragged_lists(padding, truncating, maxlen):
    rng = np.random.default_rng(hash((padding, truncating, maxlen)) % 2**32)
    sequences = [rng.integers(1, 100, rng.integers(0, 8)).tolist() for _ in range(25)]
    ours = pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating, value=-7)
    expected = keras_pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating, value=-7)
    np.testing.assert_array_equal(ours, expected)
    assert ours.dtype == np.int32


def test_steps_with_a_shape_arrays_and_dtypes():
    rng = np.random.default_rng(0)
    sequences = [rng.normal(size=(n, 2, 3)) for n in (3, 0, 5, 1)]
    ours = pad_sequences(sequences, maxlen=4, dtype="float32", padding="post", truncating="pre")
    assert ours.shape == (4, 4, 2, 3) and ours.dtype == np.float32
    np.testing.assert_array_equal(ours, keras_pad_sequences(sequences, 4, "float32", "post", "pre"))

    rectangular = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(pad_sequences(rectangular, maxlen=3), rectangular[:, 1:])
    ragged = np.fromiter(([1, 2], [3], [4, 5, 6]), dtype=object, count=3)
    np.testing.assert_array_equal(pad_sequences(ragged), [[0, 1, 2], [0, 0, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences([[1.7, 2.2]], maxlen=3, dtype="float64"), [[0, 1.7, 2.2]])

    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_empty_inputs():
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[], []]).shape == (2, 0)
    np.testing.assert_array_equal(pad_sequences([[], []], maxlen=2, value=9), [[9, 9], [9, 9]])


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="padding"):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="truncating"):
        pad_sequences([[1]], truncating="both")
    with pytest.raises(ValueError, match="maxlen"):
        pad_sequences([[1]], maxlen=-1)
    with pytest.raises(ValueError, match="position 1 is not: 5"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="dtype=object"):
        pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="position 1 have shape"):
        pad_sequences([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match="list of sequences"):
        pad_sequences(iter([[1]]))


def test_vectorize_sequences_is_the_books_multi_hot_encoding():
    sequences = [[1, 3], [0, 3, 3], []]
    result = vectorize_sequences(sequences, dimension=5)
    np.testing.assert_array_equal(result, [[0, 1, 0, 1, 0], [1, 0, 0, 1, 0], [0, 0, 0, 0, 0]])
    assert result.dtype == np.float32

    rng = np.random.default_rng(0)
    ragged = np.fromiter(
        (rng.integers(0, 50, rng.integers(0, 30)).tolist() for _ in range(40)), dtype=object, count=40
    )
    expected = np.zeros((40, 50))
    for i, sequence in enumerate(ragged):  # the book's loop
        expected[i, sequence] = 1.0
    np.testing.assert_array_equal(vectorize_sequences(ragged, dimension=50), expected)
    np.testing.assert_array_equal(vectorize_sequences(np.array([[1, 2], [2, 2]]), 3), [[0, 1, 1], [0, 0, 1]])
    assert vectorize_sequences([], dimension=4).shape == (0, 4)


def test_vectorize_sequences_errors():
    with pytest.raises(ValueError, match=r"\[0, 4\).*from 0 to 4.*num_words=4"):
        vectorize_sequences([[0, 4]], dimension=4)
    with pytest.raises(ValueError, match="from -1"):
        vectorize_sequences([[-1]], dimension=4)
    with pytest.raises(ValueError, match="integer indices"):
        vectorize_sequences([[1.5]], dimension=4)
    with pytest.raises(ValueError, match="dimension"):
        vectorize_sequences([[1]], dimension=0)
