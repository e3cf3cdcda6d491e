"""The data adapters: how in-memory data becomes batches (order, shuffling, the partial last
batch, dtypes, class weights, validation split) and how get_data_adapter chooses."""

import numpy as np
import pytest

import numeras
from numeras.trainers.data_adapters import ArrayDataAdapter, DataAdapter, get_data_adapter
from numeras.trainers.data_adapters.data_adapter_utils import unpack_x_y_sample_weight


def _epoch(adapter):
    """One epoch's batches as copies (a batch is a view of a buffer the next one overwrites)."""
    out = []
    for batch in adapter.get_numpy_iterator():
        x, y, w = unpack_x_y_sample_weight(batch)
        out.append(tuple(None if a is None else np.array(a) for a in (x, y, w)))
    return out


def _data(n=10, features=3):
    x = np.arange(n * features, dtype=np.float64).reshape(n, features)
    y = np.arange(n, dtype=np.int64) % 3
    return x, y


def test_batches_in_order_with_a_partial_last_batch():
    x, y = _data(10)
    adapter = get_data_adapter(x, y, batch_size=4)
    assert isinstance(adapter, ArrayDataAdapter)
    assert (adapter.num_batches, adapter.batch_size) == (3, 4)
    assert adapter.has_partial_batch and adapter.partial_batch_size == 2
    batches = _epoch(adapter)
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    assert all(b[2] is None for b in batches)


def test_even_division_has_no_partial_batch():
    x, y = _data(8)
    adapter = get_data_adapter(x, y, batch_size=4)
    assert adapter.num_batches == 2
    assert not adapter.has_partial_batch and adapter.partial_batch_size is None


def test_floating_data_arrives_as_floatx_and_integer_labels_keep_their_dtype():
    x, y = _data(6)
    (bx, by, _), *_ = _epoch(get_data_adapter(x, y, sample_weight=np.ones(6), batch_size=3))
    assert bx.dtype == np.dtype(numeras.backend.floatx())
    assert by.dtype == np.int64
    _, _, bw = _epoch(get_data_adapter(x, y, sample_weight=np.ones(6, dtype=np.float64), batch_size=3))[0]
    assert bw.dtype == np.dtype(numeras.backend.floatx())


def test_steps_per_epoch_limits_the_batches():
    x, y = _data(10)
    adapter = get_data_adapter(x, y, batch_size=3, steps_per_epoch=2)
    assert adapter.num_batches == 2
    assert [len(b[0]) for b in _epoch(adapter)] == [3, 3]


def test_shuffling_draws_a_new_permutation_each_epoch_from_the_seeded_generator():
    x, y = _data(12, features=1)
    numeras.backend.set_random_seed(3)
    adapter = get_data_adapter(x, y, batch_size=5, shuffle=True)
    epochs = [_epoch(adapter) for _ in range(2)]
    orders = [np.concatenate([b[0][:, 0] for b in batches]) for batches in epochs]
    assert [len(b[0]) for b in epochs[0]] == [5, 5, 2]
    assert sorted(orders[0]) == sorted(orders[1]) == list(x[:, 0])
    assert not np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[0], x[:, 0])
    # Rows and labels stay paired however they are shuffled.
    for bx, by, _ in epochs[0] + epochs[1]:
        np.testing.assert_array_equal(bx[:, 0].astype(np.int64) % 3, by)
    numeras.backend.set_random_seed(3)
    replay = get_data_adapter(x, y, batch_size=5, shuffle=True)
    np.testing.assert_array_equal(np.concatenate([b[0][:, 0] for b in _epoch(replay)]), orders[0])


def test_class_weight_becomes_per_sample_weights_and_scales_given_weights():
    x, _ = _data(6)
    sparse = np.array([0, 1, 2, 1, 0, 2])
    adapter = get_data_adapter(x, sparse, batch_size=6, class_weight={0: 1.0, 1: 2.0, 2: 0.5})
    np.testing.assert_allclose(_epoch(adapter)[0][2], [1.0, 2.0, 0.5, 2.0, 1.0, 0.5])
    one_hot = np.eye(3, dtype=np.float32)[sparse]
    given = np.array([1, 1, 1, 2, 2, 2], dtype=np.float32)
    with pytest.warns(UserWarning, match=r"no weight to the classes \[0, 2\]"):
        adapter = get_data_adapter(x, one_hot, sample_weight=given, batch_size=6, class_weight={1: 3.0})
    np.testing.assert_allclose(_epoch(adapter)[0][2], [1.0, 3.0, 1.0, 6.0, 2.0, 2.0])


def test_class_weight_is_refused_for_several_outputs():
    x, y = _data(4)
    with pytest.raises(ValueError, match="single output"):
        get_data_adapter(x, [y, y], batch_size=2, class_weight={0: 2.0})


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = _data(10)
    with pytest.warns(UserWarning, match="no weight to the classes"):
        adapter = get_data_adapter(x, y, sample_weight=np.arange(10.0), batch_size=3, shuffle=True,
                                   class_weight={0: 2.0})
    train, valid = adapter.split_validation(0.2, validation_batch_size=5, validation_steps=None)
    assert (train.num_samples, valid.num_samples) == (8, 2)
    assert (train.batch_size, valid.batch_size) == (3, 5)
    (vx, vy, vw), = _epoch(valid)
    np.testing.assert_array_equal(vx, x[8:])
    np.testing.assert_array_equal(vy, y[8:])
    # The class weights were folded in before the split: label 2 at index 8, label 0 at 9.
    np.testing.assert_allclose(vw, [8.0, 18.0])
    seen = np.concatenate([b[0][:, 0] for b in _epoch(train)])
    assert sorted(seen) == sorted(x[:8, 0])


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5, 0.95, 1e-17])
def test_a_validation_split_that_leaves_a_side_empty_is_refused(fraction):
    x, y = _data(10)
    adapter = get_data_adapter(x, y, batch_size=4)
    with pytest.raises(ValueError, match="validation_split"):
        adapter.split_validation(fraction, 4, None)


def test_dict_inputs_are_batched_per_key():
    x = {"a": np.arange(5.0).reshape(5, 1), "b": np.arange(10.0).reshape(5, 2)}
    y = np.arange(5)
    batches = [unpack_x_y_sample_weight(b) for b in get_data_adapter(x, y, batch_size=2).get_numpy_iterator()]
    assert len(batches) == 3
    last_x, last_y, _ = batches[-1]
    np.testing.assert_array_equal(last_x["a"], [[4.0]])
    np.testing.assert_array_equal(last_x["b"], [[8.0, 9.0]])
    np.testing.assert_array_equal(last_y, [4])


def test_mismatched_lengths_are_refused_with_both_counts():
    x, y = _data(6)
    with pytest.raises(ValueError, match="x has 6.*y has 5"):
        get_data_adapter(x, y[:5], batch_size=2)


def test_an_object_no_adapter_reads_is_refused_with_what_is_accepted():
    with pytest.raises(TypeError, match="generator or iterable of batches, or a numeras.utils.PyDataset"):
        get_data_adapter(object(), batch_size=2)


def test_the_base_adapter_refuses_validation_split_with_the_alternative():
    class Streamed(DataAdapter):
        pass

    with pytest.raises(ValueError, match="validation_data"):
        Streamed().split_validation(0.2, 32, None)
    assert Streamed().in_memory_data() is None and Streamed().num_samples is None
