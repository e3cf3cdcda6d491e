"""DataParallel on 2 MPI processes (launched with the mpich wheel's mpiexec) against plain
single-process numeras: same numbers to float32 rounding, identical weights on every rank,
rank-0-only files, a failing or killed rank ending the job, resuming from a backup."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import numeras

pytest.importorskip("mpi4py", reason='the distributed tests need `pip install "numeras[mpi]"`')

from numeras.distribution.launch import find_mpiexec  # noqa: E402

PROGRAM = Path(__file__).parent / "programs" / "train_mlp.py"
SOURCE = str(Path(numeras.__file__).resolve().parents[1])


def _environment() -> dict:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([SOURCE, environment.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    environment["OMP_NUM_THREADS"] = "1"  # two processes on a shared machine
    return environment


def run_program(out: Path, *options: str, processes: int = 2, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run train_mlp.py: on ``processes`` MPI processes, or plain when ``processes`` is 0."""
    command = [sys.executable, str(PROGRAM), str(out), *options]
    if processes:
        mpiexec = find_mpiexec()
        assert mpiexec is not None, "mpiexec not found although mpi4py is installed"
        command = [mpiexec, "-n", str(processes), *command, "--distributed"]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=_environment())


def _ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("single")
    _ok(run_program(out, processes=0))
    return dict(np.load(out / "result_rank0.npz"))


