"""numeras.utils.Dataset: a tf.data-like pipeline of NumPy elements, and split_dataset."""

import gc
import random
import threading
import time
import traceback

import numpy as np
import pytest

from numeras.utils import Dataset, split_dataset
from numeras.utils.dataset import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, ArraySpec


def _values(dataset):
    return [np.asarray(element).tolist() for element in dataset]


def test_from_tensor_slices_tuple_dict_and_list():
    x = np.arange(12).reshape(6, 2)
    y = np.arange(6) * 10
    pairs = list(Dataset.from_tensor_slices((x, y)))
    assert len(pairs) == 6
    np.testing.assert_array_equal(pairs[4][0], x[4])
    assert pairs[4][1] == 40
    records = list(Dataset.from_tensor_slices({"a": x, "b": y}))
    assert set(records[2]) == {"a", "b"} and records[2]["b"] == 20
    # A list is data, not a structure: two scalars, not one two-part element.
    assert _values(Dataset.from_tensor_slices([3, 4])) == [3, 4]


def test_from_tensor_slices_rejects_mismatched_lengths_and_scalars():
    with pytest.raises(ValueError, match="same first dimension"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="at least one axis"):
        Dataset.from_tensor_slices(np.float32(1))


def test_len_cardinality_and_fresh_iteration_each_pass():
    dataset = Dataset.from_tensor_slices(np.arange(10)).batch(4)
    assert len(dataset) == 3 and dataset.cardinality() == 3
    assert _values(dataset) == _values(dataset)  # a second pass starts over
    assert len(Dataset.from_tensor_slices(np.arange(10)).batch(4, drop_remainder=True)) == 2
    filtered = Dataset.from_tensor_slices(np.arange(10)).filter(lambda v: v % 2 == 0)
    assert filtered.cardinality() == UNKNOWN_CARDINALITY
    with pytest.raises(TypeError, match="unknown"):
        len(filtered)
    assert _values(filtered) == [0, 2, 4, 6, 8]
    endless = Dataset.from_tensor_slices(np.arange(3)).repeat()
    assert endless.cardinality() == INFINITE_CARDINALITY
    with pytest.raises(TypeError, match="infinite"):
        len(endless)


def test_take_skip_repeat():
    dataset = Dataset.range(10)
    assert _values(dataset.take(3)) == [0, 1, 2]
    assert _values(dataset.skip(7)) == [7, 8, 9]
    assert len(dataset.skip(12)) == 0 and len(dataset.take(20)) == 10
    assert _values(dataset.take(2).repeat(3)) == [0, 1] * 3
    assert len(dataset.take(2).repeat(3)) == 6
    assert _values(dataset.repeat().take(13)) == list(range(10)) + [0, 1, 2]
    assert len(dataset.repeat().take(13)) == 13
    assert _values(Dataset.from_generator(lambda: iter([])).repeat().take(5)) == []


def test_batch_unbatch_roundtrip_and_stacking_generic_elements():
    x = np.arange(14).reshape(7, 2)
    y = np.arange(7)
    batches = list(Dataset.from_tensor_slices((x, y)).batch(3))
    assert [b[0].shape for b in batches] == [(3, 2), (3, 2), (1, 2)]
    # The generic path (after a map) stacks elements and must agree with the sliced fast path.
    mapped = list(Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a, b)).batch(3))
    for fast, generic in zip(batches, mapped):
        np.testing.assert_array_equal(fast[0], generic[0])
        np.testing.assert_array_equal(fast[1], generic[1])
    back = list(Dataset.from_tensor_slices((x, y)).batch(3).unbatch())
    np.testing.assert_array_equal(np.stack([a for a, _ in back]), x)
    assert len(list(Dataset.from_tensor_slices(x).map(lambda a: a).batch(3, drop_remainder=True))) == 2


def test_map_unpacks_tuples_and_parallel_map_keeps_order_across_threads():
    dataset = Dataset.from_tensor_slices((np.arange(40), np.arange(40) * 2))
    assert _values(dataset.map(lambda a, b: a + b).take(3)) == [0, 3, 6]
    threads = set()
    lock = threading.Lock()

    def slow_square(a, b):
        with lock:
            threads.add(threading.get_ident())
        time.sleep(0.002 * (int(a) % 3))  # unequal durations: finishing order differs from input order
        return a * a

    result = _values(dataset.map(slow_square, num_parallel_calls=4))
    assert result == [v * v for v in range(40)]
    assert len(threads) > 1


def test_map_rejects_bad_num_parallel_calls():
    with pytest.raises(ValueError, match="num_parallel_calls"):
        Dataset.range(3).map(lambda v: v, num_parallel_calls=0)


def test_shuffle_is_a_seeded_permutation_reshuffled_each_pass():
    dataset = Dataset.range(50).shuffle(100, seed=3)
    first, second = _values(dataset), _values(dataset)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != list(range(50)) and first != second
    assert _values(Dataset.range(50).shuffle(100, seed=3)) == first  # the seed reproduces it
    fixed = Dataset.range(50).shuffle(100, seed=3, reshuffle_each_iteration=False)
    assert _values(fixed) == _values(fixed)
    # A small buffer only moves elements locally: the first output comes from the first 5 inputs.
    assert all(_values(Dataset.range(50).shuffle(5, seed=s))[0] < 5 for s in range(10))


