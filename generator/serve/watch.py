"""Watching the project: which saved files matter, and bursts of saves made into one.

The library is watchdog (inotify on Linux). watchfiles was the first candidate, but its
loop (`RustNotify.watch`) sleeps `step` milliseconds between looks at what the kernel
reported, 50 by default: twenty wake-ups a second while nothing changes, and a larger
step delays every save by as much. watchdog's inotify thread blocks in poll() until the
kernel has something; its dispatcher wakes once every `timeout` seconds (here
IDLE_WAKE), and the debounce below waits with no timeout at all while nothing is
pending. Nothing here polls.

What is watched: the project folder itself (publication.yaml, partners.yaml, new
folders), and each of its folders but output/ and hidden ones, with their subfolders.
Only some files count (see `kind_of`): a fiche, an image, the two YAML files, anything
in layouts/ or fonts/. Editors' side files (swap files, backups, `4913`, `.#x`) never
do.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path, PurePosixPath

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".tif", ".tiff", ".avif"}
SETTINGS = {"publication.yaml", "partners.yaml"}
SKIPPED_TOP = {"output", "node_modules", "__pycache__", "venv"}
_EDITOR_LEFTOVERS = (".swp", ".swx", ".swo", ".tmp", ".temp", ".part", ".crdownload", ".bak", ".orig")
IDLE_WAKE = 5.0  # seconds between two wake-ups of watchdog's dispatcher, only to notice a stop


def kind_of(rel: str) -> str | None:
    """What a changed file is to the project, from its path relative to the project
    folder: "fiche", "settings", "layout", "image", or None (not an input)."""
    parts = PurePosixPath(rel).parts
    if not parts or any(p.startswith((".", "#")) for p in parts):
        return None  # hidden files and folders (.git, .foo.md.swp), Emacs' #x#
    name = parts[-1]
    if name.endswith("~") or name.lower().endswith(_EDITOR_LEFTOVERS) or name.isdigit():
        return None  # backups, temporary copies, vim's write test file "4913"
    if parts[0] in SKIPPED_TOP:
        return None
    if len(parts) == 1:
        return "settings" if name in SETTINGS else None
    if parts[0] == "fiches" and name.endswith(".md"):
        return "fiche"
    if parts[0] in ("layouts", "fonts"):
        return "layout"
    if PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES:
        return "image"
    return None


class Stopped(Exception):
    """The watch is over: the server is stopping."""


class Pending:
    """Changed files collected until a quiet moment: a burst of saves (an editor's swap
    and rename dance, a `git checkout` of fifty files) is taken as one batch.

    `take()` waits with no timeout while nothing is pending (no wake-up at all), then
    for QUIET seconds without a new change, LONGEST at most after the first."""

    QUIET = 0.1
    LONGEST = 1.0

    def __init__(self):
        self._cond = threading.Condition()
        self._changes: dict[str, tuple[str | None, int]] = {}  # rel -> (kind, generation), newest last
        self._last = 0.0
        self._stopped = False

    def add(self, rel: str, kind: str | None, generation: int) -> None:
        with self._cond:
            self._changes.pop(rel, None)
            self._changes[rel] = (kind, generation)
            self._last = time.monotonic()
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def take(self) -> tuple[int, dict[str, tuple[str | None, int]]]:
        """(the newest generation in it, {rel: (kind, generation)}) of the next batch;
        raises Stopped once `stop()` was called."""
        with self._cond:
            while not self._changes and not self._stopped:
                self._cond.wait()
            first = time.monotonic()
            while not self._stopped:
                left = min(self._last + self.QUIET, first + self.LONGEST) - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            if self._stopped:
                raise Stopped
            batch, self._changes = self._changes, {}
            return max(g for _, g in batch.values()), batch


class Watcher:
    """Calls `on_change(rel, kind)` from watchdog's thread for every change that
    matters (kind None: a folder came or went; a build will tell what it held)."""

    def __init__(self, root: Path, on_change):
        import logging

        from watchdog.observers import Observer

        # watchdog logs its own hiccups (an emitter stopped twice at exit): not the user's
        # business, and Python would print them on stderr for want of a handler.
        quiet = logging.getLogger("watchdog")
        if not quiet.handlers:
            quiet.addHandler(logging.NullHandler())
            quiet.propagate = False

        self.root = Path(root).resolve()
        self._on_change = on_change
        self._observer = Observer(timeout=IDLE_WAKE)
        self._watches: dict[str, object] = {}
        self._lock = threading.Lock()
        self._handler = _Handler(self)

    def start(self) -> None:
        self._observer.schedule(self._handler, str(self.root), recursive=False)
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            self._watch_top(entry.name)
        self._observer.daemon = True
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=IDLE_WAKE + 1)

    def _watch_top(self, name: str) -> None:
        """Watch a folder at the top of the project, with its subfolders."""
        path = self.root / name
        if name.startswith(".") or name in SKIPPED_TOP or path.is_symlink() or not path.is_dir():
            return
        with self._lock:
            if name in self._watches:
                return
            try:
                self._watches[name] = self._observer.schedule(self._handler, str(path), recursive=True)
            except OSError:  # gone already, or the system's inotify limit: a build still sees it
                pass

    def _forget_top(self, name: str) -> None:
        with self._lock:
            watch = self._watches.pop(name, None)
        if watch is not None:
            try:
                self._observer.unschedule(watch)
            except (KeyError, OSError):
                pass

    def _event(self, path: str, is_directory: bool, kind_of_event: str) -> None:
        try:
            rel = Path(os.fsdecode(path)).relative_to(self.root).as_posix()
        except ValueError:
            return
        if rel == ".":
            return
        top_level = "/" not in rel
        if is_directory:
            if top_level:
                if kind_of_event in ("created", "moved_to"):
                    self._watch_top(rel)
                elif kind_of_event in ("deleted", "moved_from"):
                    self._forget_top(rel)
            if kind_of_event != "modified" and not rel.startswith(".") and rel.split("/")[0] not in SKIPPED_TOP:
                self._on_change(rel, None)  # a folder of fiches or images came or went
            return
        kind = kind_of(rel)
        if kind is not None:
            self._on_change(rel, kind)


def _handler_class():
    from watchdog.events import FileSystemEventHandler

    class Handler(FileSystemEventHandler):
        def __init__(self, watcher: Watcher):
            super().__init__()
            self.watcher = watcher

        def on_any_event(self, event) -> None:
            kind = event.event_type
            if kind in ("opened", "closed_no_write"):
                return  # reading a file changes nothing
            try:
                if kind == "moved":
                    self.watcher._event(event.src_path, event.is_directory, "moved_from")
                    self.watcher._event(event.dest_path, event.is_directory, "moved_to")
                else:
                    self.watcher._event(event.src_path, event.is_directory, kind)
            except Exception:  # noqa: BLE001 - a strange path must not stop the watch
                pass

    return Handler


def _Handler(watcher: Watcher):
    return _handler_class()(watcher)
