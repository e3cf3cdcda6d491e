"""Bad input that used to pass silently or fail late now fails before the first step with a clear
error: NaN/inf in x or y, no samples, strings or objects where numbers are needed, class_weight
keys that are not classes, a negative learning rate, a pooling window larger than its input."""

import numpy as np
import pytest

import numeras
from numeras import layers, models
from numeras.trainers.data_adapters.data_adapter_utils import check_finite


def _model(optimizer="sgd", loss="sparse_categorical_crossentropy"):
    model = models.Sequential([layers.Input((3,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss=loss)
    return model


def _data(n=12):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 3)).astype("float32"), np.arange(n) % 3


class _StepCounter(numeras.callbacks.Callback):
    steps = 0

    def on_train_batch_begin(self, batch, logs=None):
        _StepCounter.steps += 1


def _fit_refused(model, *args, **kwargs):
    """fit must fail before its first step."""
    _StepCounter.steps = 0
    model.fit(*args, verbose=0, callbacks=[_StepCounter()], **kwargs)


@pytest.mark.parametrize("bad, kind", [(np.nan, "1 NaN, 0 infinite"), (np.inf, "0 NaN, 1 infinite")])
def test_a_non_finite_value_in_x_is_refused_with_its_count_and_first_index(bad, kind):
    x, y = _data()
    x[5, 2] = bad
    with pytest.raises(ValueError, match=rf"`x` holds 1 non-finite value \({kind}\) out of 36; the first is x\[5, 2\]"):
        _fit_refused(_model(), x, y)
    assert _StepCounter.steps == 0


def test_non_finite_targets_are_refused_in_fit_and_evaluate():
    x, _ = _data()
    y = np.ones((12, 3), "float32")
    y[[2, 7], 0] = np.nan
    model = _model(loss="mse")
    with pytest.raises(ValueError, match=r"fit: `y` holds 2 non-finite values \(2 NaN, 0 infinite\).*y\[2, 0\]"):
        _fit_refused(model, x, y)
    with pytest.raises(ValueError, match=r"evaluate: `y` holds 2 non-finite"):
        model.evaluate(x, y, verbose=0)


def test_non_finite_validation_data_is_refused_before_training():
    x, y = _data()
    bad = x.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"fit \(validation_data\): `x` holds 1 non-finite"):
        _fit_refused(_model(), x, y, validation_data=(bad, y))
    assert _StepCounter.steps == 0


def test_an_overflowing_sum_of_finite_values_is_not_mistaken_for_infinity():
    big = np.full((4, 3), 3e38, dtype="float32")  # the sum overflows float32, every value is finite
    check_finite(big, "x", "fit")
    big[3, 1] = -np.inf
    with pytest.raises(ValueError, match=r"the first is x\[3, 1\] = -inf"):
        check_finite(big, "x", "fit")


def test_integer_data_is_not_checked_for_nan():
    check_finite(np.arange(6).reshape(2, 3), "x", "fit")


def test_empty_x_is_refused_by_fit_evaluate_and_predict():
    x, y = np.zeros((0, 3), "float32"), np.zeros(0, "int64")
    model = _model()
    with pytest.raises(ValueError, match=r"fit: `x` holds no samples \(shape \(0, 3\)\)"):
        _fit_refused(model, x, y)
    with pytest.raises(ValueError, match="evaluate: `x` holds no samples"):
        model.evaluate(x, y, verbose=0)
    with pytest.raises(ValueError, match="predict: `x` holds no samples"):
        model.predict(x, verbose=0)


def test_empty_y_for_non_empty_x_is_refused():
    x, _ = _data()
    with pytest.raises(ValueError, match="x has 12.*y has 0"):
        _fit_refused(_model(), x, np.zeros(0))


def test_string_inputs_are_refused_before_the_first_step():
    _, y = _data(2)
    with pytest.raises(TypeError, match=r"fit: `x` holds strings \(dtype <U1, e.g. 'a'\).*numeric"):
        _fit_refused(_model(), np.array([["a", "b", "c"], ["d", "e", "f"]]), y)
    assert _StepCounter.steps == 0


