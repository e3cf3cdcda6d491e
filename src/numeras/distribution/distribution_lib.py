"""Keras 3's distribution API (``keras.distribution``) for numeras: data-parallel training over
processes that talk through MPI (mpi4py).

Each process is one "device" (``cpu:<rank>``). Under ``set_distribution(DataParallel())``,
``fit``/``evaluate``/``predict`` keep Keras's meaning of ``batch_size`` (the global batch): every
process reads the same global batches (the same seeded shuffle) and keeps its own contiguous
slice; rank 0's weights and optimizer state are broadcast when ``fit`` starts; the gradients of
each step are averaged with one ``Allreduce`` so every process applies the same update; metric
state is summed over the processes before a result is read, so logs and ``History`` hold global
values; only rank 0 prints the progress bar and writes files; ``predict`` returns every row, in
order, on every process.

Launch with ``numeras launch -n 4 train.py`` or ``mpiexec -n 4 python train.py``.

Nothing here imports mpi4py until a ``DataParallel`` is made (or ``initialize`` is called), so
single-process programs never load MPI; the trainer asks ``distribution()`` (a global read).

Limits, on purpose or not yet:

- Every process must call ``fit``/``evaluate``/``predict`` (they are collective), with the same
  data; each global batch needs at least one sample per process.
- The gradient average weighs each process by its rows, which is exact for Keras's default
  ``sum_over_batch_size`` loss reduction; a loss with ``reduction="sum"`` is averaged, not summed.
- ``train_on_batch``/``test_on_batch``/``predict_on_batch`` run the whole given batch on every
  process (correct, not faster).
- ``Dropout(seed=...)`` with an explicit seed draws the same mask on every process; leave the
  seed unset for independent masks.
- ``all_reduce``/``DistributedOptimizer`` in a custom loop weigh the processes equally: give each
  the same number of samples.
- Weights stay bit-identical because every process applies the same update to the same reduced
  gradients. MPI does not promise that an ``Allreduce`` gives every process the same bits;
  MPICH's algorithms do (each sum is formed once, or by pairs whose order addition ignores), and
  the tests check it after every epoch.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from numeras.distribution import _mpi
from numeras.distribution import collectives as _collectives

_DISTRIBUTION: Distribution | None = None
_COMM: Any = None  # numeras's own duplicate of COMM_WORLD, made by initialize()


# -- processes ----------------------------------------------------------------------------
def initialize(job_addresses: Any = None, num_processes: int | None = None, process_id: int | None = None) -> None:
    """Start MPI for this process (Keras's multi-process entry point). The launcher (``mpiexec``
    / ``numeras launch``) already decided the processes and their addresses, so the arguments
    are only checked against what MPI reports. Installs the hook that aborts the whole job when
    one process raises (numeras/distribution/faults.py). Called by ``DataParallel()``."""
    global _COMM
    del job_addresses  # the launcher's hostfile decides where processes run
    if _COMM is None:
        world = _mpi.world()
        _COMM = world.Dup()  # our messages never match a user's own COMM_WORLD traffic
        from numeras.distribution.faults import install_abort_on_exception

        install_abort_on_exception(_COMM)
    if num_processes is not None and int(num_processes) != _COMM.size:
        raise ValueError(
            f"initialize: `num_processes={num_processes}`, but the job has {_COMM.size} processes. "
            f"Launch as many as you ask for (`numeras launch -n {num_processes} train.py`), or leave "
            "`num_processes` unset."
        )
    if process_id is not None and int(process_id) != _COMM.rank:
        raise ValueError(
            f"initialize: `process_id={process_id}`, but MPI gave this process rank {_COMM.rank}. The "
            "launcher numbers the processes; leave `process_id` unset."
        )


def _comm() -> Any:
    if _COMM is None:
        initialize()
    return _COMM


def process_id() -> int:
    """This process's rank, 0 to ``num_processes() - 1`` (0 when not launched by MPI). Never
    loads MPI: before ``initialize``, it reads the variable the launcher set."""
    if _COMM is not None:
        return _COMM.rank
    return _mpi.environment_int(_mpi._RANK_VARIABLES, 0)


def num_processes() -> int:
    """How many processes the job has (1 when not launched by MPI)."""
    if _COMM is not None:
        return _COMM.size
    return _mpi.environment_int(_mpi._SIZE_VARIABLES, 1)


def local_rank() -> int:
    """This process's rank among the processes of its own machine (for pinning threads or
    choosing a device)."""
    if _COMM is not None:
        global _LOCAL_RANK
        if _LOCAL_RANK is None:
            MPI = _mpi.mpi()
            node = _COMM.Split_type(MPI.COMM_TYPE_SHARED)
            _LOCAL_RANK = node.rank
            node.Free()
        return _LOCAL_RANK
    return _mpi.environment_int(_mpi._LOCAL_RANK_VARIABLES, 0)


_LOCAL_RANK: int | None = None


def is_chief() -> bool:
    """Whether this process is rank 0, the one that prints and writes files."""
    return process_id() == 0


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of the job, one per process: ``['cpu:0', 'cpu:1', ...]`` (Keras's format).
    Only ``'cpu'`` exists in numeras."""
    if device_type is not None and str(device_type).lower() != "cpu":
        raise ValueError(
            f"list_devices: numeras runs on CPUs only, so `device_type` must be 'cpu' or None, "
            f"received {device_type!r}."
        )
    return [f"cpu:{i}" for i in range(_comm().size)]


