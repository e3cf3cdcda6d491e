"""The Keras 2 spellings "Deep Learning with Python" (first edition) uses: Tokenizer (against
Keras's legacy Tokenizer's outputs), pad_sequences, np_utils.to_categorical, and
history.history['acc']-style keys."""

import json

import numpy as np
import pytest

import numeras
from numeras import layers, utils
from numeras.preprocessing import sequence as legacy_sequence
from numeras.preprocessing import text
from numeras.utils import np_utils


def _tokenizer(**kwargs):
    with pytest.warns(DeprecationWarning, match="TextVectorization"):
        return text.Tokenizer(**kwargs)


def test_tokenizer_matches_keras(keras_expected):
    fixture = keras_expected["tokenizer"]
    texts = fixture["texts"]
    for name, case in fixture["cases"].items():
        tokenizer = _tokenizer(**case["kwargs"])
        tokenizer.fit_on_texts(texts)
        assert tokenizer.word_index == case["word_index"], name
        assert {str(k): v for k, v in tokenizer.index_word.items()} == case["index_word"], name
        assert [list(item) for item in tokenizer.word_counts.items()] == case["word_counts"], name
        assert tokenizer.document_count == case["document_count"], name
        assert tokenizer.texts_to_sequences([*texts, "unknown cat words"]) == case["sequences"], name
        for mode, expected in case["matrices"].items():
            matrix = tokenizer.texts_to_matrix(texts, mode=mode)
            assert matrix.dtype == np.float64
            np.testing.assert_allclose(matrix, np.array(expected), rtol=1e-12, err_msg=f"{name} {mode}")
        np.testing.assert_array_equal(
            tokenizer.sequences_to_matrix([[1, 2, 2, 9, 30]], mode="count"), np.array(case["sequences_matrix_count"])
        )


def test_tokenizer_attributes_and_errors():
    tokenizer = _tokenizer(num_words=100, filters="!", lower=False, split=",", char_level=False, oov_token="?")
    assert (tokenizer.num_words, tokenizer.filters, tokenizer.lower, tokenizer.split, tokenizer.oov_token) == (100, "!", False, ",", "?")
    with pytest.raises(ValueError, match="fit on some text"):
        _tokenizer().texts_to_matrix(["a b"])
    fitted = _tokenizer()
    fitted.fit_on_texts(["a b", "b c"])
    with pytest.raises(ValueError, match="Unknown vectorization mode"):
        fitted.texts_to_matrix(["a"], mode="onehot")
    with pytest.raises(TypeError, match="list of strings"):
        fitted.fit_on_texts("a b c")
    assert fitted.sequences_to_texts(fitted.texts_to_sequences(["c b a zz"])) == ["c b a"]
    restored = text.tokenizer_from_json(fitted.to_json())
    assert restored.word_index == fitted.word_index and restored.texts_to_sequences(["a c"]) == fitted.texts_to_sequences(["a c"])


def test_pad_sequences_warns_and_matches_utils():
    sequences = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]
    with pytest.warns(DeprecationWarning, match="numeras.utils.pad_sequences"):
        padded = legacy_sequence.pad_sequences(sequences, maxlen=4, padding="post")
    np.testing.assert_array_equal(padded, utils.pad_sequences(sequences, maxlen=4, padding="post"))
    assert numeras.preprocessing.sequence is legacy_sequence


def test_np_utils_to_categorical_warns_and_matches_utils():
    with pytest.warns(DeprecationWarning, match="numeras.utils.to_categorical"):
        one_hot = np_utils.to_categorical([0, 2, 1], 3)
    np.testing.assert_array_equal(one_hot, utils.to_categorical([0, 2, 1], 3))
    assert numeras.utils.np_utils is np_utils


def _fit(metrics):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = numeras.Sequential([layers.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=metrics)
    return model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)


def test_history_names_the_key_that_was_logged():
    history = _fit(["accuracy", "mae"])
    with pytest.raises(KeyError, match="'accuracy'"):
        history.history["acc"]
    with pytest.raises(KeyError, match="'val_accuracy'"):
        history.history["val_acc"]
    with pytest.raises(KeyError, match="'val_mae'"):
        history.history["val_mean_absolute_error"]
    with pytest.raises(KeyError, match="logged keys are"):
        history.history["precision"]
    assert len(history.history["loss"]) == 2 and len(history.history["val_loss"]) == 2
    assert isinstance(history.history, dict) and history.history.get("acc") is None and "acc" not in history.history
    assert json.loads(json.dumps(history.history)).keys() == history.history.keys()
