"""One build: read → assemble → render → write, in that order and only that order.

`build()` is the one place that runs a build, top to bottom. It makes the build's
context (context.BuildContext: date, staging, cache, workers, fetch rules, report) and
hands it to each renderer of RENDERERS, one per output format.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from generator.context import (
    FORMATS,
    BuildContext,
    BuildOptions,
    FetchRules,
    Timings,
    build_epoch,
    format_of,
)
from generator.diagnostics import InputError, Report
from generator.i18n import _, n_
from generator.memory import long_lived
from generator.pool import Pool, held_signals

__all__ = ["BuildOptions", "FORMATS", "build", "run"]


@dataclass
class Rendered:
    """What a renderer staged: paths relative to OUT, and the booklet's pages when it made it."""

    files: list[str]
    pages: dict[str, tuple[int, int]] | None = None


# A renderer starts its work and returns a function that waits for it (the Word files
# are written in the workers' free time while the booklet renders). `layouts` holds the
# edition's layout ("booklet"), the handouts' ("handout") and the one whose colours
# the web edition wears ("site", the publication's own even for --archive).
Start = Callable[[object, dict, BuildContext], Callable[[], Rendered]]


def _word(edition, layouts: dict, ctx: BuildContext) -> Callable[[], Rendered]:
    with held_signals():  # see pool.held_signals: an import a Ctrl-C may not cut
        from generator.render import word

    wait = word.start_docx(edition, layouts["booklet"], ctx)
    return lambda: Rendered(wait())


def _handouts(edition, layouts: dict, ctx: BuildContext) -> Callable[[], Rendered]:
    with held_signals():
        from generator.render import handout

    with ctx.timings("handouts"):
        files = handout.render_handouts(edition, layouts["handout"], ctx)
    return lambda: Rendered(files)


def _booklet(edition, layouts: dict, ctx: BuildContext) -> Callable[[], Rendered]:
    layout = layouts["booklet"]
    files = ["booklet.pdf", "booklet.html"]
    if ctx.options.archive:
        with held_signals():
            from generator.render import archive

        info = archive.render_archive(edition, layout, ctx)  # the booklet's steps, timed by it
    else:
        with held_signals():
            from generator.render import booklet

        info = booklet.render_booklet(edition, layout, ctx)  # it times its own steps
    ctx.booklet = info
    if ctx.options.impose:
        with held_signals():
            from generator.render.impose import impose

        with ctx.timings("impose"):
            impose(ctx.stage.path("booklet.pdf"), ctx.stage.path("booklet-imposed.pdf"))
        files.append("booklet-imposed.pdf")
    return lambda: Rendered(files, info.pages)


def _web(edition, layouts: dict, ctx: BuildContext) -> Callable[[], Rendered]:
    from generator.render import web

    with ctx.timings("web: start"):  # fonts and images, in the time the booklet leaves the workers
        finish = web.start_web(edition, layouts["site"], ctx)

    def wait() -> Rendered:
        booklet = ctx.booklet  # known by now: its fiche pages link to their page in the booklet
        return Rendered(finish(booklet.pages if booklet else None, booklet.index_pages if booklet else None))
    return wait


# In this order: the Word files start first and trickle into the workers' free time, the
# web edition's fonts and images next; the booklet; the archive booklet embeds a
# build.json listing what was staged before it (not the site, which waits for it).
RENDERERS: dict[str, Start] = {"docx": _word, "handouts": _handouts, "web": _web, "pdf": _booklet}




