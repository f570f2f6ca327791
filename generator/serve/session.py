"""The live loop: a first build, then, for every batch of saves, the saved fiche's own
pages first, then the real build (incremental through the build cache).

Two threads of the server do the work:
  - the main thread builds: `generator.build.build`, the same call as `recueil build`,
    one at a time, each in a child process (builder.py). Saves that come while it
    builds are collected (watch.Pending) and make exactly one more build once it ends;
  - the fiche thread reads the saved fiche alone (read.fiche.read_fiche, with what the
    last good read of the project knows: partners, language) and has the preview
    process lay it out with the edition's booklet layout, at the page it starts on in
    the booklet, running heads and folio included (pages.py). A fiche that does not
    read shows its errors at once, above its last good pages.
After a save of a fiche, the build waits for that fiche's pages (a few tenths of a
second) before it starts, so that both do not share the processor when it matters
most; a save during a build is previewed at once, beside it.

Ctrl-C and SIGTERM end every wait of the main thread and ask a running build to stop
(request_stop): the build unwinds as `recueil build` does when interrupted, and OUT is
left as the last complete build made it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, replace
from pathlib import Path

from generator.build import BuildOptions
from generator.diagnostics import InputError, Report
from generator.i18n import _, n_, p_
from generator.serve import strings
from generator.serve.builder import Builder
from generator.serve.pages import BookletPages, Job, PreviewProcess
from generator.serve.state import Booklet, Entry, Preview, State
from generator.serve.watch import Pending, Stopped

PREVIEW_KINDS = ("fiche", "image", "layout")
WAIT_FOR_PREVIEW = 5.0  # seconds a build waits at most for the saved fiche's pages
RETIRED_KEPT = 60.0  # seconds a replaced preview's files stay: a page may still be fetching them


@dataclass(frozen=True)
class Context:
    """What the fiche thread needs to lay out one fiche as the booklet would, from the
    last good read of the project."""

    edition: object  # model.Edition
    layout: object  # read.layouts.Layout
    reading: object  # read.fiche.Context
    stylesheet: str
    fetch: object  # context.FetchRules
    out: Path


class Log:
    """One line per event on the terminal, with the time."""

    def __init__(self, stream=None):
        self._lock = threading.Lock()
        self._stream = stream

    def __call__(self, message: str) -> None:
        stream = self._stream or sys.stderr
        with self._lock:
            print(f"{time.strftime('%H:%M:%S')}  {message}", file=stream, flush=True)


class Session:
    def __init__(self, root: Path, options: BuildOptions, state: State, folder: Path, log: Log):
        self.root = Path(root).resolve()
        self.options = options
        self.state = state
        self.folder = Path(folder)
        self.log = log
        self.previewer = PreviewProcess()
        self.booklet_pages = BookletPages(self.folder)
        self.builds = Pending()
        self.fiches = Pending()
        self.context: Context | None = None
        self._generation = itertools.count(1)
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self._fiche_thread: threading.Thread | None = None
        self.retired: dict[str, float] = {}  # file name -> when its preview was replaced
        self._told: set[str] = set()  # errors the fiche thread printed, that the build need not repeat
        self.stopping = threading.Event()
        self.builder = Builder()

    # --- from the watcher's thread -------------------------------------------------------
    def changed(self, rel: str, kind: str | None) -> None:
        with self._lock:
            generation = next(self._generation)
        self.builds.add(rel, kind, generation)
        if kind in PREVIEW_KINDS:
            self.fiches.add(rel, kind, generation)

    # --- the main thread ----------------------------------------------------------------
    def start(self) -> None:
        """Start the preview process and the builds' fork server (before any thread
        exists: both are clean processes), then the fiche thread."""
        self.previewer.start()
        self.builder.start()
        self._fiche_thread = threading.Thread(target=self._fiche_loop, name="recueil-fiche", daemon=True)
        self._fiche_thread.start()

    def run(self) -> None:
        """Build, then build again after every batch of saves; returns only by raising
        Stopped, once request_stop() was called."""
        self._read()
        first = self._first_fiche()
        if first is not None:  # the page shows it at once, and the preview process warms up
            self.fiches.add(first, "warm-up", 0)  # as old as the first build: replaced by its pages
        self._build(0, first=True)
        while True:
            generation, batch = self.builds.take()
            fiche_generation = max((g for kind, g in batch.values() if kind in PREVIEW_KINDS), default=0)
            if fiche_generation:
                self.state.wait_previews(fiche_generation, WAIT_FOR_PREVIEW)
            self._build(generation)

    def request_stop(self) -> None:
        """Ctrl-C or SIGTERM, from the signal handler: every wait of the main thread ends
        (Stopped), and a running build is asked to stop (builder.Builder.stop). Nothing
        is raised here: raised while Python runs some object's finalizer, an exception
        would be printed and lost."""
        self.stopping.set()
        self.builds.stop()
        self.fiches.stop()
        self.state.close()
        self.builder.stop()

    def stop(self) -> None:
        self.builds.stop()
        self.fiches.stop()
        self.state.close()
        if self._fiche_thread is not None:
            self._fiche_thread.join(timeout=10)
        self.previewer.stop()
        self.booklet_pages.close()

    def _read(self) -> None:
        """The project as it is, for the contents and the fiche previews, before the
        first build (which may take a while on a large catalogue)."""
        from generator.edition.select import make_edition
        from generator.read.project import read_project

        self.state.set_build_work(None)
        report = Report()
        project = read_project(self.root, report, drafts=self.options.drafts)
        if project is None or report.failed():
            project = self._readable_part()  # the first build reports the problems
        if project is not None:
            self._use(make_edition(project, self.options.selects, Report()))

    def _readable_part(self):
        """The project without the fiches that do not read, when some do not: enough to
        preview the others (and the broken one once fixed) before a build succeeds."""
        from generator.model import Project
        from generator.read import project as reader
        from generator.read.fiche import Context as Reading
        from generator.read.fiche import read_fiche
        from generator.read.matching import fold

        try:  # the reader's own steps; should they change, previews wait for a good build
            publication = reader._read_publication(self.root, Report())[0]
            partners, partners_raw = reader._read_partners(self.root, Report())
        except (AttributeError, TypeError, ValueError):
            return None
        reading = Reading(root=self.root, lang=publication.lang.split("-")[0], allow_remote=publication.allow_remote,
                          registry={k: p for p in partners for k in [fold(p.name), *map(fold, p.aliases)]})
        fiches = []
        for path in reader.fiche_files(self.root):
            if not path.resolve().is_relative_to(self.root):
                continue  # a link to outside the project: the build refuses it, and says so
            rel = path.relative_to(self.root).as_posix()
            fiche, draft = read_fiche(path, rel, reading, Report())
            if fiche is not None and (self.options.drafts or not draft):
                fiches.append(fiche)
        return Project(root=self.root, publication=publication, partners=partners, fiches=fiches,
                       partners_raw=partners_raw)

    def _use(self, edition) -> None:
        """Keep what a good read of the project gives the fiche previews and the page."""
        from generator.read.fiche import Context as Reading
        from generator.read.matching import fold

        project = edition.project
        pub = project.publication
        laid_out = _laid_out(edition, self.options)
        if laid_out is None:
            return
        reading = Reading(root=project.root, lang=pub.lang.split("-")[0], allow_remote=pub.allow_remote,
                          registry={k: p for p in project.partners for k in [fold(p.name), *map(fold, p.aliases)]})
        self.context = Context(edition, laid_out[0], reading, laid_out[1], laid_out[2],
                               Path(self.options.out).resolve())
        self.state.set_edition(pub.title, [(s.title, [Entry(f.id, f.title, f.rel) for f in s.fiches])
                                           for s in edition.sections])

    def _build(self, generation: int, first: bool = False) -> None:
        if self.stopping.is_set():
            raise Stopped
        report = Report()
        started = time.monotonic()
        self.state.set_build_work(strings.stage(""), first)
        outcome = self.builder.run(self.root, self.options,
                                   lambda name: self.state.set_build_work(strings.stage(name), first))
        if outcome.kind == "interrupted" and self.stopping.is_set():
            raise Stopped
        report.items += outcome.items
        failed = outcome.kind != "built"
        if outcome.kind == "output":
            report.error(_rel(self.options.out, self.root), None, outcome.message)
        elif outcome.kind in ("bug", "crashed", "interrupted"):
            if outcome.trace and os.environ.get("RECUEIL_DEBUG"):
                print(outcome.trace, file=sys.stderr)
            problem = outcome.message or (_("the build was interrupted") if outcome.kind == "interrupted"
                                          else outcome.kind)
            self.log(_internal_error(problem))
            report.error("", None, _("Recueil failed on this build ({problem}): this is a bug in Recueil, not in "
                                     "your fiches; the terminal says more", problem=problem))
        result = {"edition": outcome.edition, "up_to_date": outcome.up_to_date}
        seconds = time.monotonic() - started
        if failed:
            self.state.build_ended(generation, report.items, failed=True)
            errors = report.errors
            with self._lock:
                told, self._told = self._told, set()
            if errors and all(str(d) in told for d in errors):
                self.log(n_("the booklet was not rebuilt: {n} error (shown above)",
                            "the booklet was not rebuilt: {n} errors (shown above)", len(errors)))
            else:
                self.log(n_("the booklet was not rebuilt: {n} error", "the booklet was not rebuilt: {n} errors",
                            len(errors)))
            for d in errors:
                if str(d) not in told:
                    self.log(f"  {d}")
            return
        with self._lock:
            self._told.clear()
        if result.get("edition") is not None:
            self._use(result["edition"])
        booklet, outputs = self._read_outputs(generation)
        stale = self.state.build_ended(generation, report.items, failed=False, booklet=booklet, outputs=outputs)
        self._discard(stale)
        warnings = len(report.warnings)
        self.log(_booklet_line(bool(result.get("up_to_date")), seconds, booklet.page_count if booklet else None,
                               warnings))

    def _read_outputs(self, generation: int) -> tuple[Booklet | None, set[str] | None]:
        out = Path(self.options.out)
        try:
            manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
            outputs = {o["path"]: o.get("sha256") for o in manifest.get("outputs", [])}
            pages = {f["id"]: (int(f["first_page"]), int(f["last_page"]))
                     for f in manifest.get("fiches", []) if "first_page" in f}
        except (OSError, ValueError, KeyError, TypeError):
            return None, None
        if "booklet.pdf" not in outputs:
            return None, set(outputs)
        opened = self.booklet_pages.use(out / "booklet.pdf", outputs["booklet.pdf"])
        if opened is None:
            return None, set(outputs)
        version, sizes = opened
        return Booklet(version, generation, len(sizes), sizes, pages, time.time()), set(outputs)

    # --- the fiche thread ---------------------------------------------------------------
    def _fiche_loop(self) -> None:
        while True:
            try:
                generation, batch = self.fiches.take()
            except Stopped:
                return
            try:
                self._preview(generation, batch)
            except Exception as e:  # noqa: BLE001 - the next save tries again
                self.internal_error(e)
            finally:
                self.state.set_fiche_work(None)
                self.state.previews_done(generation)

    def _preview(self, generation: int, batch: dict) -> None:
        from generator.read.fiche import read_fiche

        saved = [rel for rel, (kind, _gen) in batch.items() if kind == "fiche"]
        target = next((rel for rel in reversed(saved) if (self.root / rel).is_file()), None)
        if target is None:
            if saved:
                return  # fiches deleted or renamed away: the build says what became of them
            warm = [rel for rel, (kind, _gen) in batch.items() if kind == "warm-up"]
            target = self.state.current or (warm[-1] if warm else self._first_fiche())
            if target is None or not (self.root / target).is_file():
                return
        if not (self.root / target).resolve().is_relative_to(self.root):
            return  # a link to outside the project: never read, the build says why
        context = self.context
        if context is None:
            return  # the project never read well yet: the build lists why
        if any(kind == "layout" for kind, _gen in batch.values()):
            context = self._with_layout(context)
            if context is None:
                return
        if saved:
            self.state.fiche_saved(target)
        started = time.monotonic()
        known = {f.rel: f.title for f in context.edition.fiches}
        self.state.set_fiche_work(known.get(target) or Path(target).stem)
        report = Report()
        fiche, draft = read_fiche(self.root / target, target, context.reading, report)
        if fiche is None:
            self.state.fiche_broken(target, generation, report.items)
            self.log(n_("{path}: not laid out, {n} error", "{path}: not laid out, {n} errors", len(report.errors),
                        path=target))
            for d in report.errors:
                self.log(f"  {d}")
            with self._lock:
                self._told.update(str(d) for d in report.errors)
            return
        self.state.set_fiche_work(fiche.title)
        edition, in_edition = _with_fiche(context.edition, fiche)
        first = self._first_page(fiche.id)
        job = Job(_fiche_document(edition, context, fiche, first), context.out.as_uri() + "/", context.stylesheet,
                  context.fetch, str(self.folder), f"fiche-{next(self._names)}")
        result = self.previewer.render(job)
        if "error" in result:
            report.error(target, None, _("the preview could not be laid out ({problem})", problem=result["error"]))
            self.state.fiche_broken(target, generation, report.items)
            self.log(f"{target}: {report.errors[-1].message}")
            return
        for message in result.get("warnings", []):
            report.warning(target, None, message)
        preview = Preview(generation, fiche.id, target, fiche.title, [tuple(p) for p in result["pages"]],
                          draft=draft and not self.options.drafts, in_edition=in_edition)
        self._discard(self.state.fiche_previewed(preview, report.items))
        self.log(n_("{path}: {n} page in {seconds} s", "{path}: {n} pages in {seconds} s", len(preview.pages),
                    path=target, seconds=_decimal(time.monotonic() - started, 2)))

    def _with_layout(self, context: Context) -> Context | None:
        laid_out = _laid_out(context.edition, self.options)
        if laid_out is None:
            return None  # the build reports it
        return replace(context, layout=laid_out[0], stylesheet=laid_out[1], fetch=laid_out[2])

    def _first_page(self, fiche_id: str) -> int:
        booklet = self.state.booklet
        if booklet is not None and fiche_id in booklet.pages:
            return booklet.pages[fiche_id][0]
        return booklet.page_count + 1 if booklet is not None else 1

    def _first_fiche(self) -> str | None:
        context = self.context
        fiches = context.edition.fiches if context is not None else []
        return fiches[0].rel if fiches else None

    def _discard(self, previews: list[Preview]) -> None:
        """Files of replaced previews go a while later: an open page may be loading them."""
        now = time.monotonic()
        with self._lock:
            for preview in previews:
                for name, _width, _height in preview.pages:
                    self.retired.setdefault(name, now)
            for name, since in list(self.retired.items()):
                if since < now - RETIRED_KEPT:
                    del self.retired[name]
                    with contextlib.suppress(OSError):
                        (self.folder / name).unlink()

    def internal_error(self, error: BaseException) -> None:
        if os.environ.get("RECUEIL_DEBUG"):
            traceback.print_exception(error)
        self.log(_internal_error(f"{type(error).__name__}: {str(error)[:200]}"))


def _internal_error(problem: str) -> str:
    """The terminal's line for a bug of Recueil's own (`problem`: what went wrong)."""
    return _("internal error ({problem}): a bug in Recueil, not in your fiches; run again with RECUEIL_DEBUG=1 "
             "for the details", problem=problem)


def _decimal(value: float, digits: int) -> str:
    """`value` with `digits` decimals, written as the language writes them (1.5, 1,5)."""
    # Translators: the decimal separator of the language: « , » in French.
    return f"{value:.{digits}f}".replace(".", p_("decimal separator", "."))


def _booklet_line(up_to_date: bool, seconds: float, pages: int | None, warnings: int) -> str:
    """The terminal's line for a build that went well: up to date or built in how long,
    the booklet's pages when there is a booklet, and how many warnings the page lists."""
    if pages is None:
        line = _("booklet up to date") if up_to_date else _("booklet built in {seconds} s",
                                                             seconds=_decimal(seconds, 1))
    elif up_to_date:
        line = n_("booklet up to date, {n} page", "booklet up to date, {n} pages", pages)
    else:
        line = n_("booklet built in {seconds} s, {n} page", "booklet built in {seconds} s, {n} pages", pages,
                  seconds=_decimal(seconds, 1))
    if warnings:
        line += " " + n_("({n} warning: see the page)", "({n} warnings: see the page)", warnings)
    return line


