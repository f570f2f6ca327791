"""Each build of the preview runs in a child process forked from the server.

The call is the one `recueil build` makes (generator.build.build, same options, same
OUT); only where it runs differs. Why a child: a build loads and uses the heavy C
libraries (WeasyPrint renders a handout in the calling process when only one is to be
made; Pango and fontconfig keep about 0.3 MB of each render for good), and a server
that builds all day must not keep what its builds leave behind, nor go down with one
that crashes. A fork is cheap (the server imported the renderers once: the child has
them), the child's memory goes back to the system when it ends, and its workers are
forked from a process with a single thread.

The child reports on a pipe: ("stage", name) as each stage starts, then one last
message (see `Outcome`). It ignores Ctrl-C from the terminal (the server's at-fork
hook, see generator.serve): the server asks it to stop with SIGUSR1 (or it gets
SIGTERM), which interrupts the build the way Ctrl-C interrupts `recueil build`; an
interruption Python loses in a finalizer is raised again when the next stage starts.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

STOP = signal.SIGUSR1
KILL_AFTER = 30.0  # seconds a child asked to stop gets before it is killed, workers included


@dataclass
class Outcome:
    kind: str  # "built" | "failed" (bad input) | "output" (OUT unusable) | "bug" | "interrupted" | "crashed"
    items: list = field(default_factory=list)  # the build's diagnostics
    edition: object = None  # model.Edition, when the build read the project
    up_to_date: bool = False
    message: str = ""  # "output", "bug", "crashed": what went wrong
    trace: str = ""  # "bug": the traceback, for RECUEIL_DEBUG


def preload() -> None:
    """Import what a build uses, once, in the server: every child has it already."""
    import generator.build  # noqa: F401
    import generator.render.booklet  # noqa: F401
    import generator.render.handout  # noqa: F401
    import generator.render.word  # noqa: F401
    import generator.write.manifest  # noqa: F401
    import generator.write.staging  # noqa: F401
    import generator.write.uptodate  # noqa: F401


def _child(conn, root: Path, options) -> None:
    from generator.build import Stages, build
    from generator.diagnostics import InputError, Report
    from generator.write.staging import OutputBusy, OutputError

    stopping = []

    def stop(signum, frame):
        if not stopping:
            stopping.append(signum)
            raise KeyboardInterrupt

    signal.signal(STOP, stop)
    signal.signal(signal.SIGTERM, stop)

    def unraisable(info, default=sys.unraisablehook):
        if info.exc_type is None or not issubclass(info.exc_type, KeyboardInterrupt):
            default(info)

    sys.unraisablehook = unraisable

    class Reported(Stages):
        def __call__(self, name):
            if stopping:
                raise KeyboardInterrupt  # asked to stop, and the signal's own interruption was lost
            conn.send(("stage", name))
            return super().__call__(name)

    report = Report()
    try:
        try:
            result = build(root, options, report, Reported())
            outcome = Outcome("built", report.items, result.get("edition"), bool(result.get("up_to_date")))
        except InputError as e:
            items = report.items + ([] if e.report is report else e.report.items)
            outcome = Outcome("failed", items)
        except (OutputBusy, OutputError) as e:
            outcome = Outcome("output", report.items, message=str(e))
        except KeyboardInterrupt:
            outcome = Outcome("interrupted", report.items)
        except Exception as e:  # noqa: BLE001 - the server says it, and goes on
            outcome = Outcome("bug", report.items, message=f"{type(e).__name__}: {str(e)[:200]}",
                              trace=traceback.format_exc())
        conn.send(("end", outcome))
    except KeyboardInterrupt:  # asked to stop while answering: the server knows
        pass
    except (BrokenPipeError, OSError):  # the server is gone
        pass
    finally:
        conn.close()


class Builder:
    """Runs builds in children, one at a time, from the server's main thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._process = None
        self._stop_asked = False

    def run(self, root: Path, options, on_stage) -> Outcome:
        """One build; `on_stage(name)` as each stage starts. Returns when the child ends."""
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_child, args=(send, root, options), name="recueil-build")
        with self._lock:
            if self._stop_asked:
                return Outcome("interrupted")
            process.start()
            self._process = process
        send.close()
        outcome = Outcome("crashed", message="the build stopped without a word (killed?)")
        try:
            while True:
                try:
                    kind, value = receive.recv()
                except (EOFError, OSError):
                    break
                if kind == "stage":
                    on_stage(value)
                else:
                    outcome = value
                    break
        finally:
            receive.close()
            process.join()
            with self._lock:
                self._process = None
        if outcome.kind == "crashed" and process.exitcode:
            outcome.message = f"the build stopped with status {process.exitcode}"
        return outcome

    def stop(self) -> None:
        """Ask the running build, if any, to stop; kill it if it has not within KILL_AFTER.
        Safe from a signal handler: it only sends signals and starts a timer."""
        with self._lock:
            self._stop_asked = True
            process = self._process
        if process is None or process.pid is None:
            return
        try:
            os.kill(process.pid, STOP)
        except ProcessLookupError:
            return
        timer = threading.Timer(KILL_AFTER, _kill_tree, args=(process.pid,))
        timer.daemon = True
        timer.start()


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and its descendants (from /proc: the build's workers)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue
    for p in found:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
