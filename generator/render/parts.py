"""Rendering one part of the booklet (a fiche, the front matter, the indexes, page
furniture) as an independent WeasyPrint document, in a worker process or not.

Why parts: WeasyPrint's time and memory grow faster than the page count on one big
document; many small documents, laid out in parallel, grow linearly (issue 6).

Each part comes back "font-stripped": its font programs are replaced by a mark naming
the font file (by sha256) they were cut from, one of the edition's own subsets
(generator.fonts.subset_font). The booklet then embeds each face once.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import weasyprint

from generator.fetcher import make_fetcher

MARK = "/RecueilFont"  # stands for a font program: the sha256 of the font file

# A fiche part is the fiche alone: running heads, folios and crop marks are drawn by the
# furniture part and laid under it, so that the fiche's layout never depends on the page
# number it lands on. !important wins over every @page rule of any layout.
_BOXES = ("top-left-corner", "top-left", "top-center", "top-right", "top-right-corner",
          "bottom-left-corner", "bottom-left", "bottom-center", "bottom-right", "bottom-right-corner",
          "left-top", "left-middle", "left-bottom", "right-top", "right-middle", "right-bottom")
CONTENT_ONLY_CSS = "@page { marks: none !important; %s }" % " ".join(
    "@%s { content: none !important; }" % box for box in _BOXES)
# And the furniture part is the page alone: no crop marks twice.
FURNITURE_CSS = "@page { marks: none !important; }"


def offset_css(first_page: int) -> str:
    """CSS that makes a part's first page number `first_page`, on the matching side."""
    side = "right" if first_page % 2 else "left"
    return "html { break-before: %s; } @page :first { counter-reset: page %d; }" % (side, first_page)


@dataclass(frozen=True)
class FetchSpec:
    """How a worker rebuilds the safe fetcher (a fetcher cannot cross processes)."""

    project_root: Path
    extra_roots: tuple[Path, ...]
    allow_remote: bool

    def make(self, warnings: list[str]):
        return make_fetcher(self.project_root, list(self.extra_roots), allow_remote=self.allow_remote,
                            warn=warnings.append)


@dataclass
class Part:
    pdf: bytes  # font-stripped PDF
    pages: int
    anchors: dict[str, int] = field(default_factory=dict)  # HTML id -> 0-based page in the part
    warnings: list[str] = field(default_factory=list)


PART_PDF_OPTIONS = {"pdf_identifier": b"recueil-part", "uncompressed_pdf": True}


# Per worker process: one font configuration (registering the @font-face fonts costs as
# much as laying out a short fiche) and the shared stylesheet parsed once.
_font_config = None
_stylesheets: dict[str, weasyprint.CSS] = {}


def _shared_stylesheet(css: str, base_url: str, fetcher) -> tuple[object, list]:
    global _font_config
    from weasyprint.text.fonts import FontConfiguration

    if _font_config is None:
        _font_config = FontConfiguration()
    key = hashlib.sha256((base_url + "\0" + css).encode()).hexdigest()
    if key not in _stylesheets:
        if len(_stylesheets) > 8:
            _stylesheets.clear()
        _stylesheets[key] = weasyprint.CSS(string=css, base_url=base_url, url_fetcher=fetcher, font_config=_font_config)
    return _font_config, [_stylesheets[key]]


def render_part(html: str, base_url: str, fetch: FetchSpec, anchors: tuple[str, ...] = (),
                pdf_options: dict | None = None, stylesheet: str = "") -> Part:
    """Lay out and write one part; `anchors` are the HTML ids whose page is wanted.

    `stylesheet` is the CSS every part shares (fonts, layout): parsed once per process
    and applied after the document's own <style>, which holds only what is particular
    to the part."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")  # fontTools stamps subsets otherwise
    warnings: list[str] = []
    fetcher = fetch.make(warnings)
    font_config, stylesheets = _shared_stylesheet(stylesheet, base_url, fetcher) if stylesheet else (None, [])
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
        stylesheets=stylesheets, font_config=font_config)
    found = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            if name in anchors and name not in found:
                found[name] = number
    # Uncompressed: the streams are compressed once, in the booklet.
    raw = document.write_pdf(**{**PART_PDF_OPTIONS, **(pdf_options or {})})
    return Part(strip_fonts(raw, _face_digests(document)), len(document.pages), found, warnings)


def render_fiche_pdf(fiche_id: str, html: str, base_url: str, fetch: FetchSpec,
                     pdf_options: dict | None = None, stylesheet: str = "") -> tuple[Part, str]:
    """One fiche, alone, without page furniture: (the part, fiche_id).

    The start page is deliberately not an input: the result depends on `html` only (and
    the fonts and stylesheets it names), so a cache keyed by a hash of the HTML can
    reuse it wherever the fiche lands in the booklet."""
    return render_part(html, base_url, fetch, pdf_options=pdf_options, stylesheet=stylesheet), fiche_id


def _face_digests(document) -> dict[str, str]:
    """PDF font name -> sha256 of the font file it was made from.

    WeasyPrint subsets each font per document but keeps glyph ids (HarfBuzz's
    RETAIN_GIDS), so the whole file it started from, the edition's subset, can stand in
    for any of its per-part subsets: widths and ToUnicode stay those of the part."""
    out = {}
    try:
        from weasyprint.text.fonts import get_hb_object_data

        for font in document.fonts.values():
            data = get_hb_object_data(font.hb_face)
            out[font.name.decode("latin-1").lstrip("/")] = hashlib.sha256(data).hexdigest()
    except Exception:  # another WeasyPrint: keep each part's own font programs
        return {}
    return out


def strip_fonts(raw: bytes, faces: dict[str, str]) -> bytes:
    """Take the font programs out of a PDF: each FontFile stream whose font `faces`
    knows is emptied and marked with the sha256 of the file to put back."""
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != pikepdf.Name.FontDescriptor:
                continue
            digest = faces.get(str(obj.get("/FontName", "")).lstrip("/"))
            if digest is None:
                continue
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in obj:
                    obj[key] = pdf.make_indirect(pikepdf.Dictionary({MARK: pikepdf.String(digest)}))
        out = io.BytesIO()
        pdf.save(out, compress_streams=False, deterministic_id=True)
    return out.getvalue()
