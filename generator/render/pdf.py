"""The PDF booklet: cover, contents, fiches, indexes, with page numbers read from the
rendered pages, never guessed.

How (issue 6: one big WeasyPrint document grows superlinearly in time and memory):
  1. each fiche is laid out alone, without running heads or folios, in worker
     processes (parts.render_fiche_pdf); its page count comes from that render;
  2. the plan: fiche start pages follow from the front matter's length and the
     counts (with a blank page before a fiche that must start on a right-hand page);
     the indexes and the contents are rendered with their real numbers, the contents
     again until its own length is stable;
  3. page furniture (running heads, folios) is rendered for the fiche pages, in a few
     chunks, each starting at its real page number, and laid under the fiche pages;
  4. assembly.assemble_pdf joins everything: one copy of each font, GoTo links,
     outline, metadata.
`booklet.html` is the same edition as one HTML document with the same numbers printed;
`render_booklet_single` renders it as one WeasyPrint document (the baseline the
benchmark compares against, and the PDF/A path, which needs one tagged document).

Public:
  BookletInfo
  render_booklet(edition, layout, stage, options, fetcher) -> BookletInfo
  render_booklet_single(edition, layout, stage, options, fetcher, **write_pdf_options) -> BookletInfo
  booklet_html(edition, layout, options, fetcher) -> tuple[str, BookletInfo]
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import urllib.parse
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import weasyprint
from markupsafe import Markup

from generator.fonts import FACES, edition_chars, subset_font
from generator.indexes import build_indexes
from generator.model import Edition
from generator.paths import builtin_fonts
from generator.render import html as H
from generator.render.assembly import Bookmark, Metadata, PageSource, assemble_pdf, page_link
from generator.render.parts import (CONTENT_ONLY_CSS, FURNITURE_CSS, FetchSpec, Part, offset_css,
                                    render_fiche_pdf, render_part)


@dataclass
class BookletInfo:
    pages: dict[str, tuple[int, int]]  # fiche id -> (first, last) physical page
    page_count: int
    sections: list[tuple[str | None, int]] = field(default_factory=list)  # (title, first page)
    index_pages: dict[str, int] = field(default_factory=dict)  # index kind -> first page
    contents_pages: tuple[int, int] = (2, 2)
    blank_pages: list[int] = field(default_factory=list)


# --- what every part shares -----------------------------------------------------------

class _Fonts:
    """The edition's font subsets, written once into a private folder for the parts
    (file URLs, read by the safe fetcher) and as data: URLs for booklet.html."""

    def __init__(self, edition: Edition):
        self.dir = Path(tempfile.mkdtemp(prefix="recueil-fonts-"))
        chars = edition_chars(edition)
        self.data: dict[str, bytes] = {}
        self.by_digest: dict[str, bytes] = {}
        for face in FACES:
            data = subset_font(builtin_fonts() / face.file, chars)
            (self.dir / face.file).write_bytes(data)
            self.data[face.file] = data
            self.by_digest[hashlib.sha256(data).hexdigest()] = data

    def file_css(self) -> str:
        return H.font_faces_css(lambda face: (self.dir / face.file).as_uri())

    def inline_css(self) -> str:
        return H.font_faces_css(lambda face: H.data_url(self.data[face.file], "font/ttf"))

    def close(self) -> None:
        for f in self.dir.iterdir():
            f.unlink()
        self.dir.rmdir()


def stylesheet(layout, edition: Edition, print_edition: bool) -> str:
    """The layout's CSS for this edition: its stylesheets, then the page size's, then
    the printer's edition's when asked for."""
    s = layout.settings
    names = list(s.get("stylesheets", ["booklet.css"]))
    size = (edition.publication.page_size or "A4").upper()
    names.append((s.get("page_sizes") or {}).get(size, (s.get("page_sizes") or {}).get("A4", "")))
    if print_edition and s.get("print_stylesheet"):
        names.append(s["print_stylesheet"])
    texts = []
    for name in names:
        path = layout.file(name) if name else None
        if path is not None:
            texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


def _date_label(edition: Edition, labels: dict) -> str | None:
    date = edition.publication.date
    if not date:
        return None
    parts = str(date).split("-")
    months = labels.get("months") or []
    if len(parts) == 1 or not months:
        return str(date)
    month = months[int(parts[1]) - 1]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    day = int(parts[2])
    if edition.publication.lang == "en":
        return f"{month} {day}, {parts[0]}"
    return f"{'1er' if day == 1 and edition.publication.lang == 'fr' else day} {month} {parts[0]}"


@contextlib.contextmanager
def _source_date_epoch(edition: Edition):
    # fontTools stamps the subsets WeasyPrint makes with the clock unless this is set.
    from generator.build import source_date_epoch

    had = "SOURCE_DATE_EPOCH" in os.environ
    epoch = source_date_epoch(edition.publication.date)
    os.environ.setdefault("SOURCE_DATE_EPOCH", str(epoch))
    try:
        yield epoch
    finally:
        if not had:
            del os.environ["SOURCE_DATE_EPOCH"]


def _fetch_spec(edition: Edition, layout, fetcher, font_dir: Path) -> FetchSpec:
    roots = getattr(fetcher, "roots", None)
    extra = tuple(roots[1:]) if roots else (*layout.dirs, builtin_fonts())
    allow = getattr(fetcher, "allow_remote", edition.publication.allow_remote)
    return FetchSpec(Path(edition.project.root).resolve(), (*extra, font_dir), bool(allow))


# --- the plan ------------------------------------------------------------------------

@dataclass
class _Plan:
    front_pages: int
    pages: dict[str, tuple[int, int]]
    blank_before: set[str]
    back_start: int


def _plan(edition: Edition, counts: dict[str, int], front_pages: int, starts_right: bool) -> _Plan:
    page = front_pages + 1
    pages, blanks = {}, set()
    for fiche in edition.fiches:
        if starts_right and page % 2 == 0:
            blanks.add(fiche.id)
            page += 1
        pages[fiche.id] = (page, page + counts[fiche.id] - 1)
        page += counts[fiche.id]
    return _Plan(front_pages, pages, blanks, page)


# --- the pipeline ----------------------------------------------------------------------

class _Booklet:
    """One booklet being made: the parts, the plan, then the PDF and the HTML."""

    def __init__(self, edition: Edition, layout, options, fetcher, fonts: _Fonts):
        self.edition = edition
        self.layout = layout
        self.options = options
        self.fetcher = fetcher
        self.fonts = fonts
        # Image URLs relative to OUT: booklet.html then shows its images in a browser,
        # and every part is rendered with OUT as its base URL, so one fiche HTML serves all.
        self.out = Path(getattr(options, "out", None) or edition.project.root).resolve()
        self.ctx = H.make_context(edition, layout, url_for=self._relative_url)
        self.css = stylesheet(layout, edition, getattr(options, "print_edition", False))
        self.fetch = _fetch_spec(edition, layout, fetcher, fonts.dir)
        self.base_url = self.out.as_uri() + "/"
        self.indexes = build_indexes(edition, self.ctx.labels)
        self.starts_right = layout.settings.get("fiche_starts_on", "any") == "right"
        self.warnings: list[str] = []
        self.articles = {f.id: H.fiche_html(f, self.ctx) for f in edition.fiches}
        self.shared_css = fonts.file_css() + "\n" + self.css

    def _relative_url(self, path: Path) -> str:
        return urllib.parse.quote(Path(os.path.relpath(Path(path).resolve(), self.out)).as_posix())

    # parts ------------------------------------------------------------------------
    def document(self, parts, extra_css: str = "", inline_fonts: bool = False, dates=None) -> str:
        """A whole document with every stylesheet inlined: booklet.html."""
        fonts = self.fonts.inline_css() if inline_fonts else self.fonts.file_css()
        return H.document_html(self.ctx, parts, css=fonts + "\n" + self.css + "\n" + extra_css, dates=dates)

    def part(self, parts, extra_css: str = "") -> str:
        """A part's document: only its own CSS inline; the shared stylesheet
        (self.shared_css) is given to WeasyPrint once per process."""
        return H.document_html(self.ctx, parts, css=extra_css)

    def keep(self, part: Part) -> Part:
        self.warnings += part.warnings
        return part

    def render_fiches(self, pool) -> dict[str, Part]:
        jobs = [(f.id, self.part([self.articles[f.id]], CONTENT_ONLY_CSS), self.base_url, self.fetch, None,
                 self.shared_css) for f in self.edition.fiches]
        if pool is None:
            results = [render_fiche_pdf(*job) for job in jobs]
        else:
            results = list(pool.map(_fiche_job, jobs, chunksize=1))
        return {fid: self.keep(part) for part, fid in results}

    def cover_and_contents(self, pages, index_pages, href) -> list[Markup]:
        rows = H.contents_rows(self.ctx, pages, href)
        idx = [{"title": ix.title, "page": index_pages.get(kind, 0), "href": href(f"index-{kind}")}
               for kind, ix in self.indexes.items()]
        return [H.part_html(self.ctx, "cover.html", date_label=_date_label(self.edition, self.ctx.labels)),
                H.part_html(self.ctx, "contents.html", rows=rows, indexes=idx)]

    def index_parts(self, pages, href) -> list[Markup]:
        if not self.indexes:
            return []
        return [H.part_html(self.ctx, "indexes.html", indexes=H.index_views(self.indexes, pages, href))]

    def plan(self, counts: dict[str, int]) -> tuple[_Plan, Part, Part | None, dict[str, int]]:
        """Front matter and indexes with their real numbers, the contents' own length
        included: rendered again until it no longer changes."""
        # The contents' length depends on its rows, hardly on the numbers: one render
        # with provisional numbers gives it, so the indexes are mostly rendered once.
        provisional = _plan(self.edition, counts, 2, self.starts_right)
        href = self._page_href(provisional, {})
        front_pages = self.keep(render_part(self.part(self.cover_and_contents(provisional.pages, {}, href)),
                                            self.base_url, self.fetch, stylesheet=self.shared_css)).pages
        for _ in range(6):
            plan = _plan(self.edition, counts, front_pages, self.starts_right)
            to_page = self._page_href(plan, {})
            back, index_pages = None, {}
            if self.indexes:
                anchors = tuple(f"index-{k}" for k in self.indexes)
                back = self.keep(render_part(
                    self.part(self.index_parts(plan.pages, to_page), offset_css(plan.back_start)),
                    self.base_url, self.fetch, anchors, stylesheet=self.shared_css))
                index_pages = {k: plan.back_start + back.anchors[f"index-{k}"] for k in self.indexes}
            href = self._page_href(plan, index_pages)
            front = self.keep(render_part(self.part(self.cover_and_contents(plan.pages, index_pages, href)),
                                          self.base_url, self.fetch, stylesheet=self.shared_css))
            if front.pages == front_pages:
                return plan, front, back, index_pages
            front_pages = front.pages
        raise RuntimeError("the contents' length does not settle")  # a layout bug, not bad input

    def _page_href(self, plan: _Plan, index_pages: dict[str, int]):
        def href(target: str) -> str:
            if target.startswith("index-"):
                return page_link(index_pages.get(target[6:], plan.back_start))
            return page_link(plan.pages[target][0])
        return href

    def furniture(self, plan: _Plan, pool) -> tuple[list[Part], dict[int, tuple[int, int]]]:
        """Running heads and folios of the fiche pages (blank pages included), in chunks
        of about the same number of pages. Returns the parts and, for each physical
        page, (chunk, page in chunk)."""
        fiches = self.edition.fiches
        total = plan.back_start - plan.front_pages - 1
        jobs = max(1, getattr(self.options, "jobs", None) or os.cpu_count() or 1)
        size = max(16, -(-total // (jobs * 3)))
        chunks, current, pages_in = [], [], 0
        for f in fiches:
            current.append(f)
            pages_in += plan.pages[f.id][1] - plan.pages[f.id][0] + 1
            if pages_in >= size:
                chunks.append(current)
                current, pages_in = [], 0
        if current:
            chunks.append(current)
        docs, where = [], {}
        for c, chunk in enumerate(chunks):
            first = plan.pages[chunk[0].id][0] - (1 if chunk[0].id in plan.blank_before else 0)
            items, k = [], 0
            for f in chunk:
                start, end = plan.pages[f.id]
                if f.id in plan.blank_before:
                    items.append(Markup('<div class="blank-page"></div>'))
                    where[start - 1] = (c, k)
                    k += 1
                items.append(H.part_html(self.ctx, "furniture.html", runs=[{
                    "fiche": f, "section": self.ctx.sections.get(f.id), "pages": end - start + 1}]))
                for p in range(start, end + 1):
                    where[p] = (c, k)
                    k += 1
            docs.append((self.part(items, offset_css(first) + FURNITURE_CSS), self.base_url, self.fetch, (), None,
                         self.shared_css))
        if pool is None:
            parts = [render_part(*d) for d in docs]
        else:
            parts = list(pool.map(_part_job, docs))
        for c, part in enumerate(parts):
            self.keep(part)
            expected = sum(1 for v in where.values() if v[0] == c)
            if part.pages != expected:
                raise RuntimeError(f"furniture chunk {c}: {part.pages} pages for {expected}")  # a layout bug
        return parts, where


def _fiche_job(job):
    return render_fiche_pdf(*job)


def _part_job(job):
    return render_part(*job)


def _pool(options):
    jobs = getattr(options, "jobs", None) or os.cpu_count() or 1
    if jobs <= 1:
        return contextlib.nullcontext(None)
    return ProcessPoolExecutor(max_workers=jobs)


def _outline(b: _Booklet, plan: _Plan, index_pages: dict[str, int]) -> list[Bookmark]:
    items = [Bookmark(b.ctx.labels.get("contents", "Contents"), 2)]
    for section in b.edition.sections:
        marks = [Bookmark(f.title, plan.pages[f.id][0]) for f in section.fiches]
        if section.title and marks:
            items.append(Bookmark(section.title, marks[0].page, marks))
        else:
            items += marks
    items += [Bookmark(ix.title, index_pages[k]) for k, ix in b.indexes.items()]
    return items


def _info(b: _Booklet, plan: _Plan, front: Part, back: Part | None, index_pages) -> BookletInfo:
    return BookletInfo(
        pages=dict(plan.pages),
        page_count=plan.back_start - 1 + (back.pages if back else 0),
        sections=[(s.title, plan.pages[s.fiches[0].id][0]) for s in b.edition.sections if s.fiches],
        index_pages=dict(index_pages),
        contents_pages=(2, front.pages),
        blank_pages=sorted(plan.pages[f][0] - 1 for f in plan.blank_before),
    )


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _booklet_document(b: _Booklet, plan: _Plan, index_pages: dict[str, int], epoch: int) -> str:
    """booklet.html: the whole edition, numbers printed, links to anchors, fonts inline."""
    def href(target: str) -> str:
        return "#" + (target if target.startswith("index-") else H.anchor(target))

    parts = b.cover_and_contents(plan.pages, index_pages, href)
    for f in b.edition.fiches:
        if f.id in plan.blank_before:
            parts.append(Markup('<div class="blank-page"></div>'))
        parts.append(b.articles[f.id])
    parts += b.index_parts(plan.pages, href)
    return b.document(parts, inline_fonts=True, dates=(_iso(epoch), _iso(epoch)))


def _make(edition, layout, options, fetcher, fonts):
    b = _Booklet(edition, layout, options, fetcher, fonts)
    with _pool(options) as pool:
        fiche_parts = b.render_fiches(pool)
        counts = {fid: p.pages for fid, p in fiche_parts.items()}
        plan, front, back, index_pages = b.plan(counts)
        furniture, where = b.furniture(plan, pool)
    return b, fiche_parts, plan, front, back, index_pages, furniture, where


def _forward_warnings(b: _Booklet, fetcher) -> None:
    warn = getattr(fetcher, "_warn", None)  # the build's report, behind the safe fetcher
    for message in dict.fromkeys(b.warnings):
        if warn:
            warn(message)


def render_booklet(edition: Edition, layout, stage, options, fetcher) -> BookletInfo:
    """Write booklet.pdf and booklet.html into the staging folder; see the module doc."""
    fonts = _Fonts(edition)
    try:
        with _source_date_epoch(edition) as epoch:
            b, fiche_parts, plan, front, back, index_pages, furniture, where = _make(
                edition, layout, options, fetcher, fonts)
            parts = [front.pdf] + [fiche_parts[f.id].pdf for f in edition.fiches]
            back_index = None
            if back is not None:
                back_index = len(parts)
                parts.append(back.pdf)
            first_furniture = len(parts)
            parts += [p.pdf for p in furniture]
            sources = [PageSource(0, i) for i in range(front.pages)]
            for k, f in enumerate(edition.fiches):
                start, end = plan.pages[f.id]
                if f.id in plan.blank_before:
                    c, i = where[start - 1]
                    sources.append(PageSource(first_furniture + c, i))
                for p in range(start, end + 1):
                    c, i = where[p]
                    sources.append(PageSource(1 + k, p - start, (first_furniture + c, i)))
            if back is not None:
                sources += [PageSource(back_index, i) for i in range(back.pages)]
            pub = edition.publication
            keywords = sorted({t for f in edition.fiches for t in f.themes}, key=str.casefold)
            meta = Metadata(pub.title, pub.publisher, pub.subtitle, keywords, pub.lang, epoch)
            assemble_pdf(parts, sources, b.fonts.by_digest, _outline(b, plan, index_pages), meta,
                         stage.path("booklet.pdf"))
            stage.path("booklet.html").write_text(_booklet_document(b, plan, index_pages, epoch), encoding="utf-8")
            _forward_warnings(b, fetcher)
            return _info(b, plan, front, back, index_pages)
    finally:
        fonts.close()


def booklet_html(edition: Edition, layout, options, fetcher) -> tuple[str, BookletInfo]:
    """booklet.html as a string, and the pages it prints, without writing a PDF."""
    fonts = _Fonts(edition)
    try:
        with _source_date_epoch(edition) as epoch:
            b, _, plan, front, back, index_pages, _, _ = _make(edition, layout, options, fetcher, fonts)
            _forward_warnings(b, fetcher)
            return _booklet_document(b, plan, index_pages, epoch), _info(b, plan, front, back, index_pages)
    finally:
        fonts.close()


def render_booklet_single(edition: Edition, layout, stage, options, fetcher, **write_pdf_options) -> BookletInfo:
    """booklet.html rendered as one WeasyPrint document (slow on big editions: the
    baseline, and the PDF/A path). `write_pdf_options` go to WeasyPrint's write_pdf
    (pdf_variant="pdf/a-3a", pdf_tags=True, attachments=[...], ...). Raises
    RuntimeError if the single document does not paginate as the plan says."""
    html, info = booklet_html(edition, layout, options, fetcher)
    stage.path("booklet.html").write_text(html, encoding="utf-8")
    with _source_date_epoch(edition):
        out = Path(getattr(options, "out", None) or edition.project.root).resolve()
        document = weasyprint.HTML(string=html, base_url=out.as_uri() + "/", url_fetcher=fetcher).render()
        found = {}
        for number, page in enumerate(document.pages, 1):
            for name in page.anchors:
                found.setdefault(name, number)
        for f in edition.fiches:
            if found.get(H.anchor(f.id)) != info.pages[f.id][0]:
                raise RuntimeError(f"single-document render puts {f.id} on page {found.get(H.anchor(f.id))}, "
                                   f"not {info.pages[f.id][0]}")
        options_ = {"pdf_identifier": hashlib.sha256(html.encode()).hexdigest()[:32].encode(), **write_pdf_options}
        document.write_pdf(stage.path("booklet.pdf"), **options_)
    return info
