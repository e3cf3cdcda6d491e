"""``numeras.distribution``: data-parallel training over processes with MPI, under Keras 3's
names (``keras.distribution``) plus Horovod's (``DistributedOptimizer``, ``broadcast_variables``).

    import numeras
    from numeras import distribution

    distribution.set_distribution(distribution.DataParallel())
    model.fit(x, y, batch_size=128)   # 128 = the global batch, split among the processes

Launch with ``numeras launch -n 4 train.py`` (or ``mpiexec -n 4 python train.py``). Needs
``pip install "numeras[mpi]"`` (mpi4py and the mpich wheel). Importing this package does not
load MPI; making a ``DataParallel`` (or calling ``initialize``) does.
"""

from numeras.distribution.distribution_lib import (
    DataParallel,
    DistributedOptimizer,
    Distribution,
    all_reduce,
    broadcast_variables,
    distribution,
    initialize,
    is_chief,
    list_devices,
    local_rank,
    num_processes,
    process_id,
    set_distribution,
)

__all__ = [
    "DataParallel",
    "Distribution",
    "DistributedOptimizer",
    "all_reduce",
    "broadcast_variables",
    "distribution",
    "initialize",
    "is_chief",
    "list_devices",
    "local_rank",
    "num_processes",
    "process_id",
    "set_distribution",
]
