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
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable

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


def trickle(fn, tasks: list) -> Callable[[], list]:
    """Run fn(task) for each task in the workers, at most one a worker at a time, and
    return a function that waits for them and gives their results in order.

    Work the build waits for (a fiche's render) is submitted later but starts as soon as
    a worker is free, instead of queueing behind all of these: Word files fill the time
    the workers would otherwise wait. Without workers, the tasks run here and now."""
    if _shared is None:
        results = [fn(task) for task in tasks]
        return lambda: results
    return _Trickle(_shared, fn, tasks, _size).wait


class _Trickle:
    def __init__(self, pool: ProcessPoolExecutor, fn, tasks: list, width: int):
        self._pool, self._fn, self._tasks = pool, fn, tasks
        self._lock = threading.Lock()
        self._next = 0
        self._left = len(tasks)
        self._results: list = [None] * len(tasks)
        self._error: BaseException | None = None
        self._done = threading.Event()
        if not tasks:
            self._done.set()
        for _ in range(min(width, len(tasks))):
            self._submit_next()

    def _submit_next(self) -> None:
        # Called from the pool's own thread as tasks finish: no exception may escape.
        with self._lock:
            if self._next >= len(self._tasks) or self._error is not None:
                return
            i = self._next
            self._next += 1
        try:
            future = self._pool.submit(self._fn, self._tasks[i])
        except BaseException as e:  # noqa: BLE001 - the pool is shut or broken: wait() raises it
            self._fail(e)
            return
        future.add_done_callback(lambda f: self._finished(i, f))

    def _finished(self, i: int, future: Future) -> None:
        if future.cancelled():
            self._fail(RuntimeError("the build's workers stopped before finishing their tasks"))
            return
        if future.exception() is not None:
            self._fail(future.exception())
            return
        with self._lock:
            self._results[i] = future.result()
            self._left -= 1
            if self._left == 0:
                self._done.set()
        self._submit_next()

    def _fail(self, error: BaseException) -> None:
        with self._lock:
            if self._error is None:
                self._error = error
        self._done.set()

    def wait(self) -> list:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._results


def _start(n: int) -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(max_workers=n)
    for _ in range(n):
        pool.submit(int)  # processes start on demand: ask for all of them now
    return pool


@contextlib.contextmanager
def started(n: int):
    """`n` worker processes for the duration of the block (none when n <= 1)."""
    global _shared, _size
    if n <= 1 or _shared is not None:
        yield
        return
    _shared, _size = _start(n), n
    try:
        yield
    finally:
        pool, _shared, _size = _shared, None, 0
        pool.shutdown(wait=True, cancel_futures=True)
