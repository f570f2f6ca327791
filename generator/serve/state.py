"""What the preview shows, kept in one place: the session writes it, the page reads it.

Every change bumps `version` and wakes the event streams (server.py), which tell the
open pages to fetch the page again. Readers take a `snapshot()`: a consistent copy,
made under the lock, that the page is rendered from without holding it.

Generations order what happened: each change the watcher reports gets the next number.
A fiche's own preview made from generation g is shown until a booklet built from
generation g or later arrives; problems found by that preview replace, for that file,
those of any older build.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from generator.diagnostics import Diagnostic
from generator.serve.strings import text


@dataclass
class Entry:
    """A fiche as the contents lists it."""

    id: str
    title: str
    rel: str


@dataclass
class Preview:
    """A fiche laid out alone, its pages as PNG files of the preview folder."""

    generation: int
    id: str
    rel: str
    title: str
    pages: list[tuple[str, int, int]]  # (file name, width, height)
    draft: bool = False
    in_edition: bool = True


@dataclass
class Booklet:
    """The last booklet.pdf in OUT, as the page shows it."""

    version: int  # bumped whenever booklet.pdf changed: part of its pages' URLs
    generation: int
    page_count: int
    sizes: list[tuple[float, float]]  # each page's size in points
    pages: dict[str, tuple[int, int]]  # fiche id -> (first, last)
    built_at: float


@dataclass
class Snapshot:
    version: int
    tick: int
    edits: int
    phase: str  # reading | first | fiche | booklet | ready | failed
    status: str
    title: str
    sections: list[tuple[str | None, list[Entry]]]
    outputs: set[str]
    booklet: Booklet | None
    previews: dict[str, Preview]
    problems: dict[str, list[Diagnostic]]  # path -> its problems, "" for the project's
    broken: dict[str, int]  # rel -> generation of a save that did not read
    current: str | None  # rel of the fiche last saved
    current_at: float | None
    fiche_rels: dict[str, str]  # rel -> id, every fiche the contents or a preview knows


class State:
    def __init__(self, title: str = ""):
        self._cond = threading.Condition()
        self.version = 0  # what the page shows changed: the page is fetched again
        self.ticks = 0  # anything changed, the status line included: the event streams speak
        self.edits = 0
        self.closing = False
        self.fiche_work: str | None = None  # the title of the fiche being laid out
        self.build_work: str | None = None  # the stage of the build running, as shown
        self.build_first = True
        self.result: str | None = None  # how the last build ended: "ready" or "failed"
        self.result_at = 0.0
        self.title = title
        self.sections: list[tuple[str | None, list[Entry]]] = []
        self.outputs: set[str] = set()
        self.booklet: Booklet | None = None
        self.previews: dict[str, Preview] = {}
        self.problems: dict[str, tuple[int, list[Diagnostic]]] = {}
        self.broken: dict[str, int] = {}
        self.current: str | None = None
        self.current_at: float | None = None
        self.preview_done = 0  # the newest generation the fiche previews have dealt with
        self.build_generation = -1  # the generation of the newest build that ended

    # --- for the readers ------------------------------------------------------------
    def _phase(self) -> tuple[str, str]:
        if self.fiche_work is not None:
            return "fiche", text("status_fiche", title=self.fiche_work)
        if self.build_work is not None:
            if self.build_first:
                return "first", text("status_first")
            return "booklet", text("status_booklet", stage=self.build_work)
        if self.result == "failed":
            return "failed", text("status_failed")
        if self.result == "ready":
            return "ready", text("status_ready_at", time=time.strftime("%H:%M:%S", time.localtime(self.result_at)))
        return "reading", text("status_reading")

    def snapshot(self) -> Snapshot:
        """A copy for a reader. Sections and previews are replaced whole by the writers,
        never changed in place: copying the lists is enough."""
        with self._cond:
            phase, status = self._phase()
            rels = {e.rel: e.id for _, entries in self.sections for e in entries}
            rels.update({p.rel: p.id for p in self.previews.values()})
            return Snapshot(
                version=self.version, tick=self.ticks, edits=self.edits, phase=phase, status=status,
                title=self.title, sections=list(self.sections), outputs=set(self.outputs),
                booklet=self.booklet, previews=dict(self.previews),
                problems={path: list(items) for path, (_, items) in self.problems.items() if items},
                broken=dict(self.broken), current=self.current, current_at=self.current_at, fiche_rels=rels)

    def wait_change(self, seen: int, timeout: float) -> tuple[int, bool]:
        """Wait until something changed since tick `seen` (or `timeout`): (tick, closing)."""
        with self._cond:
            if self.ticks == seen and not self.closing:
                self._cond.wait(timeout)
            return self.ticks, self.closing

    def event(self) -> dict:
        with self._cond:
            phase, status = self._phase()
            return {"tick": self.ticks, "version": self.version, "edits": self.edits, "phase": phase, "status": status}

    # --- for the session ----------------------------------------------------------------
    def _changed(self, content: bool = True) -> None:
        """Wake the event streams; `content`: what the page shows changed, not only its
        status line (whose changes the page applies without fetching itself again: a
        large catalogue's page is half a megabyte, and a build has a dozen stages)."""
        if content:
            self.version += 1
        self.ticks += 1
        self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closing = True
            self._cond.notify_all()

    def set_fiche_work(self, title: str | None) -> None:
        with self._cond:
            if title != self.fiche_work:
                self.fiche_work = title
                self._changed(content=False)

    def set_build_work(self, stage: str | None, first: bool = False) -> None:
        with self._cond:
            if (stage, first) != (self.build_work, self.build_first):
                self.build_work, self.build_first = stage, first
                self._changed(content=False)

    def set_edition(self, title: str, sections: list[tuple[str | None, list[Entry]]]) -> None:
        with self._cond:
            self.title, self.sections = title, sections
            self._changed()

    def fiche_saved(self, rel: str) -> None:
        """A save of this fiche is being previewed: the page shows it first."""
        with self._cond:
            self.current, self.current_at = rel, time.time()
            self.edits += 1
            self._changed()

    def fiche_previewed(self, preview: Preview, items: list[Diagnostic]) -> list[Preview]:
        """The fiche's new pages; returns the previews now unused (their files can go)."""
        with self._cond:
            old = self.previews.get(preview.id)
            self.previews[preview.id] = preview
            self.broken.pop(preview.rel, None)
            self.problems[preview.rel] = (preview.generation, items)
            self._changed()
            return [old] if old is not None and old.pages != preview.pages else []

    def fiche_broken(self, rel: str, generation: int, items: list[Diagnostic]) -> None:
        with self._cond:
            self.broken[rel] = generation
            self.problems[rel] = (generation, items)
            self._changed()

    def previews_done(self, generation: int) -> None:
        with self._cond:
            self.preview_done = max(self.preview_done, generation)
            self._cond.notify_all()

    def wait_previews(self, generation: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.preview_done < generation and not self.closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)

    def build_ended(self, generation: int, items: list[Diagnostic], *, failed: bool,
                    booklet: Booklet | None = None, outputs: set[str] | None = None) -> list[Preview]:
        """A build from `generation` ended. Its problems replace those of older saves;
        a new `booklet` makes the fiche previews it caught up with stale (returned)."""
        with self._cond:
            self.build_work = None
            self.result, self.result_at = ("failed" if failed else "ready"), time.time()
            self.build_generation = max(self.build_generation, generation)
            by_path: dict[str, list[Diagnostic]] = {}
            for d in items:
                by_path.setdefault(d.path if d.path else "", []).append(d)
            kept = {path: entry for path, entry in self.problems.items() if entry[0] > generation}
            self.problems = {path: (generation, found) for path, found in by_path.items() if path not in kept}
            self.problems.update(kept)
            stale = []
            if outputs is not None:
                self.outputs = outputs
            if not failed:
                self.broken = {rel: g for rel, g in self.broken.items() if g > generation}
            if booklet is not None:
                self.booklet = booklet
                for fiche_id, preview in list(self.previews.items()):
                    if preview.generation <= generation and fiche_id in booklet.pages:
                        stale.append(self.previews.pop(fiche_id))
            self._changed()
            return stale
