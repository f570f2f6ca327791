"""One build: read → assemble → render → write, in that order and only that order."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator.diagnostics import InputError, Report

FORMATS = ("pdf", "handouts", "docx", "web")


@dataclass
class BuildOptions:
    out: Path
    formats: tuple[str, ...] = FORMATS
    layout: str | None = None  # overrides publication.yaml's layout
    selects: list[tuple[str, str]] = field(default_factory=list)  # --select KEY=VALUE
    drafts: bool = False
    print_edition: bool = False  # --print: bleed, crop marks, TrimBox/BleedBox
    impose: bool = False
    archive: bool = False  # PDF/A-3 with the sources embedded
    timings: bool = False
    jobs: int | None = None  # worker processes; None: one per core
    cache: bool = True


class Stages:
    """Times each stage, for `--timings`; a build is judged stage by stage."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def lines(self) -> list[str]:
        total = sum(self.seconds.values())
        rows = [f"{name:<16}{secs:8.2f} s" for name, secs in self.seconds.items()]
        return rows + [f"{'total':<16}{total:8.2f} s"]


def source_date_epoch(publication_date: str | None) -> int:
    """The build's one date: SOURCE_DATE_EPOCH if set, else the publication's date."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return int(env)
    if publication_date:
        import datetime as dt

        parts = [int(p) for p in publication_date.split("-")] + [1, 1]
        day = dt.datetime(parts[0], parts[1], parts[2], tzinfo=dt.timezone.utc)
        return int(day.timestamp())
    return 0


def build(root: Path, options: BuildOptions, report: Report, stages: Stages | None = None) -> dict:
    """Build the edition of `root` into `options.out`. Raises InputError on bad input, in
    which case nothing in `options.out` has changed. Returns what was written."""
    from generator.write import uptodate
    from generator import pool
    from generator.write.staging import Staging

    stages = stages or Stages()
    started_ns = time.time_ns()
    epoch_env = os.environ.get("SOURCE_DATE_EPOCH")  # before this build sets it from the publication
    if options.cache and uptodate.stamp_path(options.out).is_file():
        with stages("up to date?"), Staging(options.out).locked():  # no build commits meanwhile
            previous = uptodate.previous_if_unchanged(root, options, options.out, epoch_env)
        if previous is not None:
            for path, line, message in previous["warnings"]:
                report.warning(path, line, message)
            return {"edition": None, "written": [], "pages": None, "up_to_date": True,
                    "fiches": previous["fiches"]}
    with pool.started(pool.count(options)):
        return _build(root, options, report, stages, started_ns, epoch_env)


def _renderers_readied(options):
    """A function, doing its work once, that readies what the renderers need while the
    fiches are being read: the workers load WeasyPrint after their reading (not before,
    which would hold it up), this process imports the renderers (0.3 s).

    Tried and left: this process loading WeasyPrint while the workers read, then forking
    new workers that have it loaded. It spends less of the machine, but reading takes
    longer by as much, and an edit's rebuild was no faster."""
    done = []

    def prepare() -> None:
        if done:
            return
        done.append(True)
        from generator import pool

        if "pdf" in options.formats:
            from generator.render import booklet as pdf  # noqa: F401
            from generator.render.booklet.parts import warm_up

            pool.each(warm_up)
        if "docx" in options.formats:
            from generator.render import word as docx  # noqa: F401
        if "web" in options.formats:
            from generator.render import web  # noqa: F401
    return prepare