def build(root: Path, options: BuildOptions, report: Report, timings: Timings | None = None) -> dict:
    """Build the edition of `root` into `options.out`. Raises InputError on bad input, in
    which case nothing in `options.out` has changed. Returns what was written."""
    from generator.write import uptodate
    from generator.write.staging import Staging

    timings = timings or Timings()
    started_ns = time.time_ns()
    epoch_env = os.environ.get("SOURCE_DATE_EPOCH")
    if options.cache and uptodate.stamp_path(options.out).is_file():
        with timings("up to date?"), Staging(options.out).locked():  # no build commits meanwhile
            previous = uptodate.previous_if_unchanged(root, options, options.out, epoch_env)
        if previous is not None:
            for path, line, message in previous["warnings"]:
                report.warning(path, line, message)
            return {"edition": None, "written": [], "pages": None, "up_to_date": True,
                    "fiches": previous["fiches"]}
    # Before the workers are forked, which inherit it: each would otherwise import the
    # readers again before it could read its first fiches.
    from generator.read import project  # noqa: F401

    with Pool(options.workers()) as pool:
        return _build(root, options, report, timings, pool, started_ns, epoch_env)


def _build(root, options, report, timings, pool: Pool, started_ns, epoch_env) -> dict:
    from generator.cache import Cache
    from generator.edition import indexes
    from generator.edition.select import make_edition
    from generator.paths import builtin_fonts
    from generator.read import layouts, project
    from generator.read.glyphs import check_glyphs
    from generator.read.preflight import preflight
    from generator.read.remembered import Remembered
    from generator.write import uptodate
    from generator.write.manifest import build_record, previous_pages, write_manifest
    from generator.write.staging import Staging

    cache = Cache.for_output(options.out, options.cache)
    remembered = Remembered(cache) if cache.enabled else None
    indexes.recall_from(cache)  # the sort keys of the texts the last build sorted

    with timings("read"):
        proj = project.read_project(root, report, drafts=options.drafts, pool=pool,
                                    meanwhile=lambda: _ready_workers(pool, options),
                                    remembered=remembered)
        if proj is None or report.failed():
            raise InputError(report)
    with timings("assemble"):
        edition = make_edition(proj, options.selects, report, title=options.title, subtitle=options.subtitle)
        if report.failed():
            raise InputError(report)
        if not edition.fiches:
            report.error("fiches", None, _("nothing to build: no fiche is published"))
            raise InputError(report)
        used = {"booklet": layouts.load_layout(
            proj, options.layout or ("archive" if options.archive else proj.publication.layout))}
        if "handouts" in options.formats:
            used["handout"] = layouts.load_layout(proj, "handout")
        if "web" in options.formats:
            used["site"] = (layouts.load_layout(proj, options.layout or proj.publication.layout)
                            if options.archive else used["booklet"])
        # The warnings `check` gives, given here too.
        for warning in dict.fromkeys(w for layout in used.values() for w in layout.warnings):
            report.warning(*warning)
        check_glyphs(proj, used["booklet"].design, report)
        preflight(proj, used["booklet"].settings, report)

    out = options.out
    pub = proj.publication
    roots = [d for layout in used.values() for d in layout.dirs] + [builtin_fonts()]
    fetch = FetchRules.of(proj.root, roots, pub.allow_remote, pub.remote_timeout, pub.remote_max_bytes)
    with Staging(out) as stage:
        if remembered is not None:  # the fiches this build read, for the next: OUT is locked now
            remembered.store()
        if fetch.allow_remote:  # one deadline and one byte count for all of the build's remote fetches
            fetch = dataclasses.replace(fetch, deadline=time.monotonic() + fetch.remote_timeout,
                                        budget_file=str(stage.root / ".remote-bytes"))
        ctx = BuildContext(options, build_epoch(proj.publication.date), stage, cache, pool, fetch, report, timings,
                           layouts=used, fresh=uptodate.changed_since(out, edition.fiches))
        uptodate.forget(out)  # this build's outputs replace the ones the record describes
        done, waiting = Rendered([]), []
        # With a booklet (not the archive, which embeds what the others staged), the Word
        # files and the site start once it has asked for the renders an edit waits for.
        later = ("docx", "web") if "pdf" in options.formats and not options.archive else ()
        with long_lived():  # the project and the edition, while the renderers allocate
            for name, start in RENDERERS.items():
                if name not in options.formats:
                    continue
                if name == "pdf" and options.archive:
                    _finish([w for w in waiting if w[0] != "web"], done, timings)
                    waiting = [w for w in waiting if w[0] == "web"]
                if name in later:
                    ctx.after_urgent_renders(lambda name=name, start=start: waiting.append(
                        (name, start(edition, used, ctx))))
                    continue
                waiting.append((name, start(edition, used, ctx)))
            ctx.urgent_renders_asked()
            _finish(waiting, done, timings)
        # A build of fewer formats leaves the others' files as they are, and lists them.
        done.files += stage.keep_previous(lambda rel: format_of(rel) not in options.formats)
        if done.pages is None and "pdf" not in options.formats:
            done.pages = previous_pages(out, "booklet.pdf" in done.files)
        with timings("write"):
            write_manifest(stage, edition, done.pages, done.files, build_record(edition, options, used.values(), ctx.reads))
            stage.commit()
            # Still under OUT's lock: no other build uses the cache while it is pruned.
            indexes.keep_in(cache)
            cache.prune()
            extra = uptodate.extra_inputs(proj, list(used.values()), ctx.reads) if options.cache else None
            if extra is not None:
                uptodate.record(root, options, out, extra, report, len(edition.fiches), started_ns, epoch_env)
    return {"edition": edition, "written": done.files, "pages": done.pages}


