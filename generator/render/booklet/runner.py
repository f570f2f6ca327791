"""Running the booklet's renders: from the cache when it has them, else in worker
processes, all of them through one pool so that independent renders overlap.

`Runner.part(job)` and `Runner.call(kind, key, fn, *args)` return futures; a cached
result is a future already done. Results are stored in the cache by the main process
(one writer) as they arrive.
"""

from __future__ import annotations

from concurrent.futures import Future, ProcessPoolExecutor

from generator import pool
from generator.cache import Cache, FileDigests
from generator.render.booklet.parts import Part, PartJob, part_key, render_part


def _done(value) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


class Runner:
    def __init__(self, options, cache: Cache):
        self.jobs = pool.count(options)
        self.cache = cache
        self.digest = FileDigests()
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None and self._pool is not pool.shared():
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def _submit(self, fn, *args) -> Future:
        if self.jobs <= 1:
            try:
                return _done(fn(*args))
            except Exception as e:
                f: Future = Future()
                f.set_exception(e)
                return f
        if self._pool is None:  # only when a render is needed
            self._pool = pool.shared() or ProcessPoolExecutor(max_workers=self.jobs)
        if self._pool is pool.shared():
            return pool.submit(fn, *args)  # before the Word files
        return self._pool.submit(fn, *args)

    def part(self, job: PartJob, done=None) -> Future:
        """The part of `job`, from the cache or rendered; `done()` is called once ready."""
        k = part_key(job, self.digest) if self.cache.enabled else None
        found = self.cache.get("part", k) if k else None
        if found is not None:
            future = _done(Part.from_cache(*found))
        else:
            future = self._submit(render_part, job)
            if k:
                future.add_done_callback(lambda f: f.exception() or self.cache.put("part", k, f.result().pdf,
                                                                                f.result().meta()))
        if done is not None:
            future.add_done_callback(lambda f: done())
        return future

    def call(self, kind: str, k: str | None, fn, *args) -> Future:
        """fn(*args) -> bytes, from the cache under (kind, k) or run in a worker."""
        found = self.cache.get(kind, k) if k else None
        if found is not None:
            return _done(found[0])
        future = self._submit(fn, *args)
        if k:
            future.add_done_callback(lambda f: f.exception() or self.cache.put(kind, k, f.result()))
        return future
