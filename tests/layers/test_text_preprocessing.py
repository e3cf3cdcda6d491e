"""TextVectorization, StringLookup, IntegerLookup, CategoryEncoding and Hashing against Keras 3.

The expected vocabularies, outputs, IDF weights, hash bins and configs were recorded from Keras
3.15.1 with TensorFlow 2.21 by fixtures/make_text_fixtures.py (text_fixtures.json). Keras under
the JAX backend hands integer outputs over as int32 (JAX's default); the values are compared.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

import numeras
from numeras import layers
from numeras.layers.preprocessing import _string_hash

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixtures", "text_fixtures.json"), encoding="utf-8") as _f:
    FIXTURES = json.load(_f)
CASES = [c for c in FIXTURES["cases"] if c["class"] != "Embedding"]


def _case_id(case: dict) -> str:
    return f"{case['class']}-{json.dumps(case['kwargs'], ensure_ascii=True)[:60]}"


def _kwargs(case: dict) -> dict:
    kwargs = dict(case["kwargs"])
    if isinstance(kwargs.get("ngrams"), list):
        kwargs["ngrams"] = tuple(kwargs["ngrams"])
    return kwargs


def _expected_array(output):
    if isinstance(output, dict):
        return np.asarray(output["values"]).reshape(output["shape"])
    return np.asarray(output)


def _build(case: dict):
    layer = getattr(layers, case["class"])(**_kwargs(case))
    if case.get("adapt") is not None:
        layer.adapt(case["adapt"])
    elif case.get("adapt_batches") is not None:
        layer.adapt(iter(case["adapt_batches"]), steps=case["steps"])
    return layer


def _call(layer, case):
    if case.get("count_weights") is not None:
        out = layer(np.asarray(case["queries"]), count_weights=np.asarray(case["count_weights"]))
    else:
        out = layer(np.asarray(case["queries"]))
    return np.asarray(out.data if hasattr(out, "data") else out)


def _comparable_config(config: dict) -> dict:
    """Keras's config with the dtype policy as its name (numeras writes the name)."""
    config = dict(config)
    config.pop("name")
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = config["dtype"]["config"]["name"]
    return config


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_keras(case):
    layer = _build(case)
    if "vocabulary" in case:
        assert layer.get_vocabulary() == case["vocabulary"]
        assert layer.vocabulary_size() == case["vocabulary_size"]
    out = _call(layer, case)
    expected = _expected_array(case["output"])
    if out.dtype.kind == "U":  # strings were recorded flattened
        out = out.reshape(-1)
    assert out.shape == expected.shape
    if out.dtype.kind == "f":
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(out, expected)
    if "idf_weights" in case:
        np.testing.assert_allclose(layer.idf_weights if case["class"] != "TextVectorization" else layer.idf_weights,
                                   case["idf_weights"], rtol=1e-6)
    config = layer.get_config()
    expected_config = _comparable_config(case["config"])
    got = json.loads(json.dumps(config))  # tuples become lists, as in the recorded JSON
    got.pop("name")
    assert got == expected_config


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_config_round_trip(case):
    layer = _build(case)
    config = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    # An adapted vocabulary is not part of the config (Keras saves it as an asset), so the
    # clone's vocabulary_size is that of an empty vocabulary, as in Keras.
    skip = {"vocabulary_size"} if case.get("adapt") is not None or case.get("adapt_batches") else set()
    assert {k: v for k, v in clone.get_config().items() if k not in skip} == {
        k: v for k, v in config.items() if k not in skip
    }
    if not skip and "vocabulary" in case:
        np.testing.assert_array_equal(_call(clone, case), _call(layer, case))


def test_fingerprint64_and_siphash_match_tensorflow_bins():
    # The Hashing fixtures with 1000003 bins pin the full hashes modulo a large prime, for strings
    # of every FarmHash length class (0-16, 17-32, 33-64, 65+ bytes) and non-ASCII text.
    for case in CASES:
        if case["class"] != "Hashing" or case["kwargs"].get("num_bins") != 1000003:
            continue
        salt = case["kwargs"].get("salt")
        key = None if salt is None else ((salt, salt) if isinstance(salt, int) else tuple(salt))
        for text, expected in zip(case["queries"], case["output"]["values"]):
            data = text.encode("utf-8")
            digest = _string_hash.fingerprint64(data) if key is None else _string_hash.siphash24(key, data)
            assert digest % 1000003 == expected, text
    # Published FarmHash reference: Fingerprint64("") is the constant k2.
    assert _string_hash.fingerprint64(b"") == 0x9AE16A3B2F90404F


