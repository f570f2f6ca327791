"""The HTML of the booklet's parts (cover and contents, fiches, indexes, furniture) and of
booklet.html, the whole edition as one document.

Parts are styled by the layout's CSS with the vendored font files (`file://` URLs that
the safe fetcher allows): a fiche part then depends on the fiche and the layout only,
never on the characters other fiches use, so its cache entry survives edits elsewhere.
booklet.html carries the edition's subsets inline (data: URLs) to be viewable alone.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

from markupsafe import Markup

from generator.context import BuildContext
from generator.edition.indexes import build_indexes
from generator.model import Edition
from generator.render import html as H
from generator.render.booklet.parts import FURNITURE_CSS, offset_css


def stylesheet(layout, edition: Edition, print_edition: bool) -> str:
    """The layout's CSS for this edition: the design tokens' custom properties and
    @page size and margins (the @font-face rules are added by the caller), its
    stylesheets, then the page size's, then the printer's edition's when asked for."""
    s = layout.settings
    names = list(s.get("stylesheets", ["booklet.css"]))
    size = layout.design.page[0]
    names.append((s.get("page_sizes") or {}).get(size, ""))
    if print_edition and s.get("print_stylesheet"):
        names.append(s["print_stylesheet"])
    texts = [layout.design.variables_css()]
    for name in names:
        path = layout.file(name) if name else None
        if path is not None:
            texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


class BookletHtml:
    """What every part of one booklet is made of, computed once."""

    def __init__(self, edition: Edition, layout, build: BuildContext):
        self.edition = edition
        self.layout = layout
        # Image URLs relative to OUT: booklet.html then shows its images in a browser,
        # and every part is rendered with OUT as its base URL, so one fiche HTML serves all.
        self.out = build.out.resolve()
        self.ctx = H.make_context(edition, layout, url_for=self._relative_url,
                                  qr=H.cached_qr(build.cache) if build.cache.enabled else None)
        self.css = stylesheet(layout, edition, build.options.print_edition)
        self.fetch = build.fetch
        self.base_url = self.out.as_uri() + "/"
        self.indexes = build_indexes(edition, self.ctx.labels)
        self.starts_right = layout.settings.get("fiche_starts_on", "any") == "right"
        self._articles: dict[str, Markup] = {}
        self.shared_css = H.font_faces_css(lambda face: face.path.as_uri(), layout.design) + "\n" + self.css

    def article(self, fiche) -> Markup:
        """The fiche's <article>, made when first asked for: the booklet asks fiche by
        fiche and renders the first ones while it writes the next."""
        if fiche.id not in self._articles:
            self._articles[fiche.id] = H.fiche_html(fiche, self.ctx)
        return self._articles[fiche.id]

    def _relative_url(self, path: Path) -> str:
        return urllib.parse.quote(Path(os.path.relpath(Path(path).resolve(), self.out)).as_posix())

    def part(self, parts, extra_css: str = "", fiches=None) -> str:
        """A part's document: only its own CSS inline; the shared stylesheet
        (self.shared_css) is given to WeasyPrint once per process. Parts made of
        `fiches` carry only those fiches' theme colours."""
        themes = None if fiches is None else {t for f in fiches for t in f.themes}
        return H.document_html(self.ctx, parts, css=extra_css, themes=themes)

    def cover_and_contents(self, pages, index_pages, href, rows: slice = slice(None)) -> list[Markup]:
        """The cover and the contents; `rows`, a slice of the contents' rows, makes a
        piece of it (pagination.py): the first piece has the cover and the heading,
        the last the indexes' lines."""
        every = H.contents_rows(self.ctx, pages, href)
        start, stop, _ = rows.indices(len(every))
        idx = [{"title": ix.title, "page": index_pages.get(kind, 0), "href": href(f"index-{kind}")}
               for kind, ix in self.indexes.items()] if stop == len(every) else []
        contents = H.part_html(self.ctx, "contents.html", rows=every[start:stop], indexes=idx, continued=start > 0)
        return [H.part_html(self.ctx, "cover.html"), contents] if start == 0 else [contents]

    def index_parts(self, pages, href) -> list[Markup]:
        if not self.indexes:
            return []
        return [H.part_html(self.ctx, "indexes.html", indexes=H.index_views(self.indexes, pages, href))]

    def furniture(self, chunk, first: int, pages, blank_before) -> str:
        """The running heads and folios of a run of fiches starting at page `first`."""
        items = []
        for f in chunk:
            start, end = pages[f.id]
            if f.id in blank_before:
                items.append(Markup('<div class="blank-page"></div>'))
            items.append(H.part_html(self.ctx, "furniture.html", runs=[{
                "fiche": f, "section": self.ctx.sections.get(f.id), "pages": end - start + 1}]))
        return self.part(items, offset_css(first) + FURNITURE_CSS, fiches=chunk)

    def document(self, pages, blank_before, index_pages, dates, font_data: dict[str, bytes]) -> str:
        """booklet.html: the whole edition, numbers printed, links to anchors, fonts
        inline (`font_data`: face key -> its subset; the faces it holds are inlined)."""
        def href(target: str) -> str:
            if target.startswith("section:"):
                target = target[8:]
            return "#" + (target if target.startswith("index-") else H.anchor(target))

        parts = self.cover_and_contents(pages, index_pages, href)
        for f in self.edition.fiches:
            if f.id in blank_before:
                parts.append(Markup('<div class="blank-page"></div>'))
            parts.append(self.article(f))
        parts += self.index_parts(pages, href)
        design = self.layout.design
        faces = [f for f in design.all_faces() if f.key in font_data]
        fonts = H.font_faces_css(lambda face: H.data_url(font_data[face.key], "font/ttf"), design, faces)
        return H.document_html(self.ctx, parts, css=fonts + "\n" + self.css, dates=dates)


__all__ = ["BookletHtml", "stylesheet"]
