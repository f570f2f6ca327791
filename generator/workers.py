"""The build's worker processes: started as a build begins, shared by every stage that
has work for them (reading fiches, Word files, the booklet's renders).

Started first, they read the fiches, then warm up for the booklet (WeasyPrint imported,
fonts configured) while the main process goes on: a build after a one-word edit then
waits for its one render, not for processes to start. Workers are forked before the
project is read, so a task brings what it needs with it.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ProcessPoolExecutor

_shared: ProcessPoolExecutor | None = None
_size = 0


def count(options) -> int:
    """How many worker processes a build uses: --jobs, else one per core."""
    return max(1, getattr(options, "jobs", None) or os.cpu_count() or 1)


def shared() -> ProcessPoolExecutor | None:
    """The running build's workers, or None (one job, or no build running)."""
    return _shared


def each(fn) -> None:
    """Have every worker run `fn` (which must be idempotent) after the tasks already
    queued: a stage that will need them readies them while others still run."""
    if _shared is not None:
        for _ in range(_size):
            _shared.submit(fn)


@contextlib.contextmanager
def started(n: int):
    """`n` worker processes for the duration of the block (none when n <= 1)."""
    global _shared, _size
    if n <= 1 or _shared is not None:
        yield
        return
    pool = ProcessPoolExecutor(max_workers=n)
    for _ in range(n):
        pool.submit(int)  # processes start on demand: ask for all of them now
    _shared, _size = pool, n
    try:
        yield
    finally:
        _shared, _size = None, 0
        pool.shutdown(wait=True, cancel_futures=True)
