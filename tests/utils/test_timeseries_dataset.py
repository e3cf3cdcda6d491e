"""timeseries_dataset_from_array: windows equal to Keras's (fixtures written by Keras 3 with
TensorFlow, shuffle=False), shuffling, and argument errors."""

import json
from pathlib import Path

import numpy as np
import pytest

from numeras.utils import timeseries_dataset_from_array

EXPECTED = np.load(Path(__file__).parent / "fixtures" / "timeseries_expected.npz")
CASES = json.loads(str(EXPECTED["cases"]))


@pytest.mark.parametrize("case", sorted(CASES))
def test_windows_and_targets_equal_keras(case):
    kwargs = dict(CASES[case])
    targets_length = kwargs.pop("targets_length", 50)
    targets = kwargs.pop("targets", np.arange(1000, 1000 + targets_length, dtype="int64"))
    dataset = timeseries_dataset_from_array(EXPECTED["data"], targets, batch_size=7, **kwargs)
    batches = list(dataset)
    assert len(dataset) == len(batches) == len(EXPECTED[f"{case}/batch_sizes"])
    if targets is None:
        windows = np.concatenate(batches)
    else:
        windows = np.concatenate([w for w, _ in batches])
        np.testing.assert_array_equal(np.concatenate([t for _, t in batches]), EXPECTED[f"{case}/targets"])
    np.testing.assert_array_equal(windows, EXPECTED[f"{case}/windows"])
    assert windows.dtype == np.float32


def test_book_style_forecasting_windows():
    # The temperature chapter: predict the value `delay` steps after each window.
    data = np.arange(100, dtype="float32")[:, None]
    sequence_length, sampling_rate, delay = 5, 2, 12
    dataset = timeseries_dataset_from_array(
        data[:-delay], targets=data[delay:, 0], sequence_length=sequence_length, sampling_rate=sampling_rate, batch_size=16
    )
    windows, targets = next(iter(dataset))
    assert windows.shape == (16, 5, 1)
    np.testing.assert_array_equal(windows[3, :, 0], [3, 5, 7, 9, 11])
    assert targets[3] == 3 + delay


def test_shuffle_permutes_whole_windows_reproducibly():
    data = np.arange(60)
    targets = np.arange(60) * 10
    plain = timeseries_dataset_from_array(data, targets, sequence_length=3, batch_size=4)
    shuffled = timeseries_dataset_from_array(data, targets, sequence_length=3, batch_size=4, shuffle=True, seed=2)
    first = np.concatenate([w for w, _ in shuffled])
    assert first[:, 0].tolist() != sorted(first[:, 0].tolist())
    assert sorted(first[:, 0].tolist()) == np.concatenate([w for w, _ in plain])[:, 0].tolist()
    for windows, window_targets in shuffled:
        np.testing.assert_array_equal(windows[:, 1] - windows[:, 0], 1)
        np.testing.assert_array_equal(window_targets, windows[:, 0] * 10)
    again = timeseries_dataset_from_array(data, targets, sequence_length=3, batch_size=4, shuffle=True, seed=2)
    np.testing.assert_array_equal(np.concatenate([w for w, _ in again]), first)


def test_unbatched_windows():
    dataset = timeseries_dataset_from_array(np.arange(10), None, sequence_length=4, sequence_stride=3, batch_size=None)
    assert [w.tolist() for w in dataset] == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(sequence_length=0), "sequence_length"),
        (dict(sequence_length=3, sampling_rate=0), "sampling_rate"),
        (dict(sequence_length=3, sequence_stride=20), "sequence_stride"),
        (dict(sequence_length=3, start_index=-1), "start_index"),
        (dict(sequence_length=3, start_index=5, end_index=4), "end_index"),
        (dict(sequence_length=3, end_index=20), "end_index"),
        (dict(sequence_length=3, batch_size=0), "batch_size"),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        timeseries_dataset_from_array(np.arange(20), None, **kwargs)
