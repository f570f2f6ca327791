"""The build's worker processes: one pool for everything a build runs in parallel
(reading fiches, the booklet's renders, handouts, Word files), started as the build
begins and gone when it ends.

Workers die with their build, however it ends. Each holds the read end of a pipe whose
only write end the build keeps: when the build closes it (at the end, or at once when
it is interrupted) or is killed (kill -9 closes it too), a thread blocked on that pipe
in every worker sees the end of the file and ends the worker's process. Workers ignore
SIGINT and SIGTERM: Ctrl-C reaches the whole process group, and the build alone decides
what stops; it then stops its workers itself.

Work comes in two kinds. `submit` is work the build waits for (a render); `trickle` is
work that may wait (Word files): a trickled task is handed to the workers only while
fewer awaited tasks are pending than there are workers, so a render asked for later
never queues behind it. `later` is trickled work the build will wait for before the
rest (the booklet's page furniture, needed for its assembly, not before): it goes after
every awaited task but before the tasks trickled earlier.

With one job (`--jobs 1`), or inside a worker, everything runs in the calling process.

A task crosses to the workers pickled, by this process: a small one through the
executor's queue, a large one as a file in the pool's own temporary folder, whose name
alone crosses. On CPython before 3.12 the queue's feeder thread, writing a task larger
than the pipe holds when the workers are stopped, waits forever for a reader, and the
interpreter waits for it at exit (python/cpython#94777): a failed or interrupted build
of a catalogue said so and hung. Kept small, the queued tasks always fit in the pipe.

That folder is also the workers' temporary folder (`tempfile.tempdir`), removed with
it: what a worker leaves there (WeasyPrint's copies of the fonts it loaded, which it
deletes only when its font configuration is collected, never in a worker) goes with
the build, not into /tmp for good.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable

_STOPS = {signal.SIGINT, signal.SIGTERM}
# What a pipe holds on Linux unless the user's pipes are over their quota: the tasks
# queued at once (one per worker, and one) must fit in it together, with room to spare.
_PIPE_BYTES = 65536


@contextlib.contextmanager
def held_signals():
    """Ctrl-C and SIGTERM held back for the time of the block, delivered at its end.

    For what an interruption must not cut in two: forking the workers, and importing
    the renderers, whose PDF library (pikepdf, a C++ extension) aborts the whole
    process ("Critical nanobind error") when a KeyboardInterrupt lands in its import.
    In a thread other than the main one, or on a platform without signal masks, the
    block runs as it is."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held back is raised here


def _done(fn, *args) -> Future:
    future: Future = Future()
    try:
        future.set_result(fn(*args))
    except Exception as e:  # noqa: BLE001 - handed to whoever waits for the result
        future.set_exception(e)
    return future