def test_string_labels_are_refused_with_an_encoding_hint():
    x, _ = _data(3)
    with pytest.raises(TypeError, match=r"`y` holds strings.*numpy.unique\(y, return_inverse=True\)"):
        _fit_refused(_model(), x, np.array(["cat", "dog", "cat"]))


def test_an_object_array_of_numbers_is_converted_and_one_with_text_is_named_where_it_fails():
    x, y = _data(4)
    model = _model()
    model.fit(x.astype(object), y, verbose=0, epochs=1)  # numbers in an object array (e.g. from pandas)
    mixed = x.astype(object)
    mixed[2, 1] = "n/a"
    with pytest.raises(TypeError, match=r"`x` is an object array that does not hold only numbers: x\[2, 1\] is 'n/a'"):
        _fit_refused(model, mixed, y)


def test_class_weight_keys_that_are_not_classes_of_y_are_refused():
    x, y = _data()
    with pytest.raises(ValueError, match=r"keys \[3\] that are not classes of `y`: `y` holds the classes \[0, 1, 2\]"):
        _fit_refused(_model(), x, y, class_weight={0: 1.0, 1: 1.0, 2: 1.0, 3: 2.0})
    one_hot = np.eye(3, dtype="float32")[y]
    with pytest.raises(ValueError, match=r"keys \[5\].*one-hot with 3 classes"):
        _fit_refused(_model(loss="categorical_crossentropy"), x, one_hot, class_weight={5: 1.0})
    with pytest.raises(ValueError, match="keys must be class indices"):
        _fit_refused(_model(), x, y, class_weight={"cat": 1.0})
    with pytest.raises(ValueError, match="must be a dict"):
        _fit_refused(_model(), x, y, class_weight=[1.0, 2.0, 3.0])


def test_classes_of_y_missing_from_class_weight_warn_and_weigh_one_as_in_keras():
    x, y = _data()
    numeras.utils.set_random_seed(5)
    weighted = _model()
    with pytest.warns(UserWarning, match=r"no weight to the classes \[2\].*weight 1.0"):
        weighted.fit(x, y, class_weight={0: 1.0, 1: 1.0}, shuffle=False, verbose=0)
    numeras.utils.set_random_seed(5)
    plain = _model()
    plain.fit(x, y, shuffle=False, verbose=0)
    for a, b in zip(weighted.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_negative_learning_rate_is_refused_at_construction_and_when_set():
    with pytest.raises(ValueError, match=r"SGD: `learning_rate` must be >= 0, received -0.01"):
        numeras.optimizers.SGD(learning_rate=-0.01)
    optimizer = numeras.optimizers.RMSprop(learning_rate=1e-3)
    with pytest.raises(ValueError, match=r"RMSprop: `learning_rate` must be >= 0"):
        optimizer.learning_rate = -1.0
    optimizer.learning_rate = 0.0  # a zero rate (frozen training) is allowed
    assert float(optimizer.learning_rate.data) == 0.0


def test_a_pooling_window_larger_than_its_input_is_refused_naming_layer_window_and_shape():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'pool': the pooling window pool_size=\(4, 4\).*\(3, 3\).*"
                                         r"\(None, 3, 3, 2\)"):
        models.Sequential([layers.Input((5, 5, 1)), layers.Conv2D(2, 3), layers.MaxPooling2D(4, name="pool")])
    eager = layers.AveragePooling1D(pool_size=6)
    with pytest.raises(ValueError, match=r"AveragePooling1D .*pool_size=\(6,\).*\(4,\)"):
        eager(np.zeros((1, 4, 2), "float32"))
    same = layers.MaxPooling2D(4, padding="same")  # 'same' padding always has an output
    assert same(np.zeros((1, 3, 3, 1), "float32")).shape == (1, 1, 1, 1)


def test_class_weight_reads_one_hot_labels_per_time_step():
    from numeras.trainers.data_adapters.data_adapter_utils import ClassWeights

    labels = np.array([[0, 2, 1], [1, 1, 0]])
    weights = ClassWeights({0: 1.0, 1: 2.0, 2: 4.0}).weights_for(np.eye(3, dtype="float32")[labels])
    np.testing.assert_allclose(weights, [[1.0, 4.0, 2.0], [2.0, 2.0, 1.0]])
