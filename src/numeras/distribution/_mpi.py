"""The one place that imports mpi4py, lazily, with the error that says how to get it.

Nothing in numeras imports this module until a distribution is created, so single-process code
never loads MPI (importing mpi4py initialises MPI, which takes time and may print warnings on
machines without a network).
"""

from __future__ import annotations

import os
from typing import Any

INSTALL_HINT = 'pip install "numeras[mpi]"'


def mpi() -> Any:
    """The ``mpi4py.MPI`` module (initialising MPI on the first call)."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(
            "numeras.distribution needs mpi4py (with an MPI library such as the `mpich` wheel) to "
            f"run on several processes, and it is not installed. Install both with `{INSTALL_HINT}`, "
            "then launch the script with `numeras launch -n 4 train.py` (or `mpiexec -n 4 python "
            f"train.py`). Import error: {error}"
        ) from error
    return MPI


def world() -> Any:
    """``MPI.COMM_WORLD``."""
    return mpi().COMM_WORLD


def is_initialized() -> bool:
    """Whether mpi4py is loaded and MPI initialised, without loading it."""
    import sys

    module = sys.modules.get("mpi4py.MPI")
    return module is not None and bool(module.Is_initialized()) and not module.Is_finalized()


# The environment variables launchers set for each process, read when MPI is not loaded (so that
# `process_id()` in a launched script costs nothing before a distribution is set).
_RANK_VARIABLES = ("PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK", "SLURM_PROCID")
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_NTASKS")
_LOCAL_RANK_VARIABLES = ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "MV2_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID")


def environment_int(names: tuple[str, ...], default: int) -> int:
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return default
