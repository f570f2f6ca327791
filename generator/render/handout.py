"""Handouts (`--format handouts`): one A4 PDF per fiche, `fiches/ID.pdf`.

A trainer prints a single fiche on an office printer, often in black and white: the
`handout` layout favours legibility (larger body, wider leading, one column, black on
white), numbers its own pages « 1 / 2 », names the publication in the footer and, when
the fiche has a source, prints a QR code to it with the address written out beside it.

The Markdown tree becomes HTML through render/html.py, as in the booklet: one
converter, the same sanitising. Fiches are rendered in worker processes (WeasyPrint is
single-threaded and a catalogue has hundreds of fiches); each file's bytes depend only
on its inputs: the /ID is a hash of the HTML, and dates come from SOURCE_DATE_EPOCH or
the publication's date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import weasyprint
from markupsafe import Markup

from generator.model import Edition, Fiche
from generator.paths import builtin_fonts

TEMPLATE = "handout.html"
STYLESHEET = "handout.css"
_SAFE_HREF = ("http://", "https://", "mailto:")


def _build_date(edition: Edition) -> str:
    from generator.build import source_date_epoch  # the one place the build's date is made

    when = dt.datetime.fromtimestamp(source_date_epoch(edition.publication.date), dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def font_faces_css() -> str:
    """@font-face rules for the vendored fonts only: a handout never uses a system font."""
    from generator.render.html import font_faces_css as faces

    fonts = builtin_fonts()
    return faces(lambda face: (fonts / face.file).as_uri())


def _safe_href(url: str | None) -> str | None:
    # The schema checks `source` and `contact.url`; links are checked here again since a
    # `javascript:` href would reach the PDF as an action.
    return url if url and url.strip().lower().startswith(_SAFE_HREF) else None


def _qr(url: str) -> Markup:
    from generator.render.html import qr_svg  # the booklet's QR: same code everywhere

    return qr_svg(url, dark="#000000")  # pure black: the best contrast for a phone camera


def handout_html(fiche: Fiche, edition: Edition, layout) -> str:
    """The HTML of one handout, from the layout's handout.html."""
    from generator.render.html import body_html  # the one Markdown → HTML converter

    pub = edition.publication
    labels = layout.labels(pub.lang.split("-")[0])
    source = _safe_href(fiche.source)
    template = layout.env.get_template(TEMPLATE)
    return template.render(
        fiche=fiche,
        publication=pub,
        labels=labels,
        lang=pub.lang,
        body=Markup(body_html(fiche.body)),
        qr=_qr(source) if source else None,
        source_href=source,
        contact_href=_safe_href(fiche.contact.url) if fiche.contact else None,
        image_src=fiche.image.path.as_uri() if fiche.image else None,
        date=_build_date(edition),
    )


def render_handout(fiche: Fiche, edition: Edition, layout, fetcher) -> bytes:
    """The PDF of one handout, as bytes."""
    html = handout_html(fiche, edition, layout)
    css_path = layout.file(STYLESHEET)
    stylesheets = [weasyprint.CSS(string=font_faces_css(), url_fetcher=fetcher)]
    if css_path is not None:
        stylesheets.append(weasyprint.CSS(string=css_path.read_text(encoding="utf-8"),
                                          base_url=css_path.parent.as_uri() + "/", url_fetcher=fetcher))
    document = weasyprint.HTML(string=html, base_url=fiche.path.parent.as_uri() + "/", url_fetcher=fetcher)
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    return document.write_pdf(stylesheets=stylesheets, pdf_identifier=identifier, pdf_tags=True)


# Worker processes are forked with the job in this global: the edition, layout and
# fetcher are inherited, not pickled, and each worker sends back only bytes and warnings.
_JOB: dict = {}


def _render_one(index: int) -> tuple[str, bytes, list[str]]:
    edition, layout, fetcher = _JOB["edition"], _JOB["layout"], _JOB["fetcher"]
    warnings: list[str] = []
    parent_warn = getattr(fetcher, "_warn", None)
    if hasattr(fetcher, "_warn"):
        fetcher._warn = warnings.append  # the parent's report is out of reach: send them back
    try:
        fiche = edition.fiches[index]
        return fiche.id, render_handout(fiche, edition, layout, fetcher), warnings
    finally:
        if hasattr(fetcher, "_warn"):
            fetcher._warn = parent_warn


def render_handouts(edition: Edition, layout, stage, options, fetcher) -> list[str]:
    """Write `fiches/ID.pdf` for every fiche of the edition into the staging folder;
    return the paths written, relative to the output folder."""
    fiches = edition.fiches
    jobs = max(1, min(getattr(options, "jobs", None) or os.cpu_count() or 1, len(fiches)))
    written = []
    results: list[tuple[str, bytes, list[str]]]
    _JOB.update(edition=edition, layout=layout, fetcher=fetcher)
    try:
        if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
            results = [_render_one(i) for i in range(len(fiches))]
        else:
            with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                results = list(pool.map(_render_one, range(len(fiches)), chunksize=max(1, len(fiches) // (jobs * 4))))
    finally:
        _JOB.clear()
    warn = getattr(fetcher, "_warn", None)
    seen: set[str] = set()  # a refused URL shared by many fiches is reported once
    for fiche_id, data, warnings in results:
        rel = f"fiches/{fiche_id}.pdf"
        stage.path(rel).parent.mkdir(parents=True, exist_ok=True)
        stage.path(rel).write_bytes(data)
        written.append(rel)
        for message in warnings:
            if warn and message not in seen:
                seen.add(message)
                warn(message)
    return written


__all__ = ["render_handouts", "render_handout", "handout_html", "font_faces_css"]
