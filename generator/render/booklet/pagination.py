"""The booklet's parts laid out, in the order that keeps the workers busy: the fiche
runs with, beside them, the provisional contents (its length, from provisional
numbers); then the plan; then the indexes, and the contents with the indexes' pages;
the page furniture in the workers' free time. What comes out, `Made`, is what the
booklet's assembly (__init__.py) joins.

A long contents is laid out in pieces, in parallel, each a few pages: cut where the
provisional layout starts a page (the real numbers do not move a line: the titles keep
clear of the numbers' column), each piece checked to fill just the pages it had there,
or the contents laid out whole. The pieces' size does not depend on the number of
workers: the booklet comes out the same on any machine.

(Laying the contents out beside the indexes, with the indexes' pages a provisional
layout of them gives, was measured: on two cores that layout costs the fiche runs
more than it saves, and two long documents at once raise the peak memory.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator import progress
from generator.context import BuildContext
from generator.model import Edition
from generator.render import html as H
from generator.render.booklet.document import BookletHtml
from generator.render.booklet.parts import (
    CONTENT_ONLY_CSS,
    Parts,
    attributed,
    offset_css,
    without_leaders,
)
from generator.render.booklet.plan import (
    Plan,
    chunk_first_page,
    fiche_batches,
    furniture_chunks,
    make_plan,
    page_href,
)
from generator.render.faces import (
    edition_subsets,
    face_sha256,
    needed_fallback,
    postscript_name,
)
from generator.render.weasy import PdfJob, Rendered

# Where the front and back matter's parts change role (tags/roles.py's regions): the
# contents' <nav id="contents"> and the colophon's <section id="colophon">.
REGION_ANCHORS = ("contents", "colophon")
# A contents of fewer than twice this many pages is laid out whole.
PIECE_PAGES = 3


def _faces(design) -> tuple[tuple[str, str], ...]:
    """(PostScript name, sha256) of every face of the edition (its typefaces and the
    fallback): how parts name them."""
    return tuple((postscript_name(f.path), face_sha256(f.path)) for f in design.all_faces())


@dataclass
class Made:
    html: BookletHtml
    plan: Plan
    batches: list[list]  # the fiches of each run
    runs: list[Rendered]  # the fiches, a few a part (plan.fiche_batches)
    fiche_at: dict[str, tuple[int, int]]  # fiche id -> (its run, its first page in the run)
    fronts: list[Rendered]  # the cover and the contents, whole or in pieces
    back: Rendered | None
    index_pages: dict[str, int]
    furniture: list[Rendered]
    subsets: dict[str, bytes]  # face key -> the edition's subset, for booklet.html

    def warnings(self) -> list[tuple[str, str]]:
        """(path, message): a run's warnings are about its fiches (parts.attributed),
        the other parts' about the layout."""
        found = []
        for batch, run in zip(self.batches, self.runs):
            if run.warnings:
                found += attributed(run, [(f.rel, str(self.html.article(f))) for f in batch])
        layout = layout_path(self.html.layout, self.html.edition.project.root)
        for part in [*self.fronts, *([self.back] if self.back else []), *self.furniture]:
            found += [(layout, w) for w in part.warnings]
        return list(dict.fromkeys(found))


def layout_path(layout, root: Path) -> str:
    """The layout as a message names it: its folder in the project, or layouts/NAME."""
    for d in layout.dirs:
        if Path(d).resolve().is_relative_to(Path(root).resolve()):
            return Path(d).resolve().relative_to(Path(root).resolve()).as_posix()
    return f"layouts/{layout.name}"