# -- behaviour beyond the fixtures --------------------------------------------------------
def test_text_vectorization_errors():
    with pytest.raises(RuntimeError, match="adapt"):
        layers.TextVectorization()(["some text"])
    with pytest.raises(ValueError, match="repeated"):
        layers.TextVectorization(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="multi_hot", output_sequence_length=4)
    with pytest.raises(ValueError, match="output_mode"):
        layers.TextVectorization(output_mode="bag")
    with pytest.raises(ValueError, match="standardize"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(RuntimeError, match="vocabulary"):
        layers.StringLookup(output_mode="multi_hot")(["a"])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(["a", "zzz"])


def test_text_vectorization_vocabulary_file_and_set_vocabulary(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("the\nfox\ncat\n", encoding="utf-8")
    layer = layers.TextVectorization(vocabulary=str(path), output_sequence_length=4)
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "fox", "cat"]
    np.testing.assert_array_equal(np.asarray(layer(["The Cat ate the fox"]).data), [[2, 4, 1, 2]])
    layer.set_vocabulary(["dog"])
    assert layer.get_vocabulary(include_special_tokens=False) == ["dog"]
    assert layer.vocabulary_size() == 3


def test_text_vectorization_callables_and_batches():
    layer = layers.TextVectorization(
        standardize=lambda x: np.char.upper(x), split=lambda x: [s.split("-") for s in x.tolist()]
    )
    layer.adapt(np.array(["a-b-b", "b-c"]))
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "C", "A"]
    # adapt with batch_size reads the array in pieces and learns the same vocabulary.
    texts = np.array(["x y z", "y z", "z"] * 3)
    whole, batched = layers.TextVectorization(), layers.TextVectorization()
    whole.adapt(texts)
    batched.adapt(texts, batch_size=2)
    assert whole.get_vocabulary() == batched.get_vocabulary() == ["", "[UNK]", "z", "y", "x"]


def test_text_vectorization_as_first_layer_of_a_model():
    vectorizer = layers.TextVectorization(max_tokens=20, output_mode="multi_hot")
    texts = np.array(["good movie", "bad movie", "great film", "awful film"])
    labels = np.array([[1.0], [0.0], [1.0], [0.0]], dtype="float32")
    vectorizer.adapt(texts)
    inputs = layers.Input(shape=(1,), dtype="string")
    features = vectorizer(inputs)
    assert features.shape == (None, vectorizer.vocabulary_size())
    outputs = layers.Dense(1, activation="sigmoid")(features)
    model = numeras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    predictions = np.asarray(model.predict(texts[:, None], verbose=0))
    assert predictions.shape == (4, 1)
    direct = np.asarray(model(texts[:, None]).data)
    np.testing.assert_allclose(predictions, direct, rtol=1e-6)
    history = model.fit(texts[:, None], labels, epochs=20, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]

    int_vectorizer = layers.TextVectorization(output_sequence_length=3)
    int_vectorizer.adapt(texts)
    sequences = int_vectorizer(layers.Input(shape=(1,), dtype="string"))
    assert sequences.shape == (None, 3)
    assert sequences.dtype == "int64"


def test_lookup_layers_in_graph_and_outputs_dtypes():
    lookup = layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot")
    out = lookup(np.array(["a", "b", "q"]))
    assert out.dtype == "float32"
    np.testing.assert_array_equal(out.data, [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    inverse = layers.StringLookup(vocabulary=["a", "b"], invert=True)
    forward = layers.StringLookup(vocabulary=["a", "b"])
    words = np.array([["b", "a", "zz"]])
    np.testing.assert_array_equal(inverse(forward(words)), [["b", "a", "[UNK]"]])


def test_category_encoding_errors():
    with pytest.raises(ValueError, match="num_tokens"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="range"):
        layers.CategoryEncoding(num_tokens=3)(np.array([[0, 3]]))
    with pytest.raises(ValueError, match="count_weights"):
        layers.CategoryEncoding(num_tokens=3, output_mode="multi_hot")(np.array([[0, 1]]), count_weights=np.ones((1, 2)))


def test_hashing_errors_and_shapes():
    with pytest.raises(ValueError, match="num_bins"):
        layers.Hashing(num_bins=0)
    with pytest.raises(ValueError, match="salt"):
        layers.Hashing(num_bins=3, salt="pepper")
    layer = layers.Hashing(num_bins=4, output_mode="multi_hot")
    assert layer.compute_output_shape((None, 3)) == (None, 4)
    # Floats are truncated to integers before hashing, as Keras.
    np.testing.assert_array_equal(layers.Hashing(9)(np.array([3.7, -2.2])).data, layers.Hashing(9)(np.array([3, -2])).data)


def test_adapt_counts_ties_high_to_low_and_max_tokens():
    layer = layers.StringLookup(max_tokens=4)
    layer.adapt(["b", "a", "c", "c", "d"])
    # c is the most frequent; a, b, d tie and Keras keeps the highest-sorting first.
    assert layer.get_vocabulary() == ["[UNK]", "c", "d", "b"]


def test_warnings_free_on_plain_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.TextVectorization(vocabulary=["a"])(["a b"])


@pytest.mark.parametrize("output_mode", ["int", "tf_idf"])
def test_saving_hooks_restore_an_adapted_vocabulary(tmp_path, output_mode):
    texts = ["the cat sat", "the dog sat down", "a cat"]
    layer = layers.TextVectorization(output_mode=output_mode)
    layer.adapt(texts)
    store: dict = {}
    layer.save_own_variables(store)
    layer.save_assets(str(tmp_path))
    clone = layers.TextVectorization.from_config(layer.get_config())
    clone.load_own_variables(store)
    clone.load_assets(str(tmp_path))
    assert clone.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_allclose(clone(["the cat and a dog"]).data, layer(["the cat and a dog"]).data)
