"""MultiHeadAttention, Attention and AdditiveAttention against Keras 3.15 (outputs, attention
scores and gradients w.r.t. inputs and weights, from fixtures/make_attention_fixtures.py), the
masked-softmax primitive's gradient in float64, mask combination, configs and errors."""

import json
import os
import warnings

import numpy as np
import pytest

from numeras import layers, ops
from numeras.autodiff import GradientTape, Tensor
from numeras.autodiff.ops.attention import masked_softmax
from numeras.testing import gradcheck

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
with open(os.path.join(FIXTURES, "attention_cases.json")) as _f:
    CASES = {case["name"]: case for case in json.load(_f)["cases"]}
EXPECTED = np.load(os.path.join(FIXTURES, "attention_expected.npz"))


def _case_layer(case):
    """The numeras layer of a fixture case, built and holding Keras's weights."""
    cls = getattr(layers, case["layer"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # LayerNormalization(rms_scaling=True) is deprecated
        layer = cls(**case["kwargs"])
    shapes = [tuple(s) for s in case["shapes"]]
    if case["layer"] == "MultiHeadAttention":
        layer.build(*shapes)
    elif case["layer"] == "LayerNormalization":
        layer.build(shapes[0])
    else:
        layer.build(shapes)
    name = case["name"]
    layer.set_weights([EXPECTED[f"{name}/weight_{j}"] for j in range(len(case["weight_names"]))])
    return layer


def _call(layer, case, inputs):
    name = case["name"]
    masks = {k: EXPECTED[f"{name}/mask_{k}"] for k in case["masks"]}
    call = dict(case["call"])
    if case["layer"] == "MultiHeadAttention":
        key = inputs[2] if len(inputs) > 2 else None
        return layer(inputs[0], inputs[1], key=key, **masks, **call)
    if case["layer"] == "LayerNormalization":
        return layer(inputs[0])
    mask = [masks.get("query_mask"), masks.get("value_mask")] if masks else None
    return layer(list(inputs), mask=mask, **call)


FIXTURE_NAMES = [name for name in CASES if not name.startswith("layernorm")]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_matches_keras_outputs_scores_and_gradients(name):
    case = CASES[name]
    layer = _case_layer(case)
    assert [w.name for w in layer.weights] == case["weight_names"]
    inputs = [Tensor(EXPECTED[f"{name}/input_{i}"]) for i in range(case["inputs"])]
    cotangent = EXPECTED[f"{name}/cotangent"]
    with GradientTape() as tape:
        for t in inputs:
            tape.watch(t)
        result = _call(layer, case, inputs)
        returns_scores = case["call"].get("return_attention_scores", False)
        output, scores = result if returns_scores else (result, None)
        loss = ops.sum(output * cotangent)
    np.testing.assert_allclose(output.numpy(), EXPECTED[f"{name}/output"], rtol=1e-5, atol=1e-5)
    if returns_scores:
        np.testing.assert_allclose(scores.numpy(), EXPECTED[f"{name}/scores"], rtol=1e-5, atol=1e-6)
    weights = layer.trainable_weights
    assert len(weights) == case["trainable_count"]
    grads = tape.gradient(loss, inputs + weights)
    for i in range(case["inputs"]):
        np.testing.assert_allclose(
            grads[i].numpy(), EXPECTED[f"{name}/grad_input_{i}"], rtol=1e-4, atol=1e-5, err_msg=f"input {i}"
        )
    for j, weight in enumerate(weights):
        np.testing.assert_allclose(
            grads[case["inputs"] + j].numpy(), EXPECTED[f"{name}/grad_weight_{j}"], rtol=1e-4, atol=1e-5,
            err_msg=f"weight {weight.path}",
        )


_KERAS_ONLY_KEYS = {"dtype", "name", "trainable"}  # dtype: Keras writes a policy dict


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith(("mha_self", "mha_cross", "mha_attention_axes", "attention", "additive"))])
def test_config_matches_keras_and_round_trips(name):
    case = CASES[name]
    layer = _case_layer(case)
    config = layer.get_config()
    keras_config = case["keras_config"]
    assert set(config) == set(keras_config)
    for key, value in keras_config.items():
        if key in _KERAS_ONLY_KEYS:
            continue
        mine = config[key]
        if isinstance(mine, tuple):
            mine = list(mine)
        if isinstance(value, dict) and "class_name" in value:
            # Serialized initializers: numeras.initializers owns their module and config keys.
            assert mine["class_name"] == value["class_name"], key
            continue
        assert json.loads(json.dumps(mine)) == value, key
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    rebuilt = layers.deserialize(layers.serialize(layer))
    assert type(rebuilt) is type(layer)