def lay_out(edition: Edition, layout, ctx: BuildContext) -> Made:
    b = BookletHtml(edition, layout, ctx)
    parts = Parts(ctx)
    stages = ctx.timings

    def job(html: str, anchors: tuple[str, ...] = (), tagged: bool = True, isolated: bool = False,
            css: str | None = None, layout_only: bool = False) -> PdfJob:
        # Every part but the furniture is tagged and tidied in its worker (tags/part.py);
        # the furniture is drawn under the fiche pages as an artifact (join.py).
        return PdfJob(html, b.base_url, b.fetch, anchors, b.shared_css if css is None else css, faces,
                      strip_faces=True, tags="part" if tagged else "", isolated=isolated, layout_only=layout_only)

    # The indexes and the contents grow with the catalogue: laid out in a child of their
    # worker, which takes their memory with it.
    def back_job(plan) -> PdfJob:
        return job(b.part(b.index_parts(plan.pages, page_href(plan, {})), offset_css(plan.back_start)),
                   tuple(f"index-{k}" for k in b.indexes) + REGION_ANCHORS, isolated=True)

    def front_job(plan, index_pages: dict[str, int], rows: slice = slice(None), first: int = 0,
                  anchors: tuple[str, ...] = (), **kw) -> PdfJob:
        """The cover and the contents, or the piece of them that holds the contents'
        `rows` from page `first` (0-based) of the front matter on."""
        html = b.part(b.cover_and_contents(plan.pages, index_pages, page_href(plan, index_pages), rows),
                      offset_css(1 + first) if first else "")
        return job(html, (() if first else REGION_ANCHORS) + anchors, **kw)

    def front_jobs(plan, index_pages: dict[str, int], pieces) -> list[PdfJob]:
        """The cover and the contents: whole (a long document, isolated), or in `pieces`
        (first row, end row, first page) when the provisional layout gave them."""
        if not pieces:
            return [front_job(plan, index_pages, isolated=True)]
        return [front_job(plan, index_pages, slice(start, end), first) for start, end, first in pieces]

    faces = _faces(layout.design)

    with stages("booklet: fiches"):
        # The contents' length, from provisional numbers (three pages a fiche: as many
        # digits as the real ones, or more); asked for first, so that nothing waits for
        # it once the fiches are laid out. Only its length is read: laid out, not
        # written, and without its leaders' dots, it costs a third.
        guess = make_plan(edition, {f.id: 3 for f in edition.fiches}, 2, b.starts_right)
        rows = len(H.contents_rows(b.ctx, guess.pages, page_href(guess, {})))
        provisional = parts.get(front_job(guess, {}, anchors=tuple(f"toc-{i}" for i in range(rows)), tagged=False,
                                          isolated=True, css=without_leaders(b.shared_css), layout_only=True))
        advance = progress.task("fiches", len(edition.fiches))
        batches = fiche_batches(edition.fiches)
        run_futures = {}
        # The runs of the fiches changed since the last build first: the others' keys
        # (their HTML) are made while those are laid out, and most are in the cache. What
        # fills the workers' free time is prepared once those are asked for.
        # (A first build, every run fresh: none is more urgent, and those start at once.)
        fresh = {n for n in range(len(batches)) if any(f.id in ctx.fresh for f in batches[n])}
        then = len(fresh) if len(fresh) < len(batches) else 0  # the place of the first run not urgent
        for place, n in enumerate(sorted(range(len(batches)), key=lambda n: n not in fresh)):
            if place == then:
                ctx.urgent_renders_asked()
            batch = batches[n]
            ids = tuple(H.anchor(f.id) for f in batch)
            # Every fiche on a page of its own, whatever the layout says: the plan counts
            # pages per fiche.
            own_page = ", ".join(f"#{i}" for i in ids) + " { break-before: page !important; }"
            run_futures[n] = parts.get(job(b.part([b.article(f) for f in batch], CONTENT_ONLY_CSS + own_page, batch),
                                           ids), lambda k=len(batch): advance(k))
        runs = [run_futures[n].result() for n in range(len(batches))]
        fiche_at, counts = _fiche_pages(batches, runs)
        front_pages = provisional.result().pages
        pieces = contents_pieces(provisional.result(), rows)

    with stages("booklet: front, indexes, furniture"):
        for _ in range(6):
            plan = make_plan(edition, counts, front_pages, b.starts_right)
            back_future = parts.get(back_job(plan)) if b.indexes else None
            # The contents prints the indexes' pages: without indexes it need not wait.
            front_futures = None if b.indexes else [parts.get(j) for j in front_jobs(plan, {}, pieces)]
            chunks = furniture_chunks(edition, plan, ctx.pool.jobs)
            advance = progress.task("furniture", len(chunks))
            # Needed by the assembly only: the contents and the indexes go first.
            furniture_futures = [parts.get(job(b.furniture(c, chunk_first_page(c, plan), plan.pages,
                                                             plan.blank_before), tagged=False), advance, later=True)
                                 for c in chunks]
            back = back_future.result() if back_future else None
            index_pages = index_starts(back, b.indexes, plan.back_start) if back else {}
            if front_futures is None:
                front_futures = [parts.get(j) for j in front_jobs(plan, index_pages, pieces)]
            fronts = [f.result() for f in front_futures]
            if pieces and [r.pages for r in fronts] != piece_pages(pieces, front_pages):
                fronts = [parts.get(j).result() for j in front_jobs(plan, index_pages, None)]  # the cut moved a line
            pieces = None  # a contents whose length changed is laid out whole
            furniture = [f.result() for f in furniture_futures]
            if sum(r.pages for r in fronts) == front_pages:
                break
            front_pages = sum(r.pages for r in fronts)
        else:
            raise RuntimeError("the contents' length does not settle")  # a layout bug, not bad input
        for c, (chunk, part) in enumerate(zip(chunks, furniture)):
            expected = sum(plan.pages[f.id][1] - plan.pages[f.id][0] + 1 + (f.id in plan.blank_before)
                           for f in chunk)
            if part.pages != expected:
                raise RuntimeError(f"furniture chunk {c}: {part.pages} pages for {expected}")  # a layout bug
        chars = ctx.edition_chars(edition)
        design = layout.design
        subsets = edition_subsets(chars, ctx.cache, faces=design.edition_faces() + needed_fallback(design, chars))
    return Made(b, plan, batches, runs, fiche_at, fronts, back, index_pages, furniture, subsets)