class Pool:
    """`with Pool(jobs) as pool: pool.submit(fn, *args)` — see the module docstring."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        self._executor: ProcessPoolExecutor | None = None
        self._lifeline: int | None = None  # the write end of the workers' pipe
        self._read_end: int | None = None
        self._lock = threading.Lock()
        self._awaited = 0  # submitted tasks not finished yet
        self._trickles: list[_Trickle] = []  # in the order they are served
        self._trickled = 0  # trickled tasks handed to the workers, not finished yet
        self._inline = _PIPE_BYTES // (2 * (self.jobs + 1))  # larger tasks cross as files
        # The pool's own temporary folder: the large tasks' files, and the workers' temporary
        # files (WeasyPrint's copies of the fonts it loads, which it deletes only when its
        # font configuration is collected: a worker ends without collecting anything).
        # Removed once the workers are gone.
        self._folder: str | None = None

    @property
    def parallel(self) -> bool:
        return self._executor is not None

    def __enter__(self) -> Pool:
        if self.jobs > 1 and not _in_worker:
            context = multiprocessing.get_context("fork")  # a worker starts with what the build has loaded
            # Ctrl-C and SIGTERM are held back while the workers are forked: one that came
            # between a fork and the worker's own handlers would be a worker's traceback.
            # Held back, it reaches this process once they are made (a worker starts with
            # them held back too, and ignores them before letting them through); nor can it
            # come between making the pipe or the folder and close() knowing of them.
            try:
                with held_signals():
                    self._read_end, self._lifeline = os.pipe()
                    self._folder = tempfile.mkdtemp(prefix="recueil-")
                    self._executor = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_start_worker,
                                                         initargs=(self._read_end, self._lifeline, self._folder))
                    for _ in range(self.jobs):
                        self._send(int)  # processes start on demand: start them all now
            except BaseException:
                self.close(interrupted=True)
                raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(interrupted=exc_type is not None)

    def close(self, interrupted: bool = False) -> None:
        """Stop the workers: after their work, or at once when the build failed or was
        interrupted (what they were doing is of no use any more)."""
        executor, self._executor = self._executor, None
        if executor is not None and interrupted:
            executor.shutdown(wait=False, cancel_futures=True)
            self._cut_lifeline()
            executor.shutdown(wait=True)
            _reap(time.monotonic() + 5)  # before their folder goes: a dying worker may still write
        elif executor is not None:
            executor.shutdown(wait=True)
        self._cut_lifeline()  # (also when the executor could not be made)
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def _send(self, fn, *args) -> Future:
        """executor.submit(fn, *args), the task pickled here: see the module docstring."""
        executor, folder = self._executor, self._folder  # close() may run meanwhile, from another thread
        if executor is None or folder is None:
            raise RuntimeError("the build's workers stopped before finishing their tasks")
        data = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) <= self._inline:
            return executor.submit(_run, data)
        fd, path = tempfile.mkstemp(dir=folder, prefix="task-")
        with open(fd, "wb") as f:
            f.write(data)
        return executor.submit(_run, path)

    def _cut_lifeline(self) -> None:
        for fd in (self._lifeline, self._read_end):
            if fd is not None:
                os.close(fd)
        self._lifeline = self._read_end = None

    def submit(self, fn, *args) -> Future:
        """Run fn(*args) in a worker; it goes before any trickled work."""
        if self._executor is None:
            return _done(fn, *args)
        with self._lock:
            self._awaited += 1
        try:
            future = self._send(fn, *args)
        except BaseException:
            self._one_less()
            raise
        future.add_done_callback(self._one_less)
        return future

    def each(self, fn) -> None:
        """Have the workers run `fn` (idempotent: a worker may run it twice) after the
        tasks already queued: a stage readies them while others still run."""
        if self._executor is not None:
            for _ in range(self.jobs):
                self._send(fn)

    def trickle(self, fn, tasks: list) -> Callable[[], list]:
        """Run fn(task) for each task in the workers' free time; return a function that
        waits for them and gives their results in order (raising the first failure)."""
        if self._executor is None:
            results = [fn(task) for task in tasks]
            return lambda: results
        return _Trickle(self, fn, tasks).wait

    def later(self, fn, task) -> Future:
        """fn(task) in the workers' free time, as a future; ahead of the tasks trickled
        before it."""
        if self._executor is None:
            return _done(fn, task)
        future: Future = Future()
        _Trickle(self, fn, [task], future)
        return future

    def _one_less(self, _=None) -> None:
        with self._lock:
            self._awaited -= 1
        self._serve_trickles()

    def _serve_trickles(self) -> None:
        with self._lock:
            waiting = list(self._trickles)
        for t in waiting:
            t.submit_more()

    def _take_room(self) -> bool:
        """Whether a worker is free for one more trickled task; if so it is counted."""
        with self._lock:
            if self.jobs - self._awaited - self._trickled <= 0:
                return False
            self._trickled += 1
            return True

    def _give_room(self) -> None:
        with self._lock:
            self._trickled -= 1


class _Trickle:
    def __init__(self, pool: Pool, fn, tasks: list, future: Future | None = None):
        self._pool, self._fn, self._tasks = pool, fn, tasks
        self._future = future  # Pool.later's: one task, its result handed over as it comes
        self._lock = threading.Lock()
        self._next = 0
        self._left = len(tasks)
        self._results: list = [None] * len(tasks)
        self._error: BaseException | None = None
        self._done = threading.Event()
        if not tasks:
            self._done.set()
            return
        with pool._lock:
            if future is None:
                pool._trickles.append(self)
            else:  # served before every plain trickle, after the `later` ones before it
                at = next((i for i, t in enumerate(pool._trickles) if t._future is None), len(pool._trickles))
                pool._trickles.insert(at, self)
        self.submit_more()

    def submit_more(self) -> None:
        """Hand the workers as many tasks as they have room for. Called from the pool's
        own thread as tasks finish: no exception may escape."""
        while True:
            with self._lock:
                if self._next >= len(self._tasks) or self._error is not None or not self._pool._take_room():
                    return
                i = self._next
                self._next += 1
            try:
                future = self._pool._send(self._fn, self._tasks[i])  # raises once the pool is shut
            except BaseException as e:  # noqa: BLE001 - the pool is shut or broken: wait() raises it
                self._pool._give_room()
                self._fail(e)
                return
            future.add_done_callback(lambda f, i=i: self._finished(i, f))

    def _finished(self, i: int, future: Future) -> None:
        self._pool._give_room()
        try:
            self._record(i, future)
        finally:  # the worker it ran on is free: the first trickle in line gets it
            self._pool._serve_trickles()

    def _record(self, i: int, future: Future) -> None:
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
                self._finish()
        if self._future is not None:
            self._future.set_result(self._results[0])

    def _fail(self, error: BaseException) -> None:
        with self._lock:
            first = self._error is None
            if first:
                self._error = error
            self._finish()
        if self._future is not None and first:
            self._future.set_exception(error)

    def _finish(self) -> None:
        with self._pool._lock:
            if self in self._pool._trickles:
                self._pool._trickles.remove(self)
        self._done.set()

    def wait(self) -> list:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._results


# In a worker ------------------------------------------------------------------------

_in_worker = False  # a worker runs its own work itself: no pool inside a pool


def in_worker() -> bool:
    """Whether this process is one of a build's workers (which ends with the build)."""
    return _in_worker


