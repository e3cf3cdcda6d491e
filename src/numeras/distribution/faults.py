"""What happens when one process of a distributed job fails.

An uncaught exception on one rank would otherwise leave the others blocked forever in their
next collective. ``install_abort_on_exception`` replaces ``sys.excepthook`` so that the failing
rank writes its traceback (prefixed with its rank) straight to stderr and then calls
``MPI_Abort``, which makes the launcher end every process of the job: the job stops within a
second, with the cause on screen. (``numeras run`` reports a script's exception through
``sys.excepthook`` too, so it is covered.)

A process killed outright (out of memory, ``kill -9``) never reaches Python; MPICH's launcher
(hydra, the ``mpiexec`` of the ``mpich`` wheel) sees it die and ends the others with "BAD
TERMINATION ... Killed (signal 9)" and a non-zero exit status, so no watchdog is needed there.

A process that leaves ``fit``'s epoch loop by any exception, ``SystemExit`` and
``KeyboardInterrupt`` included (a callback calling ``sys.exit()`` on one rank, say), would leave
the others blocked in their next ``Allreduce`` even if the exception is caught: the epoch
iterator reports it here (``DataParallel.on_loop_error``) and the job is aborted the same way.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Any

_installed = False


def install_abort_on_exception(comm: Any) -> None:
    """Make an uncaught exception on this process abort the whole job (once per process)."""
    global _installed
    if _installed or comm.size == 1:
        return
    previous = sys.excepthook

    def abort_on_uncaught(kind: type, value: BaseException, tb: Any) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
        abort_job(comm, "uncaught exception", value)

    sys.excepthook = abort_on_uncaught
    _installed = True


def abort_job(comm: Any, reason: str, error: BaseException) -> None:
    """Write ``error``'s traceback to stderr, prefixed with this rank, and ``MPI_Abort`` the
    job (the launcher then ends every process). Never returns."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    message = f"[numeras rank {comm.rank}] {reason}; aborting the {comm.size}-process job:\n{text}"
    try:
        # One unbuffered write, so the launcher forwards it whole before the abort.
        os.write(2, message.encode(errors="replace"))
    except OSError:
        pass
    time.sleep(0.2)  # let the launcher forward stderr before it tears the job down
    comm.Abort(1)
