"""The build's worker processes: started as a build begins, shared by every stage that
has work for them (reading fiches, Word files, the booklet's renders).

Starting them first lets them warm up (WeasyPrint imported, fonts configured) while the
main process checks and reads the project: a build after a one-word edit then waits for
its one render, not for processes to start. Workers are forked, so whatever a task
needs that the main process already holds travels with the task.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ProcessPoolExecutor

_shared: ProcessPoolExecutor | None = None


def count(options) -> int:
    """How many worker processes a build uses: --jobs, else one per core."""
    return max(1, getattr(options, "jobs", None) or os.cpu_count() or 1)


def shared() -> ProcessPoolExecutor | None:
    """The running build's workers, or None (one job, or no build running)."""
    return _shared


@contextlib.contextmanager
def started(n: int, initializer=None):
    """`n` worker processes for the duration of the block (none when n <= 1)."""
    global _shared
    if n <= 1 or _shared is not None:
        yield
        return
    pool = ProcessPoolExecutor(max_workers=n, initializer=initializer)
    for _ in range(n):
        pool.submit(int)  # processes start on demand: ask for all of them now
    _shared = pool
    try:
        yield
    finally:
        _shared = None
        pool.shutdown(wait=True, cancel_futures=True)