# -- distributions ------------------------------------------------------------------------
class Distribution:
    """Base class: how ``fit``/``evaluate``/``predict`` split work among processes. The trainer
    calls the ``*`` hooks below only when a distribution is set."""

    def __init__(self, devices: Sequence[str]) -> None:
        self._devices = list(devices)

    @property
    def devices(self) -> list[str]:
        return list(self._devices)

    def scope(self) -> Any:
        """``with distribution.scope():`` sets this distribution for the block (Keras)."""
        return _DistributionScope(self)


class _DistributionScope:
    def __init__(self, value: Distribution) -> None:
        self.value = value
        self.previous: Distribution | None = None

    def __enter__(self) -> Distribution:
        self.previous = distribution()
        set_distribution(self.value)
        return self.value

    def __exit__(self, *exc_info: Any) -> None:
        set_distribution(self.previous)


class DataParallel(Distribution):
    """Data parallelism over every process of the job: each holds a full copy of the model and
    trains on its slice of every global batch (Keras 3's ``keras.distribution.DataParallel``).

    Args:
        device_mesh: Not supported (one process is one device); leave ``None``.
        devices: The devices to use; must be all of ``list_devices()`` (the default), as every
            launched process takes part.
        auto_shard_dataset: Keras's flag; numeras always shards in-memory data by slicing each
            global batch, so only ``True`` is accepted.

    Needs mpi4py: ``pip install "numeras[mpi]"``.
    """

    def __init__(self, device_mesh: Any = None, devices: Sequence[str] | None = None, auto_shard_dataset: bool = True) -> None:
        if device_mesh is not None:
            raise ValueError(
                "DataParallel: `device_mesh` is not supported by numeras (one process is one device). "
                "Pass `devices=` or nothing: DataParallel() uses every process of the job."
            )
        if not auto_shard_dataset:
            raise ValueError(
                "DataParallel: `auto_shard_dataset=False` is not supported: numeras gives each process "
                "its slice of every global batch itself. Leave it True."
            )
        comm = _comm()
        available = list_devices()
        if devices is None:
            devices = available
        devices = [str(d) for d in devices]
        if sorted(devices) != sorted(available):
            raise ValueError(
                f"DataParallel: `devices` must list every process of the job ({available}), received "
                f"{devices}. Launch as many processes as devices you want (`numeras launch -n "
                f"{len(devices)} train.py`) and pass `devices=None`."
            )
        super().__init__(devices)
        self.comm = comm
        self.rank = comm.rank
        self.size = comm.size
        self.gradient_reducer = _collectives.GradientReducer(comm)
        # The share of the current global batch this process holds (n_r / N), set while a
        # sharded step runs, so the gradient average weights each process by its samples.
        self.step_weight: float | None = None
        self._batch_lengths: list[int] = []
        self._rank_generator: np.random.Generator | None = None

    # -- hooks the trainer calls -----------------------------------------------------------
    def shard_batches(self, batches: Iterator[Any]) -> Iterator[Any]:
        """This process's slice of each global batch of ``batches``.

        Every process draws the same global batches: the data adapter shuffles with numeras's
        global generator, which is identical on all processes (seeded alike, and synchronised
        from rank 0 when ``fit`` starts). While the step runs, the global generator is swapped
        for one seeded per process, so dropout masks differ between processes while the
        shuffle stays common."""
        from numeras.backend import rng  # the home of the global generator swapped below

        lengths = self._batch_lengths = []
        rank_generator = self._generator_for_rank()
        try:
            for batch in batches:
                length = _collectives.batch_length(batch)
                start, stop = _collectives.shard_bounds(length, self.rank, self.size)
                if stop == start:
                    raise ValueError(
                        f"DataParallel: a batch of {length} samples cannot be split among "
                        f"{self.size} processes (each needs at least one). Use a `batch_size` of at "
                        f"least {self.size}, and one that leaves a last batch of 0 or at least "
                        f"{self.size} samples (len(x) % batch_size)."
                    )
                lengths.append(length)
                self.step_weight = (stop - start) / length
                shared = rng._generator
                rng._generator = rank_generator
                try:
                    yield _collectives.slice_batch(batch, start, stop)
                finally:
                    rng._generator = shared
        finally:
            self.step_weight = None

    def on_train_begin(self, model: Any, initial_epoch: int) -> int:
        """Make every process start ``fit`` alike: rank 0's weights and optimizer state (it may
        have restored them from a backup), its epoch to start from, and its generator state."""
        from numeras import backend

        optimizer = model.optimizer
        if optimizer is not None and not getattr(optimizer, "built", True):
            optimizer.build(model.trainable_weights)
        if optimizer is not None:
            make_distributed(optimizer, self)
        variables = list(model.weights) + (list(optimizer.variables) if optimizer is not None else [])
        signature = [(tuple(v.data.shape), v.data.dtype.str) for v in variables]
        signatures = self.comm.allgather(signature)
        for rank, other in enumerate(signatures):
            if other != signature:
                raise ValueError(
                    f"DataParallel: process {rank} has a model (or optimizer) whose variables differ "
                    f"from process {self.rank}'s ({len(other)} vs {len(signature)} variables). Every "
                    "process must build the same model from the same code."
                )
        _collectives.broadcast_arrays(self.comm, [v.data for v in variables])
        state = self.comm.bcast(backend.random_generator().bit_generator.state, root=0)
        backend.random_generator().bit_generator.state = state
        self._rank_generator = None
        return int(self.comm.bcast(int(initial_epoch), root=0))

    def check_steps(self, num_batches: int | None, method: str) -> None:
        """Every process must run the same number of steps, or the collectives would hang."""
        counts = self.comm.allgather(num_batches)
        if len(set(counts)) != 1:
            raise ValueError(
                f"{method}: the processes have different numbers of batches per epoch ({counts}). Give "
                "every process the same data (each takes its own slice of every global batch)."
            )

    def reduce_gradients(self, grads: Sequence[Any]) -> list:
        """The average of ``grads`` over the processes, weighted by each one's share of the
        global batch (equal shares outside a sharded step), with one ``Allreduce``."""
        weight = self.step_weight if self.step_weight is not None else 1.0 / self.size
        return self.gradient_reducer.reduce(grads, weight)

    def global_metrics_result(self, metrics: Sequence[Any], read: Any) -> Any:
        """``read()`` (the metrics' results) computed from the metric state summed over every
        process, the local state put back afterwards so accumulation stays local."""
        variables = []
        seen: set[int] = set()
        for metric in metrics:
            for v in metric.variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    variables.append(v)
        local = _collectives.reduce_metric_state(self.comm, variables)
        try:
            return read()
        finally:
            _collectives.restore_metric_state(variables, local)

    def gather_predictions(self, outputs: Any) -> Any:
        """``predict``'s per-process outputs (the slices of the last epoch's batches), every row
        in the input's order, on every process."""
        from numeras.utils.tree import flatten, is_nested, pack_sequence_as

        lengths = list(self._batch_lengths)
        if not is_nested(outputs):
            return _collectives.gather_in_order(self.comm, outputs, lengths)
        leaves = [_collectives.gather_in_order(self.comm, leaf, lengths) for leaf in flatten(outputs)]
        return pack_sequence_as(outputs, leaves)

    def batch_norm_train(self, x: Any, gamma: Any, beta: Any, axis: int, epsilon: float) -> tuple:
        """BatchNormalization's training op with the moments of the global batch
        (numeras/distribution/sync_batch_norm.py)."""
        from numeras.distribution.sync_batch_norm import sync_batch_norm_train

        return sync_batch_norm_train(x, gamma, beta, axis, epsilon, self.comm, self.step_weight)

    def on_loop_error(self, error: BaseException) -> None:
        """An exception is leaving ``fit``'s epoch loop on this process. The other processes
        are (or soon will be) waiting for it in a collective, so the job cannot go on: abort it
        now, with this process's traceback, rather than let it hang."""
        if self.size > 1:
            from numeras.distribution.faults import abort_job

            abort_job(self.comm, f"{type(error).__name__} left fit's epoch loop", error)

    def writes_files(self) -> bool:
        return self.rank == 0

    # -- helpers ---------------------------------------------------------------------------
    def _generator_for_rank(self) -> np.random.Generator:
        """A generator seeded from (the shared generator's current state, this rank): the
        same on every run with the same seed, different on every process. Deriving it from a
        copy leaves the shared stream untouched, so the shuffles equal a 1-process run's."""
        if self._rank_generator is None:
            from numeras import backend

            probe = np.random.Generator(copy.deepcopy(backend.random_generator().bit_generator))
            self._rank_generator = np.random.default_rng([int(probe.integers(2**63)), self.rank])
        return self._rank_generator

    def __repr__(self) -> str:
        return f"<DataParallel processes={self.size} rank={self.rank}>"


