"""Handouts (`--format handouts`): one PDF per fiche, `fiches/ID.pdf`, at the edition's
page size (the design tokens' page_size, else publication.yaml's).

A trainer prints a single fiche on an office printer, often in black and white: the
`handout` layout favours legibility (larger body, wider leading, one column, black on
white), numbers its own pages « 1 / 2 », names the publication in the footer and, when
the fiche has a source, prints a QR code to it with the address written out beside it.

The Markdown tree becomes HTML through render/html.py, as in the booklet: one
converter, the same sanitising. Handouts are rendered by the build's workers (WeasyPrint
is single-threaded and a catalogue has hundreds of fiches) as render/weasy.py jobs, and
cached like the booklet's parts; each file's bytes depend only on its inputs: the /ID is
a hash of the HTML, and dates come from the build's date.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
from pathlib import Path

from markupsafe import Markup

from generator.context import BuildContext
from generator.model import Edition, Fiche
from generator.paths import builtin_fonts
from generator.read.markdown import SAFE_SCHEMES
from generator.render.booklet.parts import Parts
from generator.render.weasy import PdfJob

TEMPLATE = "handout.html"
STYLESHEET = "handout.css"


def font_faces_css(design=None) -> str:
    """@font-face rules for the edition's faces and the fallback only: a handout never
    uses a system font."""
    from generator.render.html import font_faces_css as faces

    fonts = builtin_fonts()
    if design is None:
        return faces(lambda face: (fonts / face.file).as_uri())
    return faces(lambda face: face.path.as_uri(), design)


def _safe_href(url: str | None) -> str | None:
    # The schema checks `source` and `contact.url`; links are checked here again since a
    # `javascript:` href would reach the PDF as an action.
    return url if url and url.strip().lower().startswith(SAFE_SCHEMES) else None


def _qr(url: str) -> Markup:
    from generator.render.html import qr_svg  # the booklet's QR: same code everywhere

    return qr_svg(url, dark="#000000")  # pure black: the best contrast for a phone camera


def handout_html(fiche: Fiche, edition: Edition, layout, date: str) -> str:
    """The HTML of one handout, from the layout's handout.html."""
    from generator.render.html import (
        body_html,  # the one Markdown → HTML converter
        online_url,  # the web page when base_url is given
    )

    pub = edition.publication
    labels = layout.labels(pub.lang.split("-")[0])

    def here(path: Path) -> str:
        # Relative to the fiche, the document's base URL: the HTML, hence the handout's
        # /ID, is the same wherever the project lies.
        return urllib.parse.quote(Path(os.path.relpath(path, fiche.path.parent)).as_posix())

    source = _safe_href(online_url(fiche, pub))
    template = layout.env.get_template(TEMPLATE)
    return template.render(
        fiche=fiche,
        publication=pub,
        labels=labels,
        lang=pub.lang,
        body=Markup(body_html(fiche.body, here)),
        qr=_qr(source) if source else None,
        source_href=source,
        contact_href=_safe_href(fiche.contact.url) if fiche.contact else None,
        image_src=here(fiche.image.path) if fiche.image else None,
        date=date,
    )


def handout_job(fiche: Fiche, edition: Edition, layout, ctx: BuildContext) -> PdfJob:
    """The render of one handout: its HTML, the edition's fonts, the design tokens and
    the layout's handout.css, PDF/UA-1, with an /ID made from its content."""
    html = handout_html(fiche, edition, layout, ctx.iso_date())
    css_path = layout.file(STYLESHEET)
    # @font-face rules only count when they and the document share a font
    # configuration: they go in the shared stylesheet, never a system font.
    css = (font_faces_css(layout.design) + "\n" + layout.design.variables_css() + "\n"
           + (css_path.read_text(encoding="utf-8") if css_path is not None else ""))
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    # Tagged and finished as PDF/UA-1 in the worker (tags/ua.py): the folio and the
    # running title become artifacts, so does the QR code (its address is printed beside
    # it), and a fiche in a language of its own says so on its Art.
    own = fiche.lang if fiche.lang and fiche.lang != edition.publication.lang else None
    return PdfJob(html, fiche.path.parent.as_uri() + "/", ctx.fetch, stylesheet=css,
                  pdf_options=(("pdf_identifier", identifier),), tags="document", lang=own)


def render_handouts(edition: Edition, layout, ctx: BuildContext) -> list[str]:
    """Write `fiches/ID.pdf` for every fiche of the edition into the staging folder;
    return the paths written, relative to the output folder. A handout whose inputs
    did not change since an earlier build comes from the cache."""
    from generator import progress

    fiches = edition.fiches
    parts = Parts(ctx)
    advance = progress.task("handouts", len(fiches))
    futures = [parts.get(handout_job(f, edition, layout, ctx), advance) for f in fiches]
    written = []
    for fiche, future in zip(fiches, futures):
        rendered = future.result()
        rel = f"fiches/{fiche.id}.pdf"
        ctx.stage.path(rel).parent.mkdir(parents=True, exist_ok=True)
        ctx.stage.path(rel).write_bytes(rendered.pdf)
        written.append(rel)
        for message in rendered.warnings:
            ctx.warn(message, fiche.rel)
    return written


__all__ = ["render_handouts", "handout_job", "handout_html", "font_faces_css"]