def contents_pieces(provisional: Rendered, rows: int) -> list[tuple[int, int, int]] | None:
    """Where to cut the contents, from its provisional layout (the cover and the
    contents, which ends the part; its rows' anchors toc-0, toc-1...): (first row, end
    row, first page of the part) of each piece; None to lay it out whole (short, or a
    template whose rows have no ids)."""
    at = [provisional.anchors.get(f"toc-{i}") for i in range(rows)]
    if not rows or None in at:
        return None
    first, end = at[0], provisional.pages
    count = (end - first) // PIECE_PAGES
    if count < 2:
        return None
    cuts = []  # (row, page): the first row of each piece after the first, on the page it starts
    for k in range(1, count):
        page = first + round(k * (end - first) / count)
        row = next((i for i, p in enumerate(at) if p >= page), None)
        if row is not None and at[row] == page and (not cuts or row > cuts[-1][0]):
            cuts.append((row, page))
    if not cuts:
        return None
    starts = [(0, 0)] + cuts
    return [(row, nxt[0] if nxt else rows, page) for (row, page), nxt in zip(starts, cuts + [None])]


def piece_pages(pieces: list[tuple[int, int, int]], total: int) -> list[int]:
    """The pages each piece filled in the provisional layout, of `total`."""
    firsts = [page for _, _, page in pieces] + [total]
    return [b - a for a, b in zip(firsts, firsts[1:])]


def index_starts(back: Rendered, indexes, first_page: int) -> dict[str, int]:
    """The page each index starts on, the indexes' part starting on `first_page`."""
    return {k: first_page + back.anchors[f"index-{k}"] for k in indexes}


def _fiche_pages(batches: list[list], runs: list[Rendered]) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """Where each fiche starts in its run, and its page count, from the runs' anchors."""
    at, counts = {}, {}
    for r, (batch, run) in enumerate(zip(batches, runs)):
        starts = [run.anchors.get(H.anchor(f.id)) for f in batch]
        if None in starts:
            raise RuntimeError("the layout's fiche template must give each fiche's <article> the id "
                               "{{ anchor }}: the contents, the indexes and the links point at it")
        if starts[0] != 0 or any(a >= b for a, b in zip(starts, starts[1:] + [run.pages])):
            raise RuntimeError(f"fiches {[f.id for f in batch]} start on pages {starts} of {run.pages}")  # a bug
        for f, first, end in zip(batch, starts, starts[1:] + [run.pages]):
            at[f.id] = (r, first)
            counts[f.id] = end - first
    return at, counts
