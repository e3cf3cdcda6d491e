"""The pieces of numeras.distribution that need no second process: shard bounds, batch
slicing, the flat-buffer gradient reducer, ordered gathering, the synchronised batch-norm VJP
(gradient-checked with one process), which callbacks stay on rank 0, and the launcher's
command line. A fake communicator stands in for MPI, so MPI is never initialised here."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from numeras import callbacks
from numeras.autodiff.ops.normalization import batch_norm_train
from numeras.distribution import _mpi, collectives, launch
from numeras.distribution.callbacks import callbacks_for_other_ranks
from numeras.distribution.sync_batch_norm import sync_batch_norm_train
from numeras.testing import gradcheck

IN_PLACE = object()


class FakeComm:
    """``size`` processes whose peers all hold the same data as this one (``Allreduce`` sums
    ``size`` copies), enough to check the bookkeeping around the calls."""

    def __init__(self, size: int = 1, rank: int = 0, gathered: list | None = None) -> None:
        self.size, self.rank, self.gathered, self.allreduce_calls = size, rank, gathered, 0

    def Allreduce(self, sendbuf, recvbuf):  # noqa: N802 - MPI's name
        assert sendbuf is IN_PLACE
        recvbuf *= self.size
        self.allreduce_calls += 1

    def allgather(self, value):
        return self.gathered


@pytest.fixture(autouse=True)
def fake_mpi(monkeypatch):
    monkeypatch.setattr(_mpi, "mpi", lambda: types.SimpleNamespace(IN_PLACE=IN_PLACE))


@pytest.mark.parametrize("length, size", [(64, 2), (63, 2), (10, 4), (7, 7), (203, 3)])
def test_shards_are_contiguous_disjoint_and_cover_the_batch(length, size):
    bounds = [collectives.shard_bounds(length, rank, size) for rank in range(size)]
    assert bounds[0][0] == 0 and bounds[-1][1] == length
    for (_, stop), (start, _) in zip(bounds, bounds[1:]):
        assert stop == start
    sizes = [stop - start for start, stop in bounds]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_slice_batch_keeps_the_structure_and_cuts_every_array():
    x = {"a": np.arange(10), "b": np.arange(20).reshape(10, 2)}
    batch = (x, np.arange(10) * 2, None)
    sliced = collectives.slice_batch(batch, 3, 6)
    assert collectives.batch_length(batch) == 10
    assert np.array_equal(sliced[0]["a"], [3, 4, 5]) and sliced[0]["b"].shape == (3, 2)
    assert np.array_equal(sliced[1], [6, 8, 10]) and sliced[2] is None
    assert np.shares_memory(sliced[1], batch[1])  # views, no copy


def test_reducer_reduces_a_flat_gradient_buffer_in_place_with_one_call():
    flat = np.arange(10, dtype=np.float32)
    grads = [flat[:6].reshape(2, 3), flat[6:].reshape(4)]
    comm = FakeComm(size=2)
    reducer = collectives.GradientReducer(comm)
    reduced = reducer.reduce(grads, scale=0.5)
    assert comm.allreduce_calls == 1 and reducer.calls == 1
    assert all(r is g for r, g in zip(reduced, grads))
    np.testing.assert_array_equal(flat, np.arange(10, dtype=np.float32))  # 2 copies x 0.5


def test_reducer_copies_scattered_gradients_into_one_buffer_and_keeps_none():
    grads = [np.full((2, 2), 3.0, np.float32), None, np.full(3, 1.0, np.float32)]
    comm = FakeComm(size=4)
    reducer = collectives.GradientReducer(comm)
    reduced = reducer.reduce(grads, scale=0.25)
    assert comm.allreduce_calls == 1
    assert reduced[1] is None
    np.testing.assert_array_equal(reduced[0], np.full((2, 2), 3.0))
    np.testing.assert_array_equal(reduced[2], np.full(3, 1.0))
    assert reduced[0].base is reduced[2].base  # views of one contiguous buffer
    np.testing.assert_array_equal(grads[0], np.full((2, 2), 3.0))  # inputs untouched


def test_gather_in_order_puts_each_ranks_slices_back_in_the_input_order():
    rows = np.arange(23)
    lengths = [10, 10, 3]
    size = 3
    pieces = []
    for rank in range(size):
        local, position = [], 0
        for length in lengths:
            start, stop = collectives.shard_bounds(length, rank, size)
            local.append(rows[position + start : position + stop])
            position += length
        pieces.append(np.concatenate(local)[:, None].astype(np.float32))
    out = collectives.gather_in_order(FakeComm(size=size, gathered=pieces), pieces[0], lengths)
    np.testing.assert_array_equal(out[:, 0], rows)


def test_sync_batch_norm_on_one_process_equals_batch_norm_and_passes_gradcheck():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 4)) * 3 + 1
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    comm = FakeComm(size=1)
    synced = sync_batch_norm_train(x, gamma, beta, -1, 1e-3, comm, None)
    plain = batch_norm_train(x, gamma, beta, -1, 1e-3)
    for ours, theirs in zip(synced, plain):
        np.testing.assert_allclose(getattr(ours, "data", ours), getattr(theirs, "data", theirs), rtol=1e-12)
    assert gradcheck(lambda a, g, b: sync_batch_norm_train(a, g, b, -1, 1e-3, comm, 1.0)[0], [x, gamma, beta])
    images = rng.normal(size=(2, 3, 3, 2))
    assert gradcheck(lambda a: sync_batch_norm_train(a, None, None, 1, 1e-3, comm, None)[0], [images])


def test_only_rank_zero_keeps_the_callbacks_that_print_or_write(tmp_path):
    class MyCheckpoint(callbacks.ModelCheckpoint):
        pass

    stopper = callbacks.EarlyStopping()
    history = callbacks.History()
    given = [
        stopper,
        [callbacks.CSVLogger(str(tmp_path / "log.csv")), history],
        MyCheckpoint(str(tmp_path / "m.keras")),
        callbacks.BackupAndRestore(str(tmp_path / "backup")),
        callbacks.ProgbarLogger(),
    ]
    assert callbacks_for_other_ranks(given) == [stopper, [history]]
    assert callbacks_for_other_ranks(None) is None


def test_launch_command_uses_this_python_and_the_hostfile(tmp_path, monkeypatch):
    command = launch.build_command(4, "train.py", ["--epochs", "2"], "/opt/mpiexec", hostfile="hosts")
    assert command == ["/opt/mpiexec", "-n", "4", "-f", "hosts", sys.executable, "train.py", "--epochs", "2"]
    keras = launch.build_command(2, "train.py", [], "/opt/mpiexec", keras=True)
    assert keras == ["/opt/mpiexec", "-n", "2", sys.executable, "-m", "numeras", "run", "train.py"]
    monkeypatch.setenv("NUMERAS_MPIEXEC", "/custom/mpiexec")
    assert launch.find_mpiexec() == "/custom/mpiexec"


def test_launch_reports_a_missing_script_and_a_missing_launcher(tmp_path, monkeypatch, capsys):
    assert launch.main(["-n", "2", str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    script = tmp_path / "train.py"
    script.write_text("print('hi')\n")
    monkeypatch.setattr(launch, "find_mpiexec", lambda: None)
    assert launch.main(["-n", "2", str(script)]) == 2
    assert 'pip install "numeras[mpi]"' in capsys.readouterr().err


def _data_parallel(rank: int, size: int):
    """A DataParallel for rank ``rank`` of ``size``, without MPI (its collectives unused)."""
    from numeras.distribution.distribution_lib import DataParallel

    instance = object.__new__(DataParallel)
    instance.comm, instance.rank, instance.size = FakeComm(size, rank), rank, size
    instance.step_weight, instance._batch_lengths, instance._rank_generator = None, [], None
    return instance


def test_shard_batches_gives_each_rank_its_slice_and_its_own_generator_during_the_step():
    from numeras import backend

    batches = [(np.arange(5), np.arange(5) * 10), (np.arange(3), np.arange(3) * 10)]
    shared = backend.random_generator()
    seen = []
    for rank in range(2):
        sharder = _data_parallel(rank, 2)
        for x, y in sharder.shard_batches(iter(batches)):
            seen.append((rank, list(x), list(y), sharder.step_weight))
            assert backend.random_generator() is not shared  # dropout draws per process
        assert backend.random_generator() is shared  # the shuffle's generator is back
        assert sharder.step_weight is None and sharder._batch_lengths == [5, 3]
    assert seen == [
        (0, [0, 1, 2], [0, 10, 20], 0.6), (0, [0, 1], [0, 10], 2 / 3),
        (1, [3, 4], [30, 40], 0.4), (1, [2], [20], 1 / 3),
    ]
    draws = [_data_parallel(rank, 2)._generator_for_rank().integers(1 << 30) for rank in (0, 1, 0)]
    assert draws[0] == draws[2] != draws[1]  # seeded from (shared state, rank)


def test_a_batch_smaller_than_the_number_of_processes_is_a_clear_error():
    sharder = _data_parallel(2, 3)
    with pytest.raises(ValueError, match="batch of 2 samples cannot be split among 3 processes"):
        list(sharder.shard_batches(iter([np.arange(6), np.arange(2)])))
