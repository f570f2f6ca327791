"""The PDF booklet: cover, contents, fiches, indexes, with page numbers read from the
rendered pages, never guessed.

How (one big WeasyPrint document grows superlinearly in time and memory):
  1. the fiches are laid out a few to a document (plan.fiche_batches: runs whose ends
     depend on the fiches, not their positions), each fiche from a new page, without
     running heads or folios, in worker processes (parts.py); each fiche's page count
     comes from that render. The contents is rendered meanwhile with provisional
     numbers and without its leaders' dots: its length hardly depends on either;
  2. the plan (plan.py): fiche start pages from the front matter's length and the
     counts; the indexes are rendered with their real numbers, then the contents with
     the indexes' pages (a long one in pieces, side by side: pagination.py), while the
     page furniture (running heads, folios), in a few chunks each starting at its real
     page number, is rendered in the workers' free time (the assembly alone needs it).
     Should the contents' length differ from the provisional one, this step runs again;
  3. join.py joins everything: fiche pages over their furniture, one font
     dictionary and program per face (fontmerge.py), GoTo links, outline, metadata,
     and one structure tree out of the parts' (render/tags/): every part but the
     furniture is rendered tagged and tidied in its worker, the booklet is PDF/UA-1.
     What each page is (cover, contents, a fiche, an index, the colophon: `_regions`)
     comes from the plan and from the anchors of the front and back matter. The
     printer's edition (--print) gets its marks and slug (marks.py) on the joined
     pages, before the tree, written after them, refers to those pages.
Every render goes through the cache (generator/cache.py): a rebuild renders only what
changed, and the booklet itself is reused when none of its parts changed.
`booklet.html` is the same edition as one HTML document with the same numbers printed
(benchmarks/naive.py renders it as one WeasyPrint document: the baseline the benchmark
compares against). The archive (render/archive.py) is this booklet, finished as PDF/A-3.

Public:
  BookletInfo
  render_booklet(edition, layout, ctx) -> BookletInfo
  make_booklet(edition, layout, ctx) -> Booklet; write_booklet(booklet, ctx, finish=None)
    (the two steps of render_booklet, for the archive, which embeds a manifest of the pages)
  booklet_html(edition, layout, ctx) -> tuple[str, BookletInfo]
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from generator.cache import Cache, key
from generator.context import BuildContext
from generator.edition.indexes import themes_in_order
from generator.model import Edition
from generator.render.booklet.fontmerge import cut_font, face_metrics
from generator.render.booklet.join import (
    SECTION,
    Metadata,
    PageSource,
    Tagging,
    assemble_pdf,
)
from generator.render.booklet.pagination import REGION_ANCHORS, Made, lay_out
from generator.render.booklet.plan import (
    BookletInfo,
    info,
    outline,
)
from generator.render.faces import (
    SUBSETTER,
    face_sha256,
)
from generator.render.tags import VERSION as TAGS_VERSION
from generator.render.tags.roles import regions_from_anchors
from generator.render.weasy import Rendered

__all__ = ["BookletInfo", "Booklet", "render_booklet", "make_booklet", "write_booklet", "booklet_html"]


def _sources(edition: Edition, m: Made) -> tuple[list[bytes], list[PageSource]]:
    """The parts, in order, and where each physical page comes from."""
    parts = [p.pdf for p in m.fronts] + [run.pdf for run in m.runs]
    back_index = None
    if m.back is not None:
        back_index = len(parts)
        parts.append(m.back.pdf)
    first_furniture = len(parts)
    parts += [p.pdf for p in m.furniture]
    where: list[tuple[int, int]] = []  # furniture (part, page) for each fiche-area page, in order
    for c, p in enumerate(m.furniture):
        where += [(first_furniture + c, i) for i in range(p.pages)]
    sources = [PageSource(n, i) for n, p in enumerate(m.fronts) for i in range(p.pages)]
    k = 0
    for f in edition.fiches:
        if f.id in m.plan.blank_before:
            sources.append(PageSource(*where[k]))
            k += 1
        run, first = m.fiche_at[f.id]
        first_page, last_page = m.plan.pages[f.id]
        for i in range(last_page - first_page + 1):
            sources.append(PageSource(len(m.fronts) + run, first + i, where[k]))
            k += 1
    if m.back is not None:
        sources += [PageSource(back_index, i) for i in range(m.back.pages)]
    return parts, sources


class _FaceFiles:
    """The edition's faces, by sha256, for join.assemble_pdf: their widths, and their
    files cut to the glyphs the booklet prints (cached)."""

    def __init__(self, cache: Cache, design):
        self.cache = cache
        self.files = {face_sha256(f.path): f.path for f in design.all_faces()}

    def advances(self, face: str) -> list[int]:
        return _metrics(self.files[face])[0]

    def space_glyph(self, face: str) -> int | None:
        return _metrics(self.files[face])[1]

    def cut(self, glyphs: dict[str, set[int]]) -> dict[str, bytes]:
        out = {}
        for face, gids in sorted(glyphs.items()):
            k = key("cut", SUBSETTER, face, sorted(gids))
            out[face] = self.cache.memo("font", k, lambda: (cut_font(self.files[face].read_bytes(), sorted(gids)), {}))[0]
        return out


@lru_cache(maxsize=16)
def _metrics(path: Path) -> tuple[list[int], int | None]:
    return face_metrics(path.read_bytes())


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _regions(edition: Edition, m: Made) -> list[str | None]:
    """What each booklet page belongs to, in the order of _sources: "cover", "contents",
    "fiche:ID", "index:KIND", "colophon", None for a blank page (tags/roles.py)."""
    def part(rendered: Rendered, first: str | None) -> list[str | None]:
        at = {("index:" + a[6:] if a.startswith("index-") else a): p for a, p in rendered.anchors.items()
              if a in REGION_ANCHORS or a.startswith("index-")}
        return regions_from_anchors(rendered.pages, at, first)

    labels = [label for n, p in enumerate(m.fronts) for label in part(p, "contents" if n else "cover")]
    for f in edition.fiches:
        if f.id in m.plan.blank_before:
            labels.append(None)
        first, last = m.plan.pages[f.id]
        labels += [f"fiche:{f.id}"] * (last - first + 1)
    if m.back is not None:
        labels += part(m.back, None)
    return labels


def _tagging(edition: Edition, m: Made) -> Tagging:
    """How join.py tags the booklet: its regions; links described « page 12 : title »
    (what the contents and the indexes link to starts on that page); the language of a
    fiche that has its own, on its Art and on the contents line naming it."""
    pub = edition.publication
    titles = {m.plan.pages[f.id][0]: f.title for f in edition.fiches}
    titles.update({page: m.html.indexes[k].title for k, page in m.index_pages.items()})
    sections = {m.plan.pages[s.fiches[0].id][0]: s.title for s in edition.sections if s.title and s.fiches}
    colon = "\u00a0: " if pub.lang.split("-")[0] == "fr" else ": "

    def describe(page: int | None, uri: str | None, kind: str | None = None) -> str | None:
        if page is None:
            return uri
        named = sections if kind == SECTION else titles
        return f"page {page}{colon}{named[page]}" if page in named else f"page {page}"

    own = [f for f in edition.fiches if f.lang and f.lang != pub.lang]
    return Tagging(_regions(edition, m), describe, {f"fiche:{f.id}": f.lang for f in own},
                   {m.plan.pages[f.id][0]: f.lang for f in own if m.plan.pages[f.id][0] not in sections})


def render_booklet(edition: Edition, layout, ctx: BuildContext) -> BookletInfo:
    """Write booklet.pdf and booklet.html into the staging folder; see the module doc."""
    made = make_booklet(edition, layout, ctx)
    write_booklet(made, ctx)
    return made.info()


class Booklet:
    """A booklet laid out (its parts rendered, its plan made), not yet written."""

    def __init__(self, edition: Edition, layout, made: Made):
        self.edition, self.layout, self.made = edition, layout, made

    def info(self) -> BookletInfo:
        m = self.made
        contents = m.fronts[0].anchors.get("contents", 1) + 1
        return info(self.edition, m.plan, sum(p.pages for p in m.fronts), m.back.pages if m.back else 0,
                    m.index_pages, contents)


def make_booklet(edition: Edition, layout, ctx: BuildContext) -> Booklet:
    """The booklet's parts rendered and its plan made (what takes the time)."""
    return Booklet(edition, layout, lay_out(edition, layout, ctx))


