"""Masks as Keras 3 carries them: ``_keras_mask`` on tensors, ``mask=`` passed to ``call``,
``compute_mask`` and ``supports_masking``, symbolic masks in functional graphs, the Masking layer,
masked pooling and merges, and losses and metrics weighted by the output's mask (checked against
Keras with tests/layers/fixtures/make_mask_fixtures.py)."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import numeras
from numeras import layers, losses, metrics, ops
from numeras.autodiff import Tensor
from numeras.models import Model, Sequential

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "mask_expected.npz")

PADDED = np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0], [5, 6, 7, 8, 9]])


class MaskedMean(layers.Layer):
    """Averages the unmasked steps (all steps without a mask): a layer that reads ``mask``."""

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = Tensor(np.asarray(mask.data, dtype=inputs.data.dtype)[..., None])
        return ops.sum(inputs * weights, axis=1) / ops.sum(weights, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None  # the steps are averaged away

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


class RecordsMask(layers.Layer):
    """Passes its input on and remembers the mask ``call`` received."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = []

    def call(self, inputs, mask=None):
        self.seen.append(mask)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _mask(tensor):
    return None if tensor._keras_mask is None else np.asarray(tensor._keras_mask.data)


# -- eager ----------------------------------------------------------------------------------
def test_embedding_mask_travels_through_mask_supporting_layers():
    embedding = layers.Embedding(10, 4, mask_zero=True)
    hidden = embedding(PADDED)
    np.testing.assert_array_equal(_mask(hidden), PADDED != 0)
    for layer in (layers.Dense(3), layers.Activation("relu"), layers.Dropout(0.5), layers.Identity()):
        out = layer(hidden, training=True)
        np.testing.assert_array_equal(_mask(out), PADDED != 0, err_msg=type(layer).__name__)


def test_call_receives_the_input_mask_and_an_explicit_one_wins():
    recorder = RecordsMask()
    hidden = layers.Embedding(10, 4, mask_zero=True)(PADDED)
    recorder(hidden)
    np.testing.assert_array_equal(np.asarray(recorder.seen[-1].data), PADDED != 0)
    explicit = np.ones((3, 5), dtype=bool)
    explicit[:, -1] = False
    out = recorder(hidden, mask=explicit)
    np.testing.assert_array_equal(np.asarray(recorder.seen[-1].data), explicit)
    # The output has a mask already (the input's, same tensor), so it keeps it, as Keras.
    np.testing.assert_array_equal(_mask(out), PADDED != 0)
    recorder(Tensor(np.ones((3, 5, 4), "float32")))
    assert recorder.seen[-1] is None


def test_layer_without_masking_support_drops_the_mask_with_a_warning():
    hidden = layers.Embedding(10, 4, mask_zero=True)(PADDED)
    with pytest.warns(UserWarning, match="does not support masking"):
        flat = layers.Flatten()(hidden)
    assert flat._keras_mask is None


def test_supports_masking_defaults_as_keras():
    assert not layers.Layer().supports_masking
    assert layers.Dense(2).supports_masking
    assert MaskedMean().supports_masking  # overrides compute_mask
    assert not layers.Embedding(5, 2).supports_masking
    assert layers.Embedding(5, 2, mask_zero=True).supports_masking
    layer = layers.Layer()
    layer.supports_masking = True
    mask = Tensor(np.array([[True, False]]))
    assert layer.compute_mask(None, mask) is mask
    assert layers.Layer().compute_mask(None, mask) is None


def test_cast_to_the_layer_dtype_keeps_the_mask():
    x = Tensor(np.ones((2, 3, 4), dtype="float64"))
    x._keras_mask = Tensor(np.array([[True, True, False], [True, False, False]]))
    out = layers.Dense(2)(x)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(_mask(out), np.asarray(x._keras_mask.data))


def test_mask_of_the_wrong_shape_names_layer_shapes_and_fix():
    hidden = layers.Embedding(10, 4, mask_zero=True)(PADDED)
    with pytest.raises(ValueError, match=r"'bad_mask'.*\(3, 4\).*\(3, 5, 4\).*leading axes"):
        layers.Dense(2, name="bad_mask")(hidden, mask=np.ones((3, 4), dtype=bool))


def test_explicit_mask_for_a_call_without_mask_argument_is_refused():
    class NoMask(layers.Layer):
        def call(self, inputs):
            return inputs

    with pytest.raises(TypeError, match="no `mask` argument"):
        NoMask()(Tensor(np.ones((2, 3))), mask=np.ones((2,), dtype=bool))