def set_distribution(value: Distribution | None) -> None:
    """Make ``value`` the distribution every ``fit``/``evaluate``/``predict`` uses (``None``
    for none)."""
    global _DISTRIBUTION
    if value is not None and not isinstance(value, Distribution):
        raise TypeError(
            "set_distribution: `value` must be a numeras.distribution.Distribution such as "
            f"DataParallel(), or None; received {type(value).__name__}."
        )
    _DISTRIBUTION = value


def distribution() -> Distribution | None:
    """The distribution set with ``set_distribution`` (``None`` when there is none)."""
    return _DISTRIBUTION


# -- custom training loops ----------------------------------------------------------------
def all_reduce(values: Sequence[Any], op: str = "mean") -> list:
    """``values`` (gradients: arrays or Tensors, ``None`` allowed) averaged (``op="mean"``) or
    summed (``"sum"``) over every process, with one ``Allreduce`` per dtype on a contiguous
    buffer. For custom training loops:

        grads = tape.gradient(loss, model.trainable_weights)
        grads = numeras.distribution.all_reduce(grads)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))

    The returned arrays live in a buffer reused by the next call: apply them before then.
    """
    from numeras.autodiff import Tensor

    if op not in ("mean", "sum"):
        raise ValueError(f"all_reduce: `op` must be 'mean' or 'sum', received {op!r}.")
    arrays = [v.data if isinstance(v, Tensor) else (None if v is None else np.asarray(v)) for v in values]
    current = distribution()
    reducer = current.gradient_reducer if isinstance(current, DataParallel) else _default_reducer()
    size = reducer.comm.size
    return reducer.reduce(arrays, 1.0 / size if op == "mean" else 1.0)