def _start_worker(read_end: int, lifeline: int, folder: str) -> None:
    global _in_worker
    _in_worker = True
    os.close(lifeline)  # the build's end: only the build may keep the pipe open
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)  # held back since the fork; ignored from now on
    # fontTools, which WeasyPrint falls back to without HarfBuzz's subsetter, stamps the
    # fonts it writes with the clock unless this is set: a worker's renders carry no date.
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    # A worker's temporary files go in the pool's folder, which the build removes: the
    # worker ends by os._exit, and what it made would otherwise stay in /tmp for good.
    tempfile.tempdir = folder
    threading.Thread(target=_die_with_build, args=(read_end, folder), daemon=True, name="lifeline").start()


def _reap(deadline: float) -> None:
    """Wait until this process has no child left, or until `deadline` (time.monotonic):
    a build's only children are its workers, which end as soon as the lifeline is cut."""
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.005)


def _run(task: bytes | str):
    """A task as Pool._send sent it: its pickle, or the name of the file holding it."""
    if isinstance(task, str):
        with open(task, "rb") as f:
            data = f.read()
        os.unlink(task)
        task = data
    fn, args = pickle.loads(task)
    return fn(*args)


def _die_with_build(read_end: int, folder: str) -> None:
    while True:
        try:
            if not os.read(read_end, 1):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    # The build is done with the pool's folder, or dead (killed: it cannot remove it).
    shutil.rmtree(folder, ignore_errors=True)
    os._exit(0)


def isolated(fn, *args):
    """fn(*args) in a child of this worker, forked for it: what it allocates goes when it
    ends. A worker that lays out the contents or the indexes of a catalogue (WeasyPrint's
    boxes, then QPDF's objects: 50 MiB or more) would otherwise hold that memory for the
    rest of the build, at the assembly's peak. The child has only the thread that forked
    it; it sends its result (or its exception) back through a pipe. Outside a worker, or
    where there is no fork, fn runs here."""
    import pickle

    if not _in_worker or not hasattr(os, "fork"):
        return fn(*args)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        status = 0
        try:
            os.close(read_end)
            try:
                payload = pickle.dumps((True, fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as e:  # noqa: BLE001 - handed to the worker, which raises it
                payload = pickle.dumps((False, e), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as f:
                f.write(payload)
        except BaseException:  # noqa: BLE001 - nothing may escape a forked child
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        payload = f.read()
    os.waitpid(pid, 0)
    if not payload:
        raise RuntimeError("a forked render ended without a result")  # killed, or out of memory
    ok, value = pickle.loads(payload)
    if not ok:
        raise value
    return value


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants, parents first, from /proc/PID/task/*/children (Linux):
    what stopping a build for good, or measuring one, must reach."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
            except (OSError, ValueError):
                continue
    return found
