"""The build's workers: work that may wait (Word files) trickles in, so that a render
asked for later does not queue behind all of it, and nothing is lost on the way."""

from __future__ import annotations

import time

import pytest

from generator import pool


def _square(n: int) -> int:
    if n == 13:
        raise ValueError("thirteen")
    time.sleep(0.01)
    return n * n


def test_trickle_gives_every_result_in_order():
    with pool.started(2):
        wait = pool.trickle(_square, list(range(12)))
        assert wait() == [n * n for n in range(12)]
        assert pool.trickle(_square, [])() == []


def _finished_at(n: int) -> float:
    time.sleep(0.01)
    return time.time()


def test_trickle_keeps_the_workers_free_for_what_comes_later():
    with pool.started(2):
        wait = pool.trickle(_finished_at, list(range(40)))
        # Submitted after 40 tasks of 10 ms each: it does not wait for all of them.
        marker = pool.submit(_finished_at, -1).result()
        ends = wait()
        assert sum(end > marker for end in ends) >= 20


def _slept(seconds: float) -> tuple[float, float]:
    start = time.time()
    time.sleep(seconds)
    return start, time.time()


def test_a_render_asked_for_later_goes_before_trickled_work():
    with pool.started(2):
        busy = [pool.submit(_slept, 0.3) for _ in range(2)]
        trickled = pool.trickle(_slept, [0.05] * 4)
        time.sleep(0.1)
        later = pool.submit(_slept, 0.01).result()
        starts = [start for start, _ in trickled()]
        assert all(f.done() for f in busy)
        assert later[0] <= min(starts), "no Word file starts before the render asked for meanwhile"


def test_trickle_raises_the_first_failure():
    with pool.started(2):
        wait = pool.trickle(_square, list(range(20)))
        with pytest.raises(ValueError, match="thirteen"):
            wait()


def test_without_workers_the_tasks_run_here():
    wait = pool.trickle(_square, [2, 3])
    assert wait() == [4, 9]
