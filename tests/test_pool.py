"""The build's workers: work that may wait (Word files) trickles in, so that a render
asked for later does not queue behind all of it; nothing is lost on the way; and the
workers die with their build, however it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from generator.pool import Pool


def _square(n: int) -> int:
    if n == 13:
        raise ValueError("thirteen")
    return n * n


def test_trickle_gives_every_result_in_order():
    with Pool(2) as pool:
        assert pool.parallel
        assert pool.trickle(_square, list(range(12)))() == [n * n for n in range(12)]
        assert pool.trickle(_square, [])() == []


def test_trickle_raises_the_first_failure():
    with Pool(2) as pool:
        with pytest.raises(ValueError, match="thirteen"):
            pool.trickle(_square, list(range(20)))()


def test_with_one_job_everything_runs_here():
    with Pool(1) as pool:
        assert not pool.parallel
        assert pool.trickle(_square, [2, 3])() == [4, 9]
        assert pool.submit(os.getpid).result() == os.getpid()
        with pytest.raises(ValueError):
            pool.submit(_square, 13).result()


def _gate(args: tuple[str, str, str]) -> str:
    """Log that `name` started, then wait until the file `gate` exists."""
    log, name, gate = args
    with open(log, "a") as f:
        f.write(name + "\n")
    while gate and not os.path.exists(gate):
        time.sleep(0.005)
    return name


def test_a_render_asked_for_later_goes_before_trickled_work(tmp_path):
    log, gates = str(tmp_path / "log"), [str(tmp_path / "open0"), str(tmp_path / "open1")]
    with Pool(2) as pool:
        busy = [pool.submit(_gate, (log, f"busy{i}", gates[i])) for i in range(2)]
        while len(Path(log).read_text().split()) < 2 if Path(log).exists() else True:
            time.sleep(0.005)  # until both workers are busy
        trickled = pool.trickle(_gate, [(log, f"word{i}", "") for i in range(4)])
        later = pool.submit(_gate, (log, "render", ""))
        Path(gates[0]).touch()  # one worker free: what it runs next is logged in order
        assert later.result() == "render"
        Path(gates[1]).touch()
        assert [f.result() for f in busy] == ["busy0", "busy1"]
        assert trickled() == [f"word{i}" for i in range(4)]
    started = Path(log).read_text().split()
    # Both workers were busy when the Word files came: none was handed over before the
    # render asked for afterwards.
    assert started[2] == "render", started


def test_work_wanted_later_goes_before_earlier_trickles_and_after_renders(tmp_path):
    # The booklet's page furniture: after the renders the build waits for, before the
    # Word files trickled earlier; and never more tasks handed over than workers free.
    log, gates = str(tmp_path / "log"), [str(tmp_path / "open0"), str(tmp_path / "open1")]
    with Pool(2) as pool:
        busy = [pool.submit(_gate, (log, f"busy{i}", gates[i])) for i in range(2)]
        while len(Path(log).read_text().split()) < 2 if Path(log).exists() else True:
            time.sleep(0.005)
        words = pool.trickle(_gate, [(log, f"word{i}", "") for i in range(3)])
        pages = pool.trickle(_gate, [(log, f"page{i}", "") for i in range(2)])
        furniture = [pool.later(_gate, (log, f"furniture{i}", "")) for i in range(2)]
        render = pool.submit(_gate, (log, "render", ""))
        Path(gates[0]).touch()
        assert render.result() == "render"
        # One worker serves the rest while the other stays busy: the order tasks start in
        # is then the order they were handed over (two free workers race to their logs).
        assert sorted(f.result() for f in furniture) == ["furniture0", "furniture1"]
        assert words() == [f"word{i}" for i in range(3)] and pages() == ["page0", "page1"]
        Path(gates[1]).touch()
        assert [f.result() for f in busy] == ["busy0", "busy1"]
        with pytest.raises(ValueError, match="thirteen"):
            pool.later(_square, 13).result()
    started = Path(log).read_text().split()
    assert started[2] == "render", started
    assert started[3:5] == ["furniture0", "furniture1"], started
    # Then the trickles in the order they came, each served to the end before the next.
    assert set(started[5:8]) == {"word0", "word1", "word2"} and set(started[8:]) == {"page0", "page1"}, started
    with Pool(1) as pool:
        assert pool.later(_square, 3).result() == 9


def test_workers_ignore_ctrl_c_and_are_stopped_by_the_build():
    with Pool(2) as pool:
        pids = {pool.submit(os.getpid).result() for _ in range(8)}
        for pid in pids:
            os.kill(pid, signal.SIGINT)
        assert pool.submit(_square, 3).result() == 9  # still there
    for pid in pids:
        _gone(pid)


def _gone(pid: int) -> None:
    """Wait until process `pid` has exited (polled: the kernel tells no one else)."""
    for _ in range(400):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        with open(f"/proc/{pid}/stat") as f:
            if f.read().split(")")[-1].split()[0] == "Z":  # exited, not yet reaped by its parent
                return
        time.sleep(0.005)
    raise AssertionError(f"worker {pid} is still running")


def _run_build(tmp_path: Path, source: str, timeout: float) -> subprocess.CompletedProcess:
    """Run `source` as a build's script, in a process of its own, with tmp_path/pids as
    its argument (a folder its workers sign) and tmp_path as its temporary folder: a
    killed or hung build cannot remove its own."""
    script = tmp_path / "build.py"
    script.write_text(textwrap.dedent(source))
    (tmp_path / "pids").mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "TMPDIR": str(tmp_path)}
    return subprocess.run([sys.executable, str(script), str(tmp_path / "pids")], capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_kill_9_of_the_build_leaves_no_worker_behind(tmp_path):
    result = _run_build(tmp_path, """
        import os, signal, sys, time
        from generator.pool import Pool

        def both(folder):  # each worker runs one: it waits until both have started
            open(os.path.join(folder, str(os.getpid())), "w").close()
            while len(os.listdir(folder)) < 2:
                time.sleep(0.005)
            time.sleep(60)

        if __name__ == "__main__":
            with Pool(2) as pool:
                for _ in range(2):
                    pool.submit(both, sys.argv[1])
                while len(os.listdir(sys.argv[1])) < 2:
                    time.sleep(0.005)
                print(*os.listdir(sys.argv[1]), flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
    """, timeout=60)
    assert result.returncode == -signal.SIGKILL
    pids = [int(p) for p in result.stdout.split()]
    assert len(pids) == 2
    for pid in pids:
        _gone(pid)
    # The build could not remove the pool's folder: its workers did, as they ended.
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("recueil-")]


def test_a_build_stopped_with_large_tasks_queued_exits(tmp_path):
    # Both workers busy, tasks larger than a pipe holds waiting for them: stopping the
    # build then stopped the workers while the queue's feeder thread was blocked writing
    # one, and the interpreter waited for that thread forever at exit (CPython before
    # 3.12, python/cpython#94777): Ctrl-C on a catalogue's build printed « interrupted »
    # and hung.
    result = _run_build(tmp_path, """
        import os, sys, time
        from generator.pool import Pool

        def busy(folder):
            open(os.path.join(folder, str(os.getpid())), "w").close()
            time.sleep(120)

        if __name__ == "__main__":
            with Pool(2) as pool:
                for _ in range(2):
                    pool.submit(busy, sys.argv[1])
                while len(os.listdir(sys.argv[1])) < 2:
                    time.sleep(0.005)
                for _ in range(8):
                    pool.submit(len, b"x" * 300_000)
                    pool.trickle(len, [b"y" * 300_000])
                time.sleep(0.5)  # the queue's feeder writes what it can meanwhile
                raise SystemExit(3)  # the build fails: its workers are stopped at once
    """, timeout=100)
    assert result.returncode == 3, result.stderr
    for pid in os.listdir(tmp_path / "pids"):
        _gone(int(pid))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build.py", "pids"], "the pool's folder stayed"
