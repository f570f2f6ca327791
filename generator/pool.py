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


def submit(fn, *args) -> Future:
    """Submit work the build waits for (a render) to the workers: it goes before any
    trickled work (see trickle)."""
    global _awaited
    with _state:
        _awaited += 1
    try:
        future = _shared.submit(fn, *args)
    except BaseException:
        _one_less()
        raise
    future.add_done_callback(_one_less)
    return future


def _one_less(_=None) -> None:
    global _awaited
    with _state:
        _awaited -= 1
        waiting = list(_trickles)
    for t in waiting:
        t.submit_more()


def trickle(fn, tasks: list) -> Callable[[], list]:
    """Run fn(task) for each task in the workers, in the time they have free, and return
    a function that waits for them and gives their results in order.

    A trickled task is handed to the pool only while there are fewer tasks the build waits
    for (see submit) than workers: Word files fill the time the workers would otherwise
    wait (while the booklet is assembled, say), and a render asked for later never
    queues behind them. Without workers, the tasks run here and now."""
    if _shared is None:
        results = [fn(task) for task in tasks]
        return lambda: results
    return _Trickle(_shared, fn, tasks).wait


_state = threading.Lock()
_awaited = 0  # tasks submitted with submit() not finished yet
_trickles: list[_Trickle] = []


class _Trickle:
    def __init__(self, pool: ProcessPoolExecutor, fn, tasks: list):
        self._pool, self._fn, self._tasks = pool, fn, tasks
        self._lock = threading.Lock()
        self._next = 0
        self._running = 0
        self._left = len(tasks)
        self._results: list = [None] * len(tasks)
        self._error: BaseException | None = None
        self._done = threading.Event()
        if not tasks:
            self._done.set()
            return
        with _state:
            _trickles.append(self)
        self.submit_more()

    def submit_more(self) -> None:
        """Hand the pool as many tasks as it has room for. Called from the pool's own
        thread as tasks finish: no exception may escape."""
        while True:
            with self._lock:
                room = _size - _awaited - self._running
                if room <= 0 or self._next >= len(self._tasks) or self._error is not None:
                    return
                i = self._next
                self._next += 1
                self._running += 1
            try:
                future = self._pool.submit(self._fn, self._tasks[i])
            except BaseException as e:  # noqa: BLE001 - the pool is shut or broken: wait() raises it
                self._fail(e)
                return
            future.add_done_callback(lambda f, i=i: self._finished(i, f))

    def _finished(self, i: int, future: Future) -> None:
        if future.cancelled():
            self._fail(RuntimeError("the build's workers stopped before finishing their tasks"))
            return
        if future.exception() is not None:
            self._fail(future.exception())
            return
        with self._lock:
            self._results[i] = future.result()
            self._running -= 1
            self._left -= 1
            if self._left == 0:
                self._finish()
        self.submit_more()

    def _fail(self, error: BaseException) -> None:
        with self._lock:
            if self._error is None:
                self._error = error
            self._finish()

    def _finish(self) -> None:
        with _state:
            if self in _trickles:
                _trickles.remove(self)
        self._done.set()

    def wait(self) -> list:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._results


@contextlib.contextmanager
def started(n: int):
    """`n` worker processes for the duration of the block (none when n <= 1)."""
    global _shared, _size
    if n <= 1 or _shared is not None:
        yield
        return
    global _awaited
    pool = ProcessPoolExecutor(max_workers=n)
    for _ in range(n):
        pool.submit(int)  # processes start on demand: ask for all of them now
    _shared, _size, _awaited = pool, n, 0
    _trickles.clear()
    try:
        yield
    finally:
        _shared, _size = None, 0
        pool.shutdown(wait=True, cancel_futures=True)