def test_masked_softmax_gradcheck_float64():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 5))
    mask = rng.random((2, 1, 4, 5)) > 0.4
    mask[0, 0, 1] = False  # a fully masked row gives zeros, and no gradient
    assert gradcheck(lambda t: masked_softmax(t, mask, axis=-1), [x])
    assert gradcheck(lambda t: masked_softmax(t, mask, axis=(2, 3)), [x])
    assert gradcheck(lambda t: masked_softmax(t, None, axis=-1), [x])
    out = masked_softmax(Tensor(x), mask).numpy()
    np.testing.assert_array_equal(out[0, :, 1], 0.0)
    np.testing.assert_allclose(out.sum(-1)[mask.any(-1).repeat(3, axis=1)], 1.0, rtol=1e-12)


def test_masked_softmax_numeric_mask_and_bad_mask():
    x = Tensor(np.zeros((2, 3), "float32"))
    out = masked_softmax(x, np.array([1.0, 0.2, 0.9])).numpy()
    np.testing.assert_allclose(out, [[0.5, 0.0, 0.5]] * 2)
    with pytest.raises(ValueError, match="broadcastable"):
        masked_softmax(x, np.ones((4,), bool))


def _float64_mha(**kwargs):
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dtype="float64", **kwargs)
    return layer


@pytest.mark.parametrize("options", [dict(), dict(use_causal_mask=True), dict(attention_axes=(1, 2))])
def test_mha_gradcheck_float64(options):
    rng = np.random.default_rng(1)
    axes = options.pop("attention_axes", None)
    shape = (2, 2, 3, 4) if axes else (2, 4, 5)
    layer = _float64_mha(attention_axes=axes)
    query, value = rng.normal(size=shape), rng.normal(size=shape)
    layer.build(shape, shape)
    for w in layer.weights:
        w.assign(rng.normal(size=w.shape))
    value_mask = np.ones(shape[:-1], bool)
    value_mask[0, -1] = False
    # Inputs here; the weights' gradients are compared with JAX's in the fixture tests.
    if axes:
        value_mask = None  # Keras's masks are (batch, positions): one attention axis only
    assert gradcheck(lambda q, v: layer(q, v, value_mask=value_mask, **options), [query, value])


def test_mha_masks_from_keras_mask_attribute():
    """Masks travel as Keras's ``_keras_mask`` on the inputs: read when no argument is given."""

    class MaskedTensor(Tensor):
        """A Tensor that can carry attributes (numeras Tensors have fixed slots until masks travel)."""

    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 6)).astype("float32")
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    explicit = layer(x, x, value_mask=mask).numpy()
    assert not np.allclose(explicit, layer(x, x).numpy())
    carrier = MaskedTensor(x)
    carrier._keras_mask = mask
    np.testing.assert_allclose(layer(x, carrier).numpy(), explicit, rtol=1e-6)