@pytest.mark.filterwarnings("ignore:Layer 'takes_kwargs")  # no supports_masking: Keras warns too
def test_explicit_mask_reaches_a_call_with_kwargs():
    class TakesKwargs(layers.Layer):
        def call(self, inputs, **kwargs):
            self.received = kwargs.get("mask")
            return inputs

    layer = TakesKwargs()
    hidden = layers.Embedding(10, 4, mask_zero=True)(PADDED)
    layer(hidden)
    assert layer.received is None  # as Keras: the carried mask goes only to a call naming `mask`
    layer(hidden, mask=PADDED > 1)
    np.testing.assert_array_equal(np.asarray(layer.received.data), PADDED > 1)


class TwoInputs(layers.Layer):
    """Reads the masks of two tensor arguments, as Keras's attention layers do."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, query, value, query_mask=None, value_mask=None):
        self.received = (query_mask, value_mask)
        return query

    def compute_output_shape(self, query_shape):
        return query_shape


def test_named_tensor_arguments_get_their_masks_as_name_mask():
    embedding = layers.Embedding(10, 4, mask_zero=True)
    query, value = embedding(PADDED), embedding(PADDED[:, ::-1].copy())
    layer = TwoInputs()
    layer(query, value)
    np.testing.assert_array_equal(np.asarray(layer.received[0].data), PADDED != 0)
    np.testing.assert_array_equal(np.asarray(layer.received[1].data), PADDED[:, ::-1] != 0)
    explicit = np.ones((3, 5), dtype=bool)
    layer(query, value=value, query_mask=explicit)
    assert layer.received[0] is explicit
    np.testing.assert_array_equal(np.asarray(layer.received[1].data), PADDED[:, ::-1] != 0)
    layer(Tensor(np.ones((3, 5, 4), "float32")), Tensor(np.ones((3, 5, 4), "float32")))
    assert layer.received == (None, None)
    # In a functional graph the masks are found again when the model runs.
    inputs = numeras.Input((5,), dtype="int32")
    hidden = embedding(inputs)
    in_graph = TwoInputs()
    Model(inputs, in_graph(hidden, hidden)).predict(PADDED, verbose=0)
    for received in in_graph.received:
        np.testing.assert_array_equal(np.asarray(received.data), PADDED != 0)


def test_python_operators_drop_symbolic_masks_silently_as_keras_ops():
    hidden = layers.Embedding(10, 4, mask_zero=True)(numeras.Input((5,), dtype="int32"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        doubled = hidden * 2.0
    assert doubled._keras_mask is None


# -- symbolic and functional ----------------------------------------------------------------
def _masked_mean_model():
    inputs = numeras.Input((5,), dtype="int32")
    hidden = layers.Embedding(10, 4, mask_zero=True)(inputs)
    hidden = layers.Dense(3)(hidden)
    return inputs, hidden, Model(inputs, MaskedMean()(hidden))


def test_symbolic_tensors_carry_masks_of_the_right_shape():
    inputs, hidden, model = _masked_mean_model()
    assert inputs._keras_mask is None
    assert hidden._keras_mask is not None
    assert hidden._keras_mask.shape == (None, 5)
    assert hidden._keras_mask.dtype == "bool"
    assert model.output._keras_mask is None
    pooled = layers.GlobalAveragePooling1D()(hidden)
    assert pooled._keras_mask is None


def test_functional_predict_on_padded_input_equals_the_unpadded_sequences():
    _, _, model = _masked_mean_model()
    padded = model.predict(PADDED, verbose=0)
    embedding, dense = model.layers[1], model.layers[2]
    for row, length in enumerate((3, 1, 5)):
        alone = MaskedMean()(dense(embedding(PADDED[row : row + 1, :length])))
        np.testing.assert_allclose(padded[row], np.asarray(alone.data)[0], rtol=1e-6, atol=1e-7)
    # Without the mask the padded steps would count: the answer differs.
    unmasked = np.asarray(dense(Tensor(np.asarray(embedding(PADDED).data))).data).mean(axis=1)
    assert not np.allclose(unmasked[0], padded[0])


@pytest.mark.filterwarnings("ignore:Layer 'sequential")  # Keras warns too: a model drops masks
def test_sequential_takes_an_explicit_mask():
    model = Sequential([layers.Dense(3), MaskedMean()])
    x = np.random.default_rng(2).normal(size=(2, 4, 5)).astype("float32")
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    got = np.asarray(model(x, mask=mask).data)
    dense = model.layers[0]
    want = [np.asarray(dense(x[r : r + 1, : int(mask[r].sum())]).data)[0].mean(axis=0) for r in range(2)]
    np.testing.assert_allclose(got, np.stack(want), rtol=1e-6)


def test_sequential_with_and_without_input_applies_the_mask():
    embedding = layers.Embedding(10, 4, mask_zero=True)
    dense = layers.Dense(3)
    with_input = Sequential([layers.Input((5,), dtype="int32"), embedding, dense, layers.GlobalAveragePooling1D()])
    without_input = Sequential([embedding, dense, layers.GlobalAveragePooling1D()])
    want = np.stack(
        [np.asarray(dense(embedding(PADDED[r : r + 1, :n])).data)[0].mean(axis=0) for r, n in enumerate((3, 1, 5))]
    )
    np.testing.assert_allclose(with_input.predict(PADDED, verbose=0), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(without_input(PADDED).data), want, rtol=1e-6, atol=1e-7)


def test_symbolic_mask_can_be_passed_explicitly_in_a_graph():
    inputs = numeras.Input((5,), dtype="int32")
    hidden = layers.Embedding(10, 4, mask_zero=True)(inputs)
    plain = layers.Dense(3)(hidden)
    mask = hidden._keras_mask
    recorder = RecordsMask()
    out = MaskedMean()(recorder(plain, mask=mask))
    model = Model(inputs, out)
    model(PADDED)
    np.testing.assert_array_equal(np.asarray(recorder.seen[-1].data), PADDED != 0)


def test_symbolic_explicit_mask_for_a_call_without_mask_argument_is_refused():
    hidden = layers.Embedding(10, 4, mask_zero=True)(numeras.Input((5,), dtype="int32"))
    with pytest.raises(TypeError, match="no `mask` argument"):
        layers.Dense(2)(hidden, mask=hidden._keras_mask)


@pytest.mark.filterwarnings("ignore:Layer 'functional")  # Keras warns too: a model drops masks
def test_nested_functional_model_receives_the_outer_mask():
    inner_in = numeras.Input((5, 4))
    inner = Model(inner_in, MaskedMean()(layers.Dense(3)(inner_in)))
    outer_in = numeras.Input((5,), dtype="int32")
    embedding = layers.Embedding(10, 4, mask_zero=True)
    model = Model(outer_in, inner(embedding(outer_in)))
    got = np.asarray(model(PADDED).data)
    want = np.asarray(inner(Tensor(np.asarray(embedding(PADDED).data)), mask=PADDED != 0).data)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    unmasked = np.asarray(inner(Tensor(np.asarray(embedding(PADDED).data))).data)
    assert not np.allclose(got[0], unmasked[0])


# -- Masking, pooling, merges, Lambda -------------------------------------------------------
def test_masking_layer_masks_and_zeroes_steps_equal_to_mask_value():
    x = np.arange(24, dtype="float32").reshape(2, 4, 3) + 1
    x[0, 1] = -1.0
    x[1, 3] = -1.0
    x[1, 0, 0] = -1.0  # one feature only: not masked
    out = layers.Masking(mask_value=-1.0)(x)
    np.testing.assert_array_equal(_mask(out), [[True, False, True, True], [True, True, True, False]])
    np.testing.assert_array_equal(np.asarray(out.data)[0, 1], 0.0)
    np.testing.assert_array_equal(np.asarray(out.data)[0, 0], x[0, 0])
    symbolic = layers.Masking()(numeras.Input((4, 3)))
    assert symbolic._keras_mask.shape == (None, 4)
    restored = layers.Masking.from_config(layers.Masking(mask_value=2.5).get_config())
    assert restored.mask_value == 2.5
    with pytest.raises(TypeError, match="mask_value"):
        layers.Masking(mask_value="pad")


def test_global_average_pooling_1d_averages_unmasked_steps_and_gradients_skip_the_rest():
    rng = np.random.default_rng(0)
    x = numeras.Variable(rng.normal(size=(2, 4, 3)).astype("float32"))
    x.data[1, 2:] = np.nan  # masked steps may hold anything
    mask = np.array([[True, True, False, True], [True, True, False, False]])
    pooled = layers.GlobalAveragePooling1D()(x, mask=mask)
    want = np.stack([x.data[0][mask[0]].mean(axis=0), x.data[1][mask[1]].mean(axis=0)])
    np.testing.assert_allclose(np.asarray(pooled.data), want, rtol=1e-6)
    assert pooled._keras_mask is None
    ops.sum(pooled).backward()
    np.testing.assert_array_equal(x.grad[~mask], 0.0)
    np.testing.assert_allclose(x.grad[0, 0], 1 / 3, rtol=1e-6)
    first = layers.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    swapped = first(Tensor(np.transpose(np.nan_to_num(x.data), (0, 2, 1))), mask=mask)
    np.testing.assert_allclose(np.asarray(swapped.data)[..., 0], want, rtol=1e-6)


def test_global_max_pooling_1d_does_not_support_masking_as_keras():
    hidden = layers.Embedding(10, 4, mask_zero=True)(PADDED)
    with pytest.warns(UserWarning, match="does not support masking"):
        out = layers.GlobalMaxPooling1D()(hidden)
    np.testing.assert_allclose(np.asarray(out.data), np.asarray(hidden.data).max(axis=1))


def _masked(values, mask):
    tensor = Tensor(np.asarray(values, dtype="float32"))
    tensor._keras_mask = None if mask is None else Tensor(np.asarray(mask, dtype=bool))
    return tensor


def test_elementwise_merges_or_their_masks():
    a = _masked(np.ones((2, 3, 2)), [[1, 1, 0], [1, 0, 0]])
    b = _masked(np.full((2, 3, 2), 2.0), [[1, 0, 0], [1, 1, 0]])
    for merge in (layers.Add(), layers.Subtract(), layers.Average(), layers.Multiply(), layers.Maximum()):
        out = merge([a, b])
        np.testing.assert_array_equal(_mask(out), [[1, 1, 0], [1, 1, 0]], err_msg=type(merge).__name__)
    no_mask = _masked(np.ones((2, 3, 2)), None)
    assert layers.Add()([a, no_mask])._keras_mask is None
    assert layers.Dot(axes=2)([a, b])._keras_mask is None


def test_multiply_maximum_minimum_ignore_masked_entries_as_keras():
    a = _masked([[[3.0], [5.0], [7.0]]], [[1, 0, 1]])
    b = _masked([[[2.0], [4.0], [6.0]]], [[1, 1, 0]])
    np.testing.assert_allclose(np.asarray(layers.Multiply()([a, b]).data)[0, :, 0], [6.0, 4.0, 7.0])
    np.testing.assert_allclose(np.asarray(layers.Maximum()([a, b]).data)[0, :, 0], [3.0, 4.0, 7.0])
    np.testing.assert_allclose(np.asarray(layers.Minimum()([a, b]).data)[0, :, 0], [2.0, 4.0, 7.0])
    both_masked = _masked([[[3.0]]], [[0]])
    np.testing.assert_allclose(np.asarray(layers.Multiply()([both_masked, _masked([[[2.0]]], [[0]])]).data), 0.0)


def test_concatenate_joins_masks():
    a = _masked(np.ones((1, 3, 2)), [[1, 1, 0]])
    b = _masked(np.ones((1, 3, 2)), None)
    np.testing.assert_array_equal(_mask(layers.Concatenate()([a, b])), [[1, 1, 1]])
    np.testing.assert_array_equal(_mask(layers.Concatenate(axis=1)([a, b])), [[1, 1, 0, 1, 1, 1]])
    assert layers.Concatenate()([b, b])._keras_mask is None


def test_lambda_passes_masks_only_when_told_how():
    hidden = layers.Embedding(10, 4, mask_zero=True)(PADDED)
    keep = layers.Lambda(lambda x: x * 2, mask=lambda inputs, mask: mask)(hidden)
    np.testing.assert_array_equal(_mask(keep), PADDED != 0)
    seen = []
    reads = layers.Lambda(lambda x, mask=None: seen.append(mask) or x, mask=lambda inputs, mask: None)
    assert reads(hidden)._keras_mask is None or reads(hidden) is hidden
    np.testing.assert_array_equal(np.asarray(seen[0].data), PADDED != 0)
    with pytest.warns(UserWarning, match="does not support masking"):
        layers.Lambda(lambda x: x * 2)(hidden)


# -- losses and metrics ---------------------------------------------------------------------
def test_loss_weighted_by_the_prediction_mask_is_the_mean_over_unmasked_entries():
    rng = np.random.default_rng(1)
    y_pred = rng.normal(size=(3, 5, 2)).astype("float32")
    y_true = rng.normal(size=(3, 5, 2)).astype("float32")
    mask = PADDED != 0
    per_step = ((y_pred - y_true) ** 2).mean(axis=-1)
    loss = float(losses.MeanSquaredError()(y_true, _masked(y_pred, mask)))
    np.testing.assert_allclose(loss, per_step[mask].mean(), rtol=1e-6)
    summed = float(losses.MeanSquaredError(reduction="sum")(y_true, _masked(y_pred, mask)))
    np.testing.assert_allclose(summed, per_step[mask].sum(), rtol=1e-6)
    weights = np.array([1.0, 2.0, 0.5], dtype="float32")
    weighted = float(losses.MeanSquaredError()(y_true, _masked(y_pred, mask), sample_weight=weights))
    np.testing.assert_allclose(weighted, (per_step * weights[:, None])[mask].sum() / mask.sum(), rtol=1e-6)
    all_masked = float(losses.MeanSquaredError()(y_true, _masked(y_pred, np.zeros((3, 5)))))
    assert all_masked == 0.0


def test_mean_metric_wrapper_weights_entries_by_the_prediction_mask():
    y_true = np.array([[0, 1, 2, 0], [1, 1, 0, 0]])
    probs = np.eye(3, dtype="float32")[[[0, 1, 1, 2], [1, 0, 2, 2]]]
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]])
    metric = metrics.SparseCategoricalAccuracy()
    metric.update_state(y_true, _masked(probs, mask))
    correct = probs.argmax(-1) == y_true
    np.testing.assert_allclose(metric.result(), correct[mask.astype(bool)].mean(), rtol=1e-6)


def test_fit_leaves_padding_out_of_the_gradient():
    inputs = numeras.Input((5,), dtype="int32")
    embedding = layers.Embedding(10, 4, mask_zero=True)
    model = Model(inputs, layers.Dense(3, activation="softmax")(embedding(inputs)))
    model.compile(optimizer=numeras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    padding_row = embedding.get_weights()[0][0].copy()
    model.fit(PADDED, np.ones((3, 5), dtype="int32"), epochs=2, verbose=0)
    # Row 0 is only looked up at padded steps, which the mask gives weight 0.
    np.testing.assert_array_equal(embedding.get_weights()[0][0], padding_row)
    assert not np.allclose(embedding.get_weights()[0][1], padding_row)


# -- against Keras ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keras_results():
    return np.load(FIXTURES)


def _sequence_model(units, activation):
    inputs = numeras.Input((6,), dtype="int32")
    hidden = layers.Embedding(12, 4, mask_zero=True)(inputs)
    return Model(inputs, layers.Dense(units, activation=activation)(hidden))


def test_masked_classification_matches_keras(keras_results):
    f = keras_results
    model = _sequence_model(3, "softmax")
    model.set_weights([f[f"cls_weight_{i}"] for i in range(3)])
    model.compile(
        optimizer=numeras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    np.testing.assert_allclose(model.predict(f["x"], verbose=0), f["cls_pred"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(f["x"], f["cls_y"], batch_size=8, verbose=0), f["cls_eval_full"], rtol=1e-5)
    np.testing.assert_allclose(
        model.evaluate(f["x"], f["cls_y"], batch_size=3, verbose=0), f["cls_eval_batches"], rtol=1e-5
    )
    model.train_on_batch(f["x"], f["cls_y"])
    for index, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, f[f"cls_trained_{index}"], rtol=1e-5, atol=1e-6)


def test_masked_regression_matches_keras(keras_results):
    f = keras_results
    model = _sequence_model(2, None)
    model.set_weights([f[f"reg_weight_{i}"] for i in range(3)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    np.testing.assert_allclose(model.predict(f["x"], verbose=0), f["reg_pred"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(f["x"], f["reg_y"], batch_size=8, verbose=0), f["reg_eval_full"], rtol=1e-5)


def test_masking_and_masked_pooling_match_keras(keras_results):
    f = keras_results
    inputs = numeras.Input((5, 3))
    hidden = layers.Dense(2)(layers.Masking(0.0)(inputs))
    model = Model(inputs, layers.GlobalAveragePooling1D()(hidden))
    model.set_weights([f[f"pool_weight_{i}"] for i in range(2)])
    np.testing.assert_allclose(model.predict(f["pool_x"], verbose=0), f["pool_pred"], rtol=1e-5, atol=1e-6)


def test_no_warning_for_unmasked_models():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = Sequential([layers.Input((4,)), layers.Dense(3), layers.Flatten(), layers.Dense(1)])
        model.predict(np.ones((2, 4), "float32"), verbose=0)
