"""Start a script on several processes: ``numeras launch -n 4 train.py [ARGS ...]`` or
``python -m numeras.distribution.launch -n 4 train.py [ARGS ...]``.

It runs ``mpiexec -n 4 python train.py ARGS``, with the ``mpiexec`` of the ``mpich`` wheel that
``pip install "numeras[mpi]"`` put beside this Python (found even when that folder is not on
``PATH``), and the same Python interpreter on every process. ``--hostfile FILE`` spreads the
processes over the machines FILE lists (one ``host[:slots]`` a line; MPICH's format), and
``--mpiexec PATH`` (or the ``NUMERAS_MPIEXEC`` variable) picks another launcher, and ``--keras``
runs the script as ``numeras run`` does (a Keras program's ``import keras`` gives numeras).

On one machine, each process gets ``OMP_NUM_THREADS`` = cores / processes (unless you set it),
so that n processes do not each start a BLAS thread per core and fight over the cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence

USAGE = """usage: numeras launch -n N [--hostfile FILE] [--mpiexec PATH] [--keras] SCRIPT [ARGS ...]

Run SCRIPT on N processes with MPI (data-parallel training with
numeras.distribution.DataParallel). Needs `pip install "numeras[mpi]"`.
"""


def find_mpiexec() -> str | None:
    """The ``mpiexec`` to use: ``$NUMERAS_MPIEXEC``, then the one installed beside this
    Python's scripts (the ``mpich`` wheel's), then the first on ``PATH``."""
    configured = os.environ.get("NUMERAS_MPIEXEC")
    if configured:
        return configured
    folders = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    user_scripts = sysconfig.get_path("scripts", f"{os.name}_user")
    if user_scripts:
        folders.append(user_scripts)
    for folder in folders:
        candidate = os.path.join(folder, "mpiexec")
        if folder and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("mpiexec")


def build_command(
    processes: int, script: str, args: Sequence[str], mpiexec: str, hostfile: str | None = None, keras: bool = False
) -> list[str]:
    """The launcher's command line; with ``keras``, each process runs the script through
    ``numeras run`` so that its ``keras`` imports resolve to numeras."""
    command = [mpiexec, "-n", str(processes)]
    if hostfile:
        command += ["-f", hostfile]
    runner = [sys.executable, "-m", "numeras", "run"] if keras else [sys.executable]
    return [*command, *runner, script, *args]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="numeras launch", usage=USAGE.splitlines()[0][len("usage: "):], add_help=True)
    parser.add_argument("-n", "--num-processes", "-np", dest="processes", type=int, required=True,
                        help="how many processes to start")
    parser.add_argument("--hostfile", "-f", dest="hostfile", default=None,
                        help="file listing the machines to use, one `host[:slots]` a line")
    parser.add_argument("--mpiexec", dest="mpiexec", default=None, help="the MPI launcher to run")
    parser.add_argument("--keras", action="store_true",
                        help="run SCRIPT as `numeras run` does: its keras imports resolve to numeras")
    parser.add_argument("script", help="the Python script to run on every process")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, start the job, wait for it; returns the launcher's exit status."""
    options = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if options.processes < 1:
        print(f"numeras launch: -n must be at least 1, received {options.processes}.", file=sys.stderr)
        return 2
    if not os.path.isfile(options.script):
        print(f"numeras launch: can't open file {options.script!r}: no such file.", file=sys.stderr)
        return 2
    if options.hostfile and not os.path.isfile(options.hostfile):
        print(f"numeras launch: --hostfile {options.hostfile!r}: no such file.", file=sys.stderr)
        return 2
    mpiexec = options.mpiexec or find_mpiexec()
    if mpiexec is None:
        print(
            "numeras launch: no `mpiexec` found. Install MPI for Python with `pip install "
            '"numeras[mpi]"` (it brings the mpich wheel and its mpiexec), or pass --mpiexec PATH.',
            file=sys.stderr,
        )
        return 2
    environment = dict(os.environ)
    if "OMP_NUM_THREADS" not in environment and not options.hostfile:
        environment["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // options.processes))
    command = build_command(options.processes, options.script, options.args, mpiexec, options.hostfile, options.keras)
    try:
        return subprocess.call(command, env=environment)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
