"""Data seen one batch at a time (generators, PyDataset, other iterables) through fit, evaluate and
predict: each trains exactly as the same arrays do, and each misuse fails clearly before (or at
the batch where) it happens, leaving no worker thread or process behind."""

import multiprocessing
import sys
import threading
import traceback
import warnings

import numpy as np
import pytest

import numeras
from numeras import layers, models
from numeras.trainers.data_adapters import (
    GeneratorDataAdapter,
    IterableDataAdapter,
    PyDatasetAdapter,
    get_data_adapter,
)

BATCH = 8
SAMPLES = 40


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, 4)).astype("float32")
    y = (rng.random(SAMPLES) * 3).astype("int64")
    return x, y


def _model():
    numeras.utils.set_random_seed(7)
    model = models.Sequential([layers.Input((4,)), layers.Dense(6, activation="relu"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _batches(x, y, w=None):
    for start in range(0, len(x), BATCH):
        part = slice(start, start + BATCH)
        yield (x[part], y[part]) if w is None else (x[part], y[part], w[part])


def _endless(x, y, w=None):
    while True:
        yield from _batches(x, y, w)


class Batches(numeras.utils.PyDataset):
    def __init__(self, x, y, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y

    def __len__(self):
        return -(-len(self.x) // BATCH)

    def __getitem__(self, index):
        part = slice(index * BATCH, (index + 1) * BATCH)
        return self.x[part], self.y[part]


class ReIterable:
    """What numeras.utils.Dataset, a torch DataLoader or a tf.data.Dataset look like to fit: a new
    pass per iter(), a length, batches collated as lists."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return -(-len(self.x) // BATCH)

    def __iter__(self):
        return (list(batch) for batch in _batches(self.x, self.y))


def _array_run(epochs=2, **fit_kwargs):
    x, y = _data()
    model = _model()
    history = model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0, **fit_kwargs)
    return model, history


def _assert_same_weights(a, b):
    for left, right in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(left, right, rtol=1e-6, atol=1e-7)


def _no_workers_left():
    # The product pool (backend/split_products.py) lives as long as the process, like BLAS threads.
    left = [t.name for t in threading.enumerate()
            if t is not threading.main_thread() and not t.name.startswith("numeras-product")]
    assert left == []
    assert multiprocessing.active_children() == []


# -- the same training as arrays --------------------------------------------------------------
def test_fit_on_a_generator_trains_as_the_same_arrays():
    x, y = _data()
    expected, expected_history = _array_run()
    model = _model()
    history = model.fit(_endless(x, y), steps_per_epoch=SAMPLES // BATCH, epochs=2, shuffle=False, verbose=0)
    _assert_same_weights(expected, model)
    np.testing.assert_allclose(history.history["loss"], expected_history.history["loss"], rtol=1e-6)


def test_a_finite_generator_without_steps_is_one_epoch_read_to_the_end():
    x, y = _data()
    expected, _ = _array_run(epochs=1)
    model = _model()
    model.fit(_batches(x, y), epochs=1, shuffle=False, verbose=0)
    _assert_same_weights(expected, model)


@pytest.mark.parametrize("use_multiprocessing", [False, True], ids=["threads", "processes"])
def test_fit_on_a_py_dataset_with_two_workers_trains_as_the_same_arrays(use_multiprocessing):
    x, y = _data()
    expected, _ = _array_run()
    model = _model()
    model.fit(Batches(x, y, workers=2, use_multiprocessing=use_multiprocessing), epochs=2, shuffle=False, verbose=0)
    _assert_same_weights(expected, model)
    _no_workers_left()


def test_fit_on_an_iterable_with_iterable_validation_data_trains_as_the_same_arrays():
    x, y = _data()
    expected, expected_history = _array_run(validation_data=(x[:16], y[:16]))
    model = _model()
    history = model.fit(ReIterable(x, y), validation_data=ReIterable(x[:16], y[:16]), epochs=2, shuffle=False,
                        verbose=0)
    _assert_same_weights(expected, model)
    for key in ("val_loss", "val_accuracy", "loss"):
        np.testing.assert_allclose(history.history[key], expected_history.history[key], rtol=1e-6)


def test_validation_data_may_be_a_generator_or_a_py_dataset():
    x, y = _data()
    _, expected = _array_run(validation_data=(x[:16], y[:16]))
    generator_run = _model().fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                                 validation_data=_endless(x[:16], y[:16]), validation_steps=2)
    dataset_run = _model().fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                               validation_data=Batches(x[:16], y[:16], workers=2))
    for history in (generator_run, dataset_run):
        np.testing.assert_allclose(history.history["val_loss"], expected.history["val_loss"], rtol=1e-6)
    _no_workers_left()


def test_evaluate_and_predict_read_every_kind_like_arrays():
    x, y = _data()
    model, _ = _array_run(epochs=1)
    expected_eval = model.evaluate(x, y, batch_size=BATCH, verbose=0)
    expected_pred = model.predict(x, batch_size=BATCH, verbose=0)
    for data in (_batches(x, y), Batches(x, y), Batches(x, y, workers=3), ReIterable(x, y)):
        np.testing.assert_allclose(model.evaluate(data, verbose=0), expected_eval, rtol=1e-6)
    inputs_only = (x[i : i + BATCH] for i in range(0, SAMPLES, BATCH))  # bare arrays: (x,) batches
    for data in (inputs_only, Batches(x, y, workers=2), ReIterable(x, y)):
        np.testing.assert_allclose(model.predict(data, verbose=0), expected_pred, rtol=1e-6)
    _no_workers_left()


def test_class_weight_with_a_generator_weighs_as_with_arrays():
    x, y = _data()
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    expected, _ = _array_run(class_weight=weights)
    model = _model()
    model.fit(_endless(x, y), steps_per_epoch=SAMPLES // BATCH, epochs=2, class_weight=weights, shuffle=False,
              verbose=0)
    _assert_same_weights(expected, model)


def test_sample_weights_in_generator_batches_weigh_as_with_arrays():
    x, y = _data()
    w = np.linspace(0.1, 2.0, SAMPLES).astype("float32")
    expected, _ = _array_run(sample_weight=w)
    model = _model()
    model.fit(_endless(x, y, w), steps_per_epoch=SAMPLES // BATCH, epochs=2, shuffle=False, verbose=0)
    _assert_same_weights(expected, model)


def test_shuffling_a_py_dataset_visits_every_batch_in_a_seeded_order():
    x, y = _data()
    seen = []

    class Recording(Batches):
        def __getitem__(self, index):
            seen.append(index)
            return super().__getitem__(index)

    def epoch_order(adapter):
        seen.clear()
        list(adapter.get_numpy_iterator())
        return list(seen)

    numeras.utils.set_random_seed(3)
    adapter = get_data_adapter(Recording(x, y), shuffle=True)
    first, second = epoch_order(adapter), epoch_order(adapter)
    assert sorted(first) == sorted(second) == list(range(5))
    assert first != second and list(range(5)) not in (first, second)
    numeras.utils.set_random_seed(3)
    assert epoch_order(get_data_adapter(Recording(x, y), shuffle=True)) == first


def test_on_epoch_end_is_called_after_every_epoch():
    x, y = _data()
    calls = []

    class Counting(Batches):
        def on_epoch_end(self):
            calls.append("end")

    _model().fit(Counting(x, y, workers=2), epochs=3, shuffle=False, verbose=0)
    assert calls == ["end"] * 3


def test_an_endless_py_dataset_continues_from_where_the_last_epoch_stopped():
    x, y = _data()
    indices = []

    class Endless(numeras.utils.PyDataset):
        num_batches = None

        def __getitem__(self, index):
            indices.append(index)
            return x[:BATCH], y[:BATCH]

    dataset = Endless()
    _model().fit(dataset, steps_per_epoch=3, epochs=2, shuffle=False, verbose=0)
    # Index 0, read before training to check the model, is not read again.
    assert indices == [0, 1, 2, 3, 4, 5]


def test_the_number_of_batches_of_a_sized_iterable_is_its_length():
    x, y = _data()
    adapter = get_data_adapter(ReIterable(x, y))
    assert isinstance(adapter, IterableDataAdapter) and adapter.num_batches == 5
    generator = get_data_adapter(_batches(x, y))
    assert isinstance(generator, GeneratorDataAdapter) and generator.num_batches is None
    assert len(list(generator.get_numpy_iterator())) == 5
    assert generator.num_batches == 5  # learned from the first pass
    assert isinstance(get_data_adapter(Batches(x, y)), PyDatasetAdapter)


def test_sequence_is_the_first_editions_name_of_py_dataset():
    assert numeras.utils.Sequence is numeras.utils.PyDataset


def test_a_py_dataset_that_skips_super_init_warns_and_still_works():
    x, y = _data()

    class Legacy(numeras.utils.Sequence):
        def __init__(self):
            self.x, self.y = x, y

        def __len__(self):
            return 5

        def __getitem__(self, index):
            return self.x[index * BATCH : (index + 1) * BATCH], self.y[index * BATCH : (index + 1) * BATCH]

    with pytest.warns(UserWarning, match="super\\(\\).__init__"):
        _model().fit(Legacy(), epochs=1, verbose=0)


# -- the first edition's generator methods ------------------------------------------------------
def test_fit_evaluate_and_predict_generator_warn_and_work():
    x, y = _data()
    expected, _ = _array_run()
    model = _model()
    with pytest.warns(DeprecationWarning, match="model.fit_generator.*use `model.fit`"):
        history = model.fit_generator(_endless(x, y), steps_per_epoch=SAMPLES // BATCH, epochs=2, verbose=0,
                                      validation_data=_endless(x, y), validation_steps=2)
    _assert_same_weights(expected, model)
    assert len(history.history["val_loss"]) == 2
    with pytest.warns(DeprecationWarning, match="evaluate_generator.*use `model.evaluate`"):
        loss = model.evaluate_generator(_batches(x, y))
    np.testing.assert_allclose(loss, model.evaluate(x, y, batch_size=BATCH, verbose=0), rtol=1e-6)
    with pytest.warns(DeprecationWarning, match="predict_generator.*use `model.predict`"):
        predicted = model.predict_generator(Batches(x, y), steps=5, workers=2)
    np.testing.assert_allclose(predicted, model.predict(x, verbose=0), rtol=1e-6)
    _no_workers_left()


def test_fit_generator_does_not_warn_about_shuffling_a_generator():
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", DeprecationWarning)
        _model().fit_generator(_endless(x, y), steps_per_epoch=2, epochs=1, verbose=0)


# -- misuse ---------------------------------------------------------------------------------
def test_a_generator_without_steps_per_epoch_for_several_epochs_is_refused_before_training():
    x, y = _data()
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="Python generator and `steps_per_epoch` is None.*steps_per_epoch=<batches"):
        model.fit(_endless(x, y), epochs=2, shuffle=False, verbose=0)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # refused before any step


def test_a_validation_generator_without_validation_steps_for_several_epochs_is_refused():
    x, y = _data()
    with pytest.raises(ValueError, match="`validation_steps` is None"):
        _model().fit(x, y, epochs=2, validation_data=_endless(x, y), verbose=0)


def test_an_endless_py_dataset_without_steps_is_refused_before_training():
    class Endless(numeras.utils.PyDataset):
        num_batches = None

        def __getitem__(self, index):
            raise AssertionError("read before the check")

    with pytest.raises(ValueError, match="endless PyDataset.*steps_per_epoch="):
        _model().fit(Endless(), verbose=0)
    with pytest.raises(ValueError, match="endless PyDataset.*`steps="):
        _model().predict(Endless(), verbose=0)


def test_a_generator_that_runs_out_warns_and_stops_training():
    x, y = _data()
    model = _model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(_batches(x, y), steps_per_epoch=3, epochs=4, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2  # 3 batches, then 2 of 3, then nothing


def test_a_batch_of_another_shape_is_named_where_it_happens():
    x, y = _data()

    def drifting():
        yield x[:8], y[:8]
        yield x[8:16], y[8:16]
        yield np.zeros((8, 5), "float32"), y[:8]

    with pytest.raises(ValueError, match=r"batch 2 of the generator has x of shape \(8, 5\).*x of shape \(None, 4\)"):
        _model().fit(drifting(), epochs=1, shuffle=False, verbose=0)


def test_axes_free_in_the_model_input_may_vary_between_batches():
    rng = np.random.default_rng(1)

    def sequences():
        for length in (5, 5, 7, 3):
            yield rng.normal(size=(2, length, 3)).astype("float32"), rng.normal(size=(2, 1)).astype("float32")

    model = models.Sequential([layers.Input((None, 3)), layers.GlobalAveragePooling1D(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(sequences(), epochs=1, shuffle=False, verbose=0)


def test_mismatched_sample_counts_inside_a_batch_are_named():
    x, y = _data()

    def short_labels():
        yield x[:8], y[:7]

    with pytest.raises(ValueError, match=r"batch 0 of the generator.*x has 8, y has 7"):
        _model().fit(short_labels(), epochs=1, shuffle=False, verbose=0)


def test_a_batch_that_is_not_a_tuple_of_arrays_is_refused_with_the_accepted_forms():
    with pytest.raises(ValueError, match=r"batch 0 of the generator is a tuple of 4 items.*\(x, y, sample_weight\)"):
        get_data_adapter(iter([(1, 2, 3, 4)]))


def test_an_empty_generator_is_refused():
    with pytest.raises(ValueError, match="yielded no batch"):
        _model().fit(iter([]), epochs=1, shuffle=False, verbose=0)


def test_shuffle_true_with_a_generator_warns_that_it_is_ignored_as_in_keras():
    x, y = _data()
    with pytest.warns(UserWarning, match="`shuffle=True` is ignored because `x` is a generator"):
        _model().fit(_batches(x, y), epochs=1, verbose=0)


def test_y_with_a_generator_is_refused():
    x, y = _data()
    with pytest.raises(ValueError, match="`y` must not be passed.*come from the generator"):
        _model().fit(_batches(x, y), y, verbose=0)


@pytest.mark.parametrize("use_multiprocessing", [False, True], ids=["threads", "processes"])
def test_an_error_in_a_worker_stops_the_workers_and_is_raised_with_its_traceback(use_multiprocessing):
    x, y = _data()

    class Broken(Batches):
        def __getitem__(self, index):
            if index == 3:
                raise KeyError(f"no file for batch {index}")
            return super().__getitem__(index)

    dataset = Broken(x, y, workers=2, use_multiprocessing=use_multiprocessing, max_queue_size=2)
    with pytest.raises(KeyError, match="no file for batch 3") as caught:
        _model().fit(dataset, epochs=2, shuffle=False, verbose=0)
    if use_multiprocessing:
        assert "in __getitem__" in str(caught.value.__cause__)  # the worker's traceback, as text
    else:
        assert "__getitem__" in [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    if sys.version_info >= (3, 11):  # exception notes
        assert any("__getitem__(3)" in note for note in caught.value.__notes__)
    _no_workers_left()


def test_an_error_in_a_training_step_stops_the_workers():
    x, y = _data()
    model = _model()

    class Failing(numeras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        model.fit(Batches(x, y, workers=2, max_queue_size=3), epochs=1, verbose=0, callbacks=[Failing()])
    _no_workers_left()


def test_stopping_early_stops_the_workers():
    x, y = _data()
    model = _model()

    class Stop(numeras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    model.fit(Batches(x, y, workers=2), epochs=3, verbose=0, callbacks=[Stop()])
    _no_workers_left()


def test_bad_worker_settings_are_refused():
    x, y = _data()
    with pytest.raises(ValueError, match="`workers` must be an integer >= 0"):
        get_data_adapter(Batches(x, y, workers=-1))
    with pytest.raises(ValueError, match="`max_queue_size` must be an integer >= 1"):
        get_data_adapter(Batches(x, y, workers=2, max_queue_size=0))


class _FakeTorchTensor:
    """What fit sees of a torch tensor that requires grad: .detach().cpu().numpy(), no NumPy
    conversion of its own (torch refuses __array__ on such a tensor)."""

    def __init__(self, array):
        self.array = array

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.array


class _FakeDataLoader:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return -(-len(self.x) // BATCH)

    def __iter__(self):
        for x, y in _batches(self.x, self.y):
            yield [_FakeTorchTensor(x.astype("float64")), _FakeTorchTensor(y)]


def test_a_data_loader_of_library_tensors_is_read_through_their_numpy_method():
    x, y = _data()
    expected, _ = _array_run()
    model = _model()  # a Sequential without Input is built from the first batch
    model.fit(_FakeDataLoader(x, y), epochs=2, shuffle=False, verbose=0)
    _assert_same_weights(expected, model)
    batch_x, _ = next(get_data_adapter(_FakeDataLoader(x, y)).get_numpy_iterator())
    assert batch_x.dtype == np.float32  # floating data arrives as floatx


def test_a_model_without_an_input_is_built_from_the_first_batch_before_training():
    x, y = _data()
    numeras.utils.set_random_seed(7)
    model = models.Sequential([layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(_batches(x, y), epochs=1, shuffle=False, verbose=0)
    assert model.built and model.get_weights()[0].shape == (4, 3)


def test_an_empty_py_dataset_is_refused():
    x, y = _data()
    with pytest.raises(ValueError, match="has no batches"):
        _model().fit(Batches(x[:0], y[:0]), verbose=0)


def test_a_generator_of_strings_is_refused_at_its_first_batch_before_any_step():
    steps = []

    class Counting(numeras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            steps.append(batch)

    text = np.array([["a", "b", "c", "d"]] * BATCH)
    with pytest.raises(TypeError, match="`x` holds strings.*model's inputs are numeric"):
        _model().fit(iter([(text, np.zeros(BATCH))]), shuffle=False, verbose=0, callbacks=[Counting()])
    assert steps == []