def test_cache_runs_the_pipeline_once_and_ignores_an_incomplete_pass():
    calls = []
    dataset = Dataset.range(6).map(lambda v: calls.append(int(v)) or v * 2).cache()
    assert _values(dataset.take(2)) == [0, 2]  # an early stop: nothing kept
    assert _values(dataset) == [0, 2, 4, 6, 8, 10]
    calls.clear()
    assert _values(dataset) == [0, 2, 4, 6, 8, 10]
    assert calls == []


def test_prefetch_yields_everything_in_order():
    dataset = Dataset.range(100).map(lambda v: v + 1, num_parallel_calls=3).batch(7).prefetch(2)
    assert np.concatenate(list(dataset)).tolist() == list(range(1, 101))
    assert len(dataset) == 15


def _explode(value):
    if value == 5:
        raise KeyError("bad element 5")
    return value


@pytest.mark.parametrize("workers", [None, 3])
def test_prefetch_reraises_the_producer_error_with_its_traceback(workers):
    dataset = Dataset.range(20).map(_explode, num_parallel_calls=workers).prefetch(3)
    seen = []
    with pytest.raises(KeyError, match="bad element 5") as raised:
        for element in dataset:
            seen.append(int(element))
    assert seen == [0, 1, 2, 3, 4]
    frames = [frame.name for frame in traceback.extract_tb(raised.value.__traceback__)]
    assert "_explode" in frames  # the line that failed, in the worker, is in the traceback


def _live_pipeline_threads():
    return [t for t in threading.enumerate() if t.name.startswith(("numeras-prefetch", "numeras-map"))]


def test_prefetch_early_stop_does_not_hang_or_leak_threads():
    before = len(_live_pipeline_threads())
    endless = Dataset.range(10).repeat().map(lambda v: v * 2, num_parallel_calls=2).prefetch(2)
    started = time.monotonic()
    for _ in range(5):
        for index, _element in enumerate(endless):
            if index == 3:
                break
    iterator = iter(endless)
    next(iterator)
    del iterator
    gc.collect()
    deadline = time.monotonic() + 5
    while len(_live_pipeline_threads()) > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(_live_pipeline_threads()) == before
    assert time.monotonic() - started < 5


def test_element_spec_and_as_numpy_iterator():
    dataset = Dataset.from_tensor_slices((np.zeros((5, 3), "float32"), np.zeros(5, "int32"))).batch(2)
    spec = dataset.element_spec
    assert spec == (ArraySpec((None, 3), np.dtype("float32")), ArraySpec((None,), np.dtype("int32")))
    full = Dataset.from_tensor_slices(np.zeros((4, 3))).batch(2, drop_remainder=True)
    assert full.element_spec == ArraySpec((2, 3), np.dtype("float64"))
    assert [x.shape for x, _ in dataset.as_numpy_iterator()] == [(2, 3), (2, 3), (1, 3)]


def test_zip_pairs_datasets_and_stops_at_the_shortest():
    pairs = list(Dataset.zip((Dataset.range(3), Dataset.range(10, 20))))
    assert [(int(a), int(b)) for a, b in pairs] == [(0, 10), (1, 11), (2, 12)]
    assert len(Dataset.zip(Dataset.range(3), Dataset.range(10, 20))) == 3


def test_split_dataset_sizes_disjoint_covering_and_seeded_like_keras():
    x = np.arange(20)
    y = np.arange(20) * 10
    left, right = split_dataset((x, y), left_size=0.75, shuffle=True, seed=5)
    left_x = [int(a) for a, _ in left]
    right_x = [int(a) for a, _ in right]
    assert len(left_x) == 15 and len(right_x) == 5
    assert sorted(left_x + right_x) == list(range(20))
    assert all(int(b) == 10 * int(a) for a, b in left)
    # Keras shuffles the sample list with Python's `random` seeded by `seed`.
    order = list(range(20))
    random.seed(5)
    random.shuffle(order)
    assert left_x == order[:15] and right_x == order[15:]
    left, right = split_dataset(np.arange(10), right_size=3)
    assert _values(left) == list(range(7)) and _values(right) == [7, 8, 9]


def test_split_dataset_of_a_batched_dataset_rebatches():
    batched = Dataset.from_tensor_slices(np.arange(10)).map(lambda v: v).batch(4).prefetch(2)
    left, right = split_dataset(batched, left_size=6)
    assert [b.tolist() for b in left] == [[0, 1, 2, 3], [4, 5]]
    assert [b.tolist() for b in right] == [[6, 7, 8, 9]]


def test_split_dataset_errors():
    with pytest.raises(ValueError, match="at least one"):
        split_dataset(np.arange(10))
    with pytest.raises(ValueError, match="left_size"):
        split_dataset(np.arange(10), left_size=1.5)
    with pytest.raises(ValueError, match="at most 1"):
        split_dataset(np.arange(10), left_size=0.6, right_size=0.6)
    with pytest.raises(TypeError, match="numeras Dataset"):
        split_dataset("abc", left_size=1)