def _finish(waiting: list, done: Rendered, timings: Timings) -> None:
    """Wait for the renderers still at work; what they staged goes into `done`."""
    for name, wait in waiting:
        with timings(f"{name}: rest"):
            result = wait()
        done.files += result.files
        done.pages = result.pages if result.pages is not None else done.pages


def _ready_workers(pool: Pool, options: BuildOptions) -> None:
    """While the workers read the fiches, or once it is clear that they have few to read:
    have them load WeasyPrint after their reading (not before, which would hold it up);
    meanwhile import the renderers here and read the collation table the indexes sort by.

    Tried and left: this process loading WeasyPrint while the workers read, then forking
    new workers that have it loaded. It spends less of the machine, but reading takes
    longer by as much, and an edit's rebuild was no faster."""
    pdf = "pdf" in options.formats or "handouts" in options.formats
    with held_signals():  # see pool.held_signals
        if pdf:
            from generator.render.weasy import warm_up
    if pdf:
        pool.each(warm_up)
    with held_signals():
        if pdf:
            from generator.render import booklet  # noqa: F401
        if "docx" in options.formats:
            from generator.render import word  # noqa: F401
        if "web" in options.formats:
            from generator.render import web  # noqa: F401
    if "pdf" in options.formats or "docx" in options.formats or "web" in options.formats:
        from generator.edition.indexes import load_collation

        load_collation()


def run(root: Path, options: BuildOptions) -> int:
    """The `recueil build` command: 0 built, 1 bad input, a busy output folder or one
    that cannot be written (read-only, full...): nothing written."""
    from generator import progress
    from generator.diagnostics import print_report, printable
    from generator.write.staging import OutputBusy, OutputError, environment_error

    report = Report()
    timings = Timings()
    try:
        with progress.bar():
            try:
                result = build(root, options, report, timings)
            except OSError as e:  # in a renderer or a worker: a full disk is no bug
                raise environment_error(e, options.out) or e from None
    except InputError as e:
        if e.report is not report:  # a renderer found bad input of its own (a layout file)
            report.items += e.report.items
        print_report(report, summary=_("nothing was built"))
        return 1
    except (OutputBusy, OutputError) as e:
        print_report(report)
        print(f"{printable(options.out)}: {_('error')}: "
              + _("{problem}; the output folder was left as it was", problem=printable(e, 1000)), file=sys.stderr)
        return 1
    if result.get("up_to_date"):
        n = result["fiches"]
        print_report(report, summary=n_("{out} is up to date ({n} fiche): nothing to do",
                                        "{out} is up to date ({n} fiches): nothing to do", n, out=options.out))
    else:
        n = len(result["edition"].fiches)
        print_report(report, summary=n_("built {n} fiche into {out}", "built {n} fiches into {out}", n, out=options.out))
    if options.timings:
        for line in timings.lines():
            print(line, file=sys.stderr)
    return 0