def write_booklet(booklet: Booklet, ctx: BuildContext, finish=None) -> None:
    """Write booklet.html and booklet.pdf (joined, tagged) into the staging folder, in
    that order. `finish(pdf)` changes the joined booklet before it is saved (the
    archive's PDF/A-3 finishing, which embeds a manifest of what is staged by then):
    such a booklet is not cached, since what it embeds changes with every output."""
    edition, layout, m = booklet.edition, booklet.layout, booklet.made
    stages, cache, epoch = ctx.timings, ctx.cache, ctx.epoch
    with stages("booklet: html"):
        html = m.html.document(m.plan.pages, m.plan.blank_before, m.index_pages, (_iso(epoch), _iso(epoch)),
                               m.subsets)
        ctx.stage.path("booklet.html").write_text(html, encoding="utf-8")
    with stages("booklet: assembly"):
        parts, sources = _sources(edition, m)
        pub = edition.publication
        keywords = themes_in_order(edition)
        meta = Metadata(pub.title, pub.publisher, pub.subtitle, keywords, pub.lang, epoch)
        bookmarks = outline(edition, m.html.ctx.labels, m.html.indexes, m.plan, m.index_pages,
                            booklet.info().contents_pages[0])
        tagging = _tagging(edition, m)
        marks = _PrintMarks(edition, layout) if ctx.options.print_edition else None
        # The booklet is a function of its parts, their order, its metadata, its tags
        # and its print marks.
        booklet_key = None if finish is not None else key(
            "booklet", [hashlib.sha256(p).hexdigest() for p in parts],
            [(s.part, s.page, s.under) for s in sources], repr(bookmarks), repr(meta), tagging.regions,
            [tagging.describe(n, None, k) for n in range(1, len(sources) + 1) for k in (None, SECTION)],
            sorted(tagging.langs.items()), sorted(tagging.link_langs.items()), TAGS_VERSION,
            marks.key if marks else None)
        found = cache.get("booklet", booklet_key) if booklet_key else None
        target = ctx.stage.path("booklet.pdf")
        if found is not None:
            target.write_bytes(found[0])
        else:
            assemble_pdf(parts, sources, _FaceFiles(cache, layout.design), bookmarks, meta, target, tagging,
                         _then(marks, finish))
            if booklet_key:
                cache.put("booklet", booklet_key, target.read_bytes())
    for path, message in m.warnings():
        ctx.warn(message, path)