def release_memory() -> None:
    """Hand back to the system what a build freed. A build allocates a great deal for a
    moment (every fiche read, parts, the booklet's assembly); glibc keeps freed memory in
    its arenas, and a server that builds all day would keep the high-water mark of its
    largest build, and more through fragmentation."""
    import gc

    gc.collect()
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl): nothing to trim
            pass


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _with_fiche(edition, fiche):
    """The edition with `fiche` in place of its older self (or at the end, when it is
    new, a draft or outside the selection), and whether it was in the edition."""
    from generator.model import Edition, Section

    sections, found = [], False
    for s in edition.sections:
        fiches = []
        for f in s.fiches:
            if f.id == fiche.id:
                fiches.append(fiche)
                found = True
            else:
                fiches.append(f)
        sections.append(Section(s.title, fiches))
    if not found:
        if sections:
            sections[-1] = Section(sections[-1].title, sections[-1].fiches + [fiche])
        else:
            sections.append(Section(None, [fiche]))
    return Edition(edition.project, sections), found


def _laid_out(edition, options):
    """(layout, the stylesheet its parts share, the fetch rules) as the booklet's parts
    have them; None when the layout cannot be loaded (the build says why)."""
    from generator.context import FetchRules
    from generator.paths import builtin_fonts
    from generator.read import layouts
    from generator.render import html as H
    from generator.render.booklet.document import stylesheet

    project = edition.project
    try:
        layout = layouts.load_layout(project, options.layout or project.publication.layout)
    except InputError:
        return None
    css = H.font_faces_css(lambda face: face.path.as_uri(), layout.design) + "\n" + stylesheet(layout, edition, False)
    fetch = FetchRules.of(project.root, [*layout.dirs, builtin_fonts()], project.publication.allow_remote)
    return layout, css, fetch


def _fiche_document(edition, context: Context, fiche, first_page: int) -> str:
    """The HTML of one fiche as a booklet part, with the page furniture: the pages it
    would have in the booklet, starting at `first_page`."""
    from generator.render import html as H
    from generator.render.booklet.parts import offset_css

    out = context.out

    def url_for(path: Path) -> str:  # as the booklet writes them: relative to OUT
        return urllib.parse.quote(Path(os.path.relpath(Path(path).resolve(), out)).as_posix())

    ctx = H.make_context(edition, context.layout, url_for=url_for)
    article = H.fiche_html(fiche, ctx)
    return H.document_html(ctx, [article], css=offset_css(first_page), themes=set(fiche.themes))


__all__ = ["Session", "Log", "Context"]
