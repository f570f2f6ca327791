"""A progress bar for long builds, shown on stderr when it is a terminal.

Renderers call `task(name, total)` and the returned function once per item done; with no
bar active (tests, pipes, CI logs, short builds) both cost nothing. The bar appears only
once a build has run for a second, so a quick rebuild prints nothing but its report.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Callable

from generator.i18n import _

_active: _Bar | None = None


class _Bar:
    def __init__(self, delay: float):
        self._lock = threading.Lock()
        self._tasks: dict[str, list] = {}  # name -> [total, done, rich task id or None]
        self._progress = None
        self._closed = False
        self._timer = threading.Timer(delay, self._show)
        self._timer.daemon = True
        self._timer.start()

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with self._lock:
            if self._closed:
                return
            self._progress = Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), console=Console(file=sys.stderr), transient=True)
            self._progress.start()
            for name, entry in self._tasks.items():
                entry[2] = self._progress.add_task(shown(name), total=entry[0], completed=entry[1])

    def task(self, name: str, total: int) -> Callable[[int], None]:
        with self._lock:
            entry = self._tasks[name] = [total, 0, None]
            if self._progress is not None:
                entry[2] = self._progress.add_task(shown(name), total=total)

        def advance(n: int = 1) -> None:
            with self._lock:
                entry[1] += n
                if self._progress is not None and entry[2] is not None:
                    self._progress.update(entry[2], completed=entry[1])
        return advance

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._timer.cancel()
            if self._progress is not None:
                self._progress.stop()


@contextmanager
def bar(enabled: bool | None = None, delay: float = 1.0):
    """Show a bar during the `with` block (default: when stderr is a terminal)."""
    global _active
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield
        return
    previous, _active = _active, _Bar(delay)
    try:
        yield
    finally:
        _active.close()
        _active = previous


def shown(name: str) -> str:
    """A task's name as the bar shows it, in the language of messages (renderers name
    their tasks in English: "fiches", "handouts", "furniture")."""
    names = {"fiches": _("fiches"), "handouts": _("handouts"),
             # Translators: the booklet's pages other than the fiches: cover, contents, indexes.
             "furniture": _("furniture")}
    return names.get(name, name)


def task(name: str, total: int) -> Callable[[int], None]:
    """A counter for `total` items of `name`; call it with how many are done."""
    if _active is None or total <= 0:
        return lambda n=1: None
    return _active.task(name, total)