def _build(root, options, report, stages, started_ns, epoch_env) -> dict:
    from generator.edition.select import make_edition
    from generator.read import layouts
    from generator.read import project

    prepare = _renderers_readied(options)
    with stages("read"):
        proj = project.read_project(root, report, drafts=options.drafts, meanwhile=prepare)
        if proj is None or report.failed():
            raise InputError(report)
    prepare()
    with stages("assemble"):
        edition = make_edition(proj, options.selects, report)
        if report.failed():
            raise InputError(report)
        if not edition.fiches:
            report.error("fiches", None, "nothing to build: no fiche is published")
            raise InputError(report)
        default_layout = "archive" if options.archive else proj.publication.layout
        layout = layouts.load_layout(proj, options.layout or default_layout)

    # Every date printed or stamped comes from here, never from the clock; fontTools
    # reads the variable when it subsets fonts inside WeasyPrint.
    os.environ.setdefault("SOURCE_DATE_EPOCH", str(source_date_epoch(proj.publication.date)))
    try:
        return _render_and_write(root, options, report, stages, proj, edition, layout, started_ns, epoch_env)
    finally:
        if epoch_env is None:  # the next build in this process decides its own date again
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def _render_and_write(root, options, report, stages, proj, edition, layout, started_ns, epoch_env) -> dict:
    from generator.read import layouts
    from generator.write import uptodate
    from generator.cache import Cache
    from generator.write.manifest import write_manifest
    from generator.write.staging import Staging
    from generator.paths import builtin_fonts

    def warn(message: str) -> None:
        report.warning(".", None, message)

    fetch_roots = list(layout.dirs) + [builtin_fonts()]
    if options.archive or "handouts" in options.formats:  # WeasyPrint renders here, or in forks of here
        from generator.render.fetcher import make_fetcher

        fetcher = make_fetcher(proj.root, fetch_roots, allow_remote=proj.publication.allow_remote, warn=warn)
    else:  # only workers render: this process need not load WeasyPrint (0.6 s)
        from generator.render.booklet.parts import FetchRules

        fetcher = FetchRules([proj.root, *fetch_roots], proj.publication.allow_remote, warn)
    written: list[str] = []
    docx_written = None  # the Word files still being written, if any
    web_written = None  # the web edition, its fonts and images under way, waiting for the booklet's pages
    pages = index_pages = None
    out = options.out
    with Staging(out) as stage:
        uptodate.forget(out)  # this build's outputs replace the ones the record describes
        # Word files and handouts first: the archive booklet embeds a build.json that
        # lists every output staged before it.
        if "docx" in options.formats:
            from generator.render import word as docx

            with stages("docx"):
                docx_written = docx.start_docx(edition, layout, stage, options)
                # The archive lists in its build.json what was staged before it; other
                # booklets let the Word files be written while they make their HTML.
                if options.archive or "pdf" not in options.formats:
                    written += docx_written()
                    docx_written = None
        if "web" in options.formats and not options.archive:
            from generator.render import web

            with stages("web: start"):  # fonts and images, in the time the booklet leaves the workers
                web_written = web.start_web(edition, layout, stage, options)
        if "handouts" in options.formats:
            from generator.render import handout

            handout_layout = layouts.load_layout(proj, "handout")
            with stages("handouts"):
                written += handout.render_handouts(edition, handout_layout, stage, options, fetcher)
        if "pdf" in options.formats:
            if options.archive:
                from generator.render import archive

                with stages("booklet (PDF/A)"):
                    info = archive.render_archive(edition, layout, stage, options, fetcher)
            else:
                from generator.render import booklet as pdf

                # The booklet times its own steps (fiches, front and indexes, assembly...).
                info = pdf.render_booklet(edition, layout, stage, options, fetcher, stages=stages)
            pages = info.pages
            index_pages = getattr(info, "index_pages", None)  # the web's index pages link to them
            written += ["booklet.pdf", "booklet.html"]
            if options.impose:
                from generator.render.impose import impose

                with stages("impose"):
                    impose(stage.path("booklet.pdf"), stage.path("booklet-imposed.pdf"))
                written.append("booklet-imposed.pdf")
        if "web" in options.formats and web_written is None:
            from generator.render import web

            # The archive lists what was staged before it: the site starts after it, in the
            # colours of the publication's own layout, not the archive's black.
            tokens = layouts.load_layout(proj, options.layout or proj.publication.layout)
            with stages("web: start"):
                web_written = web.start_web(edition, tokens, stage, options)
        if web_written is not None:
            with stages("web"):  # its fiche pages link to their page in the booklet
                written += web_written(pages, index_pages)
        if docx_written is not None:
            with stages("docx: rest"):
                written += docx_written()
        with stages("write"):
            write_manifest(stage, edition, pages, written)
            stage.commit()
            # Still under OUT's lock: no other build uses the cache while it is pruned.
            Cache.for_output(out, options.cache).prune()
            used = [layout] + ([handout_layout] if "handouts" in options.formats else [])
            extra = uptodate.extra_inputs(proj, used) if options.cache else None
            if extra is not None:
                uptodate.record(root, options, out, extra, report, len(edition.fiches), started_ns, epoch_env)
    return {"edition": edition, "written": written, "pages": pages}


def run(root: Path, options: BuildOptions) -> int:
    """The `recueil build` command: 0 built, 1 bad input or busy output (nothing written)."""
    from generator.diagnostics import print_report
    from generator.write.staging import OutputBusy, OutputError

    from generator import progress

    report = Report()
    stages = Stages()
    try:
        with progress.bar():
            result = build(root, options, report, stages)
    except InputError as e:
        if e.report is not report:  # a renderer found bad input of its own (a layout file)
            report.items += e.report.items
        print_report(report, summary="nothing was built")
        return 1
    except (OutputBusy, OutputError) as e:
        print_report(report)
        print(f"{options.out}: error: {e}", file=sys.stderr)
        return 1
    if result.get("up_to_date"):
        n = result["fiches"]
        print_report(report, summary=f"{options.out} is up to date ({n} fiche{'s' * (n != 1)}): nothing to do")
    else:
        n = len(result["edition"].fiches)
        print_report(report, summary=f"built {n} fiche{'s' * (n != 1)} into {options.out}")
    if options.timings:
        for line in stages.lines():
            print(line, file=sys.stderr)
    return 0