def test_mha_mask_combination_matches_explicit_attention_mask():
    rng = np.random.default_rng(3)
    q = rng.normal(size=(2, 4, 6)).astype("float32")
    v = rng.normal(size=(2, 5, 6)).astype("float32")
    query_mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    value_mask = np.array([[1, 1, 1, 1, 0], [1, 0, 1, 1, 1]], bool)
    key_mask = np.array([[1, 1, 0, 1, 1], [1, 1, 1, 1, 1]], bool)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out, scores = layer(
        q, v, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask, use_causal_mask=True,
        return_attention_scores=True,
    )
    combined = query_mask[:, :, None] & value_mask[:, None, :] & key_mask[:, None, :] & np.tri(4, 5, dtype=bool)
    out2, scores2 = layer(q, v, attention_mask=combined, return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), out2.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(scores.numpy()[~np.broadcast_to(combined[:, None], scores.shape)], 0.0)
    # Masked-out query rows attend to nothing: their output is the output projection's bias.
    bias = layer.output_dense.bias.numpy()
    np.testing.assert_allclose(out.numpy()[1, 2:], np.broadcast_to(bias, (2, 6)), rtol=1e-6)


def test_mha_dropout_only_in_training_and_seeded():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=7)
    inference = layer(x, x).numpy()
    np.testing.assert_array_equal(layer(x, x, training=False).numpy(), inference)
    trained = layer(x, x, training=True).numpy()
    assert not np.allclose(trained, inference)
    _, scores = layer(x, x, training=True, return_attention_scores=True)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-5)  # scores are before dropout


def test_mha_errors_name_the_argument():
    with pytest.raises(ValueError, match="num_heads"):
        layers.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="key_dim"):
        layers.MultiHeadAttention(num_heads=2, key_dim="4")
    with pytest.raises(ValueError, match="value_dim"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2, value_dim=-1)
    with pytest.raises(ValueError, match="flash_attention"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2, flash_attention=True)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(ValueError, match="query and a value"):
        layer(np.zeros((1, 3, 4), "float32"))
    with pytest.raises(ValueError, match="except the last one"):
        layer(np.zeros((1, 3, 4), "float32"), np.zeros((1, 3, 4), "float32"), key=np.zeros((1, 5, 4), "float32"))


def test_mha_in_functional_model_with_scores():
    from numeras import models

    query = layers.Input((5, 8))
    value = layers.Input((7, 6))
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out, scores = mha(query, value, return_attention_scores=True)
    assert tuple(out.shape) == (None, 5, 8) and tuple(scores.shape) == (None, 2, 5, 7)
    model = models.Model([query, value], [out, scores])
    rng = np.random.default_rng(5)
    q, v = rng.normal(size=(3, 5, 8)).astype("float32"), rng.normal(size=(3, 7, 6)).astype("float32")
    got, got_scores = model.predict([q, v], verbose=0)
    direct, direct_scores = mha(q, v, return_attention_scores=True)
    np.testing.assert_allclose(got, direct.numpy(), rtol=1e-6)
    np.testing.assert_allclose(got_scores, direct_scores.numpy(), rtol=1e-6)


def test_attention_layers_validate_inputs():
    x = np.zeros((1, 2, 3), "float32")
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Attention()(x)
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="general")
    with pytest.raises(ValueError, match="mask must be a list"):
        layers.AdditiveAttention()([x, x], mask=np.ones((1, 2), bool))


def test_attention_output_mask_and_shape():
    x = np.random.default_rng(6).normal(size=(2, 3, 4)).astype("float32")
    layer = layers.Attention()
    query_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    out = layer([x, x], mask=[query_mask, None])
    np.testing.assert_array_equal(out.numpy()[0, 2], 0.0)
    np.testing.assert_array_equal(layer.compute_mask([x, x], [query_mask, None]).numpy(), query_mask)
    assert layer.compute_output_shape([(None, 3, 4), (None, 5, 6)]) == (None, 3, 6)


def _weight_groups(path):
    """The ``.../vars`` groups holding datasets in a .keras archive's weights file."""
    import io
    import zipfile

    import h5py

    found = set()
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f:
        f.visititems(lambda name, obj: found.add(name.rsplit("/", 1)[0]) if isinstance(obj, h5py.Dataset) else None)
    return found