_DEFAULT_REDUCER: _collectives.GradientReducer | None = None


def _default_reducer() -> _collectives.GradientReducer:
    global _DEFAULT_REDUCER
    if _DEFAULT_REDUCER is None:
        _DEFAULT_REDUCER = _collectives.GradientReducer(_comm())
    return _DEFAULT_REDUCER


def broadcast_variables(variables: Sequence[Any], root: int = 0) -> None:
    """Overwrite ``variables`` (e.g. ``model.weights``) on every process with ``root``'s values
    (Horovod's ``broadcast_variables``): call it after building the model in a custom loop."""
    _collectives.broadcast_arrays(_comm(), [v.data for v in variables], root=root)


# -- DistributedOptimizer -------------------------------------------------------------------
class _DistributedApply:
    """Mixed in before an optimizer's class: ``apply`` (and so ``apply_gradients``) averages
    the gradients over the processes first."""

    _distribution: DataParallel | None = None

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        from numeras.autodiff import Tensor

        current = distribution()
        owner = current if isinstance(current, DataParallel) else self._distribution
        arrays = [g.data if isinstance(g, Tensor) else (None if g is None else np.asarray(g)) for g in grads]
        reduced = owner.reduce_gradients(arrays) if owner is not None else all_reduce(arrays)
        return super().apply(reduced, trainable_variables)


_DISTRIBUTED_CLASSES: dict[type, type] = {}


def _distributed_class(base: type) -> type:
    """``base`` with ``_DistributedApply`` mixed in, under ``base``'s own name and module, so a
    saved model records the plain optimizer (it loads in single-process numeras and Keras)."""
    if issubclass(base, _DistributedApply):
        return base
    cls = _DISTRIBUTED_CLASSES.get(base)
    if cls is None:
        cls = type(base.__name__, (_DistributedApply, base), {
            "__module__": base.__module__, "__qualname__": base.__qualname__,
            "__doc__": base.__doc__,
        })
        _DISTRIBUTED_CLASSES[base] = cls
    return cls


def make_distributed(optimizer: Any, owner: DataParallel | None = None) -> Any:
    """Turn ``optimizer`` itself into its distributed form (its state is kept)."""
    optimizer.__class__ = _distributed_class(type(optimizer))
    if owner is not None:
        optimizer._distribution = owner
    return optimizer


def DistributedOptimizer(optimizer: Any) -> Any:  # noqa: N802 - Horovod's name
    """Horovod's wrapper: ``optimizer``, changed in place so that each ``apply_gradients``
    first averages the gradients over the processes (one ``Allreduce``). ``fit`` under
    ``DataParallel`` does this by itself; use it in a custom loop or a custom ``train_step``.
    Names and saved configs are the wrapped optimizer's."""
    from numeras import optimizers

    if isinstance(optimizer, str):
        optimizer = optimizers.get(optimizer)
    if not hasattr(optimizer, "apply"):
        raise TypeError(
            "DistributedOptimizer: `optimizer` must be a numeras optimizer (e.g. Adam()) or its name, "
            f"received {type(optimizer).__name__}."
        )
    _comm()
    return make_distributed(optimizer)