@pytest.fixture(scope="module")
def distributed(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("distributed")
    _ok(run_program(out))
    return out, [dict(np.load(out / f"result_rank{r}.npz")) for r in range(2)]


def test_two_ranks_equal_one_process_with_the_same_global_batch(single, distributed):
    _, ranks = distributed
    result = ranks[0]
    assert list(result["history_keys"]) == list(single["history_keys"])
    np.testing.assert_allclose(result["history"], single["history"], rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(result["epoch_weights"], single["epoch_weights"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result["evaluation"], single["evaluation"], rtol=2e-5, atol=1e-6)
    # predict: every row, in the input's order (203 rows: shards of unequal size).
    assert result["predictions"].shape == single["predictions"].shape == (203, 4)
    np.testing.assert_allclose(result["predictions"], single["predictions"], rtol=1e-5, atol=1e-6)
    # Training moved the weights (the comparison is not between two untrained models).
    assert np.abs(single["epoch_weights"][-1] - single["epoch_weights"][0]).max() > 1e-3


def test_weights_and_logs_are_bit_identical_on_every_rank_after_every_epoch(distributed):
    _, (rank0, rank1) = distributed
    assert rank0["epoch_weights"].shape[0] == 3
    assert np.array_equal(rank0["epoch_weights"], rank1["epoch_weights"])
    assert np.array_equal(rank0["history"], rank1["history"])
    assert np.array_equal(rank0["evaluation"], rank1["evaluation"])
    assert np.array_equal(rank0["predictions"], rank1["predictions"])


def test_distributed_optimizer_in_a_custom_loop_equals_the_whole_batch_on_one_process(single, distributed):
    _, (rank0, rank1) = distributed
    np.testing.assert_allclose(rank0["custom_weights"], single["custom_weights"], rtol=1e-5, atol=1e-7)
    assert np.array_equal(rank0["custom_weights"], rank1["custom_weights"])


def test_batch_normalization_uses_the_moments_of_the_global_batch(tmp_path):
    # batch_size=63 gives shards of 32 and 31 rows: the statistics and their gradients must
    # weigh the processes by their rows to match one process.
    _ok(run_program(tmp_path / "one", "--batchnorm", "--epochs", "2", processes=0))
    _ok(run_program(tmp_path / "two", "--batchnorm", "--epochs", "2"))
    single = np.load(tmp_path / "one" / "result_rank0.npz")
    rank0, rank1 = (np.load(tmp_path / "two" / f"result_rank{r}.npz") for r in range(2))
    # The weights include the moving mean and variance: global statistics on both ranks.
    np.testing.assert_allclose(rank0["epoch_weights"], single["epoch_weights"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rank0["history"], single["history"], rtol=2e-5, atol=1e-6)
    assert np.array_equal(rank0["epoch_weights"], rank1["epoch_weights"])


def test_dropout_masks_differ_between_processes_while_the_weights_stay_identical(tmp_path):
    _ok(run_program(tmp_path, "--dropout", "--epochs", "2"))
    rank0, rank1 = (np.load(tmp_path / f"result_rank{r}.npz") for r in range(2))
    assert rank0["dropout_mask"].shape == (1, 64)
    assert not np.array_equal(rank0["dropout_mask"], rank1["dropout_mask"])
    assert np.array_equal(rank0["epoch_weights"], rank1["epoch_weights"])


def test_only_rank_zero_writes_files(distributed):
    out, _ = distributed
    written = sorted(p.name for p in (out / "files").iterdir())
    assert written == ["checkpoint_rank0.keras", "log_rank0.csv", "model_rank0.keras"]


def test_a_model_saved_by_a_distributed_run_loads_in_single_process_numeras(distributed):
    out, (rank0, _) = distributed
    model = numeras.saving.load_model(out / "files" / "model_rank0.keras")
    # Saved as the plain optimizer: nothing of the distributed wrapper in the file.
    assert [cls.__name__ for cls in type(model.optimizer).__mro__][:2] == ["RMSprop", "Optimizer"]
    x_test = np.random.default_rng(0)
    x_test.normal(size=(600, 16))  # the program's training inputs come first
    x_test = x_test.normal(size=(203, 16)).astype("float32")
    np.testing.assert_allclose(model.predict(x_test, verbose=0), rank0["predictions"], rtol=1e-6, atol=1e-7)


def test_an_exception_on_rank_one_ends_the_job_with_its_traceback(tmp_path):
    started = time.perf_counter()
    result = run_program(tmp_path, "--fail-rank", "1", "--fail-epoch", "1", "--epochs", "50", timeout=40)
    elapsed = time.perf_counter() - started
    assert result.returncode != 0
    assert "[numeras rank 1] RuntimeError left fit's epoch loop; aborting the 2-process job" in result.stderr
    assert "RuntimeError: planned failure on rank 1 in epoch 1" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert elapsed < 20, f"the job took {elapsed:.1f} s to stop"


def test_a_rank_killed_mid_epoch_ends_the_job(tmp_path):
    started = time.perf_counter()
    result = run_program(tmp_path, "--kill-rank", "1", "--kill-epoch", "1", "--epochs", "50", timeout=40)
    elapsed = time.perf_counter() - started
    assert result.returncode != 0
    assert "Killed" in result.stdout + result.stderr
    assert elapsed < 20, f"the job took {elapsed:.1f} s to stop"
    assert not (tmp_path / "result_rank0.npz").exists()


def test_sys_exit_on_one_rank_mid_training_ends_the_job_instead_of_hanging(tmp_path):
    # MPICH alone would hang here: the exiting process finalizes MPI while the other waits in
    # its Allreduce forever.
    started = time.perf_counter()
    result = run_program(tmp_path, "--exit-rank", "1", "--exit-epoch", "1", "--epochs", "50", timeout=40)
    assert result.returncode != 0
    assert "[numeras rank 1] SystemExit left fit's epoch loop" in result.stderr
    assert time.perf_counter() - started < 20


def test_backup_and_restore_resumes_a_distributed_run(tmp_path):
    backup = tmp_path / "backup"
    failed = run_program(tmp_path / "first", "--backup", str(backup), "--fail-rank", "1", "--fail-epoch", "2",
                         "--epochs", "4", timeout=40)
    assert failed.returncode != 0 and "planned failure on rank 1 in epoch 2" in failed.stderr
    _ok(run_program(tmp_path / "second", "--backup", str(backup), "--epochs", "4"))
    for rank in range(2):
        result = np.load(tmp_path / "second" / f"result_rank{rank}.npz")
        assert int(result["initial_epoch"]) == 2  # rank 1 learns it from rank 0's backup
        assert result["history"].shape[1] == 2  # epochs 2 and 3 only
    assert not backup.exists() or not any(backup.iterdir())  # deleted when training ended


def test_data_parallel_without_mpi4py_says_how_to_install_it(monkeypatch):
    from numeras.distribution import distribution_lib

    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    monkeypatch.setattr(distribution_lib, "_COMM", None)
    with pytest.raises(ImportError, match=r'pip install "numeras\[mpi\]"'):
        numeras.distribution.DataParallel()


def test_single_process_training_never_imports_mpi():
    code = (
        "import sys, numpy as np, numeras\n"
        "from numeras import layers, models\n"
        "m = models.Sequential([layers.Input((3,)), layers.Dense(2)])\n"
        "m.compile(optimizer='sgd', loss='mse')\n"
        "m.fit(np.ones((8, 3)), np.ones((8, 2)), verbose=0)\n"
        "m.predict(np.ones((4, 3)), verbose=0)\n"
        "assert numeras.distribution.distribution() is None\n"
        "assert numeras.distribution.process_id() == 0 and numeras.distribution.num_processes() == 1\n"
        "print(sorted(name for name in sys.modules if name.startswith('mpi4py')))\n"
    )
    env = _environment()
    for name in ("PMI_RANK", "PMI_SIZE"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_numeras_launch_starts_the_script_on_n_processes(tmp_path):
    script = tmp_path / "where.py"
    script.write_text(
        "from numeras import distribution\n"
        "distribution.set_distribution(distribution.DataParallel())\n"
        "import sys\n"
        "line = f'process {distribution.process_id()} of {distribution.num_processes()} '\n"
        "line += f'{distribution.list_devices()} local {distribution.local_rank()}'\n"
        "open(f'{sys.argv[1]}/rank{distribution.process_id()}.txt', 'w').write(line)\n"
    )
    _ok(subprocess.run(
        [sys.executable, "-m", "numeras", "launch", "-n", "2", str(script), str(tmp_path)],
        capture_output=True, text=True, timeout=60, env=_environment(),
    ))
    lines = [(tmp_path / f"rank{rank}.txt").read_text() for rank in range(2)]
    assert lines == [
        "process 0 of 2 ['cpu:0', 'cpu:1'] local 0",
        "process 1 of 2 ['cpu:0', 'cpu:1'] local 1",
    ]


@pytest.mark.slow
def test_the_books_seed_program_trains_on_two_processes_with_one_line_added(tmp_path):
    source = (Path(__file__).resolve().parents[2] / "examples" / "mnist_mlp.py").read_text()
    anchor = "from numeras.utils import to_categorical\n"
    assert anchor in source
    program = tmp_path / "mnist_mlp_two_processes.py"
    program.write_text(source.replace(
        anchor, anchor + "from numeras import distribution\n\ndistribution.set_distribution(distribution.DataParallel())\n"
    ))
    result = _ok(subprocess.run(
        [sys.executable, "-m", "numeras", "launch", "-n", "2", str(program)],
        capture_output=True, text=True, timeout=600, env=_environment(),
    ))
    # Both processes print; the global batch of 128 gives 469 updates per epoch, as on one.
    assert result.stdout.count("gradient updates: 2345") == 2
    accuracies = [float(value) for value in re.findall(r"test_acc: ([0-9.]+\d)", result.stdout)]
    assert len(accuracies) == 2 and accuracies[0] == accuracies[1] and accuracies[0] > 0.97
    assert result.stdout.count("Epoch 5/5") == 1  # one progress bar: rank 0's


def _keras_python() -> str | None:
    """A Python where Keras 3 imports: $NUMERAS_KERAS_PYTHON (CI sets it), else the peers venv."""
    for candidate in (os.environ.get("NUMERAS_KERAS_PYTHON"), "/work/peers/bin/python"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.mark.skipif(_keras_python() is None, reason="no Python with Keras: set NUMERAS_KERAS_PYTHON")
def test_a_model_saved_by_a_distributed_run_loads_in_keras(distributed, tmp_path):
    out, (rank0, _) = distributed
    rng = np.random.default_rng(0)
    rng.normal(size=(600, 16))  # the program's training inputs come first
    np.save(tmp_path / "x.npy", rng.normal(size=(203, 16)).astype("float32"))
    code = (
        "import sys, numpy as np, keras\n"
        "model = keras.models.load_model(sys.argv[1])\n"
        "np.save(sys.argv[3], np.asarray(model.predict(np.load(sys.argv[2]), verbose=0)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [_keras_python(), "-c", code, str(out / "files" / "model_rank0.keras"), str(tmp_path / "x.npy"),
         str(tmp_path / "keras.npy")],
        capture_output=True, text=True, timeout=180, env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "keras.npy"), rank0["predictions"], rtol=1e-5, atol=1e-6)