class _PrintMarks:
    """The printer's marks and slug (marks.py), drawn on the joined booklet before it is
    saved, so that its structure tree, written after it, finds the pages it tags."""

    def __init__(self, edition: Edition, layout):
        from generator.render.filters import date_label

        pub = edition.publication
        date = date_label(pub.date, pub.lang, layout.labels(pub.lang).get("months") or [])
        self.named = " · ".join(x for x in (pub.title, pub.edition, date) if x).replace(
            "\u202f", " ").replace("\u00a0", " ")
        self.face = next(f for f in layout.design.faces["heading"] if f.weight == 400 and not f.italic).path
        self.key = ("marks", self.named, face_sha256(self.face))

    def __call__(self, pdf) -> None:
        from generator.render.booklet.marks import add_marks

        total = len(pdf.pages)
        add_marks(pdf, lambda n: f"{self.named} · {n} / {total}", self.face.read_bytes())


def _then(*steps):
    """The given changes to the joined booklet, in order, as one `finish` (or None)."""
    steps = [s for s in steps if s is not None]
    if not steps:
        return None

    def finish(pdf) -> None:
        for step in steps:
            step(pdf)
    return finish


def booklet_html(edition: Edition, layout, ctx: BuildContext) -> tuple[str, BookletInfo]:
    """booklet.html as a string, and the pages it prints, without writing a PDF."""
    booklet = make_booklet(edition, layout, ctx)
    m = booklet.made
    for path, message in m.warnings():
        ctx.warn(message, path)
    html = m.html.document(m.plan.pages, m.plan.blank_before, m.index_pages,
                           (_iso(ctx.epoch), _iso(ctx.epoch)), m.subsets)
    return html, booklet.info()
