"""Each build of the preview runs in a child process of its own.

The call is the one `recueil build` makes (generator.build.build, same options, same
OUT); only where it runs differs. Why a child: a build loads and uses the heavy C
libraries (WeasyPrint renders a handout in the calling process when only one is to be
made; Pango and fontconfig keep about 0.3 MB of each render for good), and a server
that builds all day must not keep what its builds leave behind, nor go down with one
that crashes.

The children come from multiprocessing's fork server: a process started once, before
the server has threads, with the renderers imported (PRELOAD). Each build is a fork of
that single-threaded process: it starts with everything imported, forks its own workers
as `recueil build` does, and hands its memory back when it ends. (A fork of the server
itself would copy locks held by its other threads: the page's, the fiche previews'.)

The child reports on a pipe: ("stage", name) as each stage starts, then one last
message (an `Outcome`). It ignores Ctrl-C from the terminal, as do its workers: the
server asks it to stop with SIGUSR1 (or it gets SIGTERM), which interrupts the build the
way Ctrl-C interrupts `recueil build`; an interruption Python loses in a finalizer is
raised again when the next stage starts.
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

from generator import i18n
from generator.i18n import _
from generator.pool import process_tree

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


# What the fork server imports once, so that no build has to.
PRELOAD = ["generator.build", "generator.render.booklet", "generator.render.handout", "generator.render.word",
           "generator.write.manifest", "generator.write.staging", "generator.write.uptodate",
           "generator.serve.builder"]


def _quiet() -> None:
    """The build's workers, forked from it: Ctrl-C is the server's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _child(conn, root: Path, options, lang: str = "en") -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # first: the terminal's Ctrl-C is for the server
    # The fork server started before the command line chose the language: the build's
    # messages (and its workers', forked from it) in the server's.
    i18n.use(lang)
    # A child of the fork server has it as its default way to start processes: the
    # build's workers are forked from the build itself, as under `recueil build`.
    multiprocessing.set_start_method("fork", force=True)
    os.register_at_fork(after_in_child=_quiet)
    from generator.build import build
    from generator.context import Timings
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

    class Reported(Timings):
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
        # Reentrant: stop() runs in a signal handler, on the main thread, which may be
        # inside run() holding it.
        self._lock = threading.RLock()
        self._process = None
        self._stop_asked = False
        self._context = None
        self._timer: threading.Timer | None = None  # kills the child asked to stop, unless it ends first

    def start(self) -> None:
        """Start the fork server (call it before the server starts threads). It imports
        PRELOAD meanwhile; the first build waits for that, not the server."""
        from multiprocessing import forkserver

        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:  # ignored from its start: a Ctrl-C during its imports prints nothing
            forkserver.ensure_running()
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)

    def run(self, root: Path, options, on_stage) -> Outcome:
        """One build; `on_stage(name)` as each stage starts. Returns when the child ends."""
        if self._context is None:
            self.start()
        ctx = self._context
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_child, args=(send, root, options, i18n.current()), name="recueil-build")
        with self._lock:
            if self._stop_asked:
                return Outcome("interrupted")
            process.start()
            self._process = process
        if self._stop_asked:  # asked while it started, before it could be told
            self.stop()
        send.close()
        outcome = Outcome("crashed", message=_("the build stopped without a word (killed?)"))
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
                if self._timer is not None:  # it ended in time: its pid may soon be another's
                    self._timer.cancel()
                    self._timer = None
        if outcome.kind == "crashed" and process.exitcode:
            outcome.message = _("the build stopped with status {status}", status=process.exitcode)
        return outcome

    def stop(self) -> None:
        """Ask the running build, if any, to stop; kill it if it has not within KILL_AFTER.
        Safe from a signal handler: it only sends signals and starts a timer."""
        with self._lock:
            self._stop_asked = True
            process = self._process
        if process is None or process.pid is None or self._timer is not None:
            return
        try:
            os.kill(process.pid, STOP)
        except ProcessLookupError:
            return
        self._timer = threading.Timer(KILL_AFTER, _kill_tree, args=(process.pid,))
        self._timer.daemon = True
        self._timer.start()


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and its descendants (the build's workers)."""
    for p in process_tree(pid):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