def test_loads_keras_saved_attention_model_and_saves_keras_layout(tmp_path):
    from numeras import models

    keras_file = os.path.join(FIXTURES, "attention_model.keras")
    model = models.load_model(keras_file)
    inputs = [EXPECTED["model/input"], EXPECTED["model/context"]]
    np.testing.assert_allclose(model.predict(inputs, verbose=0), EXPECTED["model/output"], rtol=1e-5, atol=1e-5)
    mine = tmp_path / "attention_model.keras"
    model.save(mine)
    # Same weight paths as Keras's (layers/multi_head_attention/query_dense/vars, ...), so Keras
    # can read numeras's file; and the file loads back to the same predictions.
    assert _weight_groups(mine) == _weight_groups(keras_file)
    again = models.load_model(mine)
    np.testing.assert_allclose(again.predict(inputs, verbose=0), EXPECTED["model/output"], rtol=1e-5, atol=1e-5)
    mha = next(layer for layer in again.layers if isinstance(layer, layers.MultiHeadAttention))
    assert mha.get_build_config() == {"shapes_dict": {"query_shape": [None, 5, 8], "value_shape": [None, 5, 8]}}


@pytest.mark.parametrize("cls", [layers.Attention, layers.AdditiveAttention])
def test_attention_in_functional_model_with_scores(cls):
    from numeras import models

    query, value = layers.Input((4, 5)), layers.Input((6, 5))
    layer = cls()
    out, scores = layer([query, value], return_attention_scores=True)
    assert tuple(out.shape) == (None, 4, 5) and tuple(scores.shape) == (None, 4, 6)
    model = models.Model([query, value], [out, scores])
    rng = np.random.default_rng(7)
    q, v = rng.normal(size=(2, 4, 5)).astype("float32"), rng.normal(size=(2, 6, 5)).astype("float32")
    got, got_scores = model.predict([q, v], verbose=0)
    direct, direct_scores = layer([q, v], return_attention_scores=True)
    np.testing.assert_allclose(got, direct.numpy(), rtol=1e-6)
    np.testing.assert_allclose(got_scores, direct_scores.numpy(), rtol=1e-6)


def test_attention_dropout_in_training_only_and_keras_mask_inputs():
    class MaskedTensor(Tensor):
        """A Tensor that can carry attributes (numeras Tensors have fixed slots until masks travel)."""

    rng = np.random.default_rng(8)
    q, v = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 5, 4)).astype("float32")
    layer = layers.Attention(dropout=0.5, seed=3)
    inference, weights = layer([q, v], return_attention_scores=True)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-6)
    _, dropped = layer([q, v], training=True, return_attention_scores=True)
    kept = dropped.numpy() != 0
    np.testing.assert_allclose(dropped.numpy()[kept], 2.0 * weights.numpy()[kept], rtol=1e-6)
    assert not kept.all()
    value_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    explicit = layer([q, v], mask=[None, value_mask]).numpy()
    carrier = MaskedTensor(v)
    carrier._keras_mask = value_mask
    np.testing.assert_allclose(layer([q, carrier]).numpy(), explicit, rtol=1e-6)
    assert not np.allclose(explicit, inference.numpy())


@pytest.mark.parametrize(
    "make", [
        lambda: layers.Attention(use_scale=True, dtype="float64"),
        lambda: layers.Attention(score_mode="concat", use_scale=True, dtype="float64"),
        lambda: layers.AdditiveAttention(dtype="float64"),
    ],
)
def test_attention_layers_gradcheck_float64(make):
    rng = np.random.default_rng(9)
    layer = make()
    q, v, k = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 4))
    layer.build([q.shape, v.shape, k.shape])
    for weight in layer.weights:
        weight.assign(rng.normal(size=weight.shape) * 0.5 + 1.0)
    mask = [np.array([[1, 1, 0], [1, 1, 1]], bool), np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)]
    assert gradcheck(lambda a, b, c: layer([a, b, c], mask=mask, use_causal_mask=True), [q, v, k])
