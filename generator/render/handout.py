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

import contextlib
import datetime as dt
import hashlib
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import weasyprint
from markupsafe import Markup
from weasyprint.text.fonts import FontConfiguration

from generator.render.faces import FACES
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
    from generator.render.html import online_url  # the web page when base_url is given

    pub = edition.publication
    labels = layout.labels(pub.lang.split("-")[0])
    source = _safe_href(online_url(fiche, pub))
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
    # @font-face rules only count when their stylesheet and the render share a font
    # configuration: without one, WeasyPrint silently takes the system's fonts.
    fonts = FontConfiguration()
    stylesheets = [weasyprint.CSS(string=font_faces_css(), url_fetcher=fetcher, font_config=fonts)]
    if css_path is not None:
        stylesheets.append(weasyprint.CSS(string=css_path.read_text(encoding="utf-8"), font_config=fonts,
                                          base_url=css_path.parent.as_uri() + "/", url_fetcher=fetcher))
    document = weasyprint.HTML(string=html, base_url=fiche.path.parent.as_uri() + "/", url_fetcher=fetcher)
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    return document.write_pdf(stylesheets=stylesheets, font_config=fonts, pdf_identifier=identifier, pdf_tags=True)


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


def _cache_key(fiche: Fiche, edition: Edition, layout, fetcher, digest) -> str | None:
    """A handout depends on its HTML, the handout stylesheet, the files they name (image,
    fonts) and the fetch rules, and on this code: bump "handout N" when it renders
    differently."""
    from weasyprint import __version__ as weasyprint_version

    from generator.cache import key

    html = handout_html(fiche, edition, layout)
    css_path = layout.file(STYLESHEET)
    css = css_path.read_text(encoding="utf-8") if css_path is not None else ""
    files = [fiche.image.path] if fiche.image else []
    files += [Path(n.attrs["path"]) for n in fiche.body.walk() if n.type == "image" and n.attrs.get("path")]
    files += [builtin_fonts() / face.file for face in FACES]
    files += [p for d in layout.dirs for p in sorted(Path(d).rglob("*")) if p.is_file()]  # CSS url()s too
    digests = [digest(path) for path in files]
    if None in digests or re.search(r"src=[\"']https?:", html) and getattr(fetcher, "allow_remote", False):
        return None  # a missing file, or a remote one a key cannot describe
    # The HTML keeps this machine's paths: the handout's /ID is a hash of that very HTML,
    # so the same project in another folder gives other bytes (and another key).
    return key("handout 2", weasyprint_version, html, css, digests, bool(getattr(fetcher, "allow_remote", False)))


def render_handouts(edition: Edition, layout, stage, options, fetcher) -> list[str]:
    """Write `fiches/ID.pdf` for every fiche of the edition into the staging folder;
    return the paths written, relative to the output folder. A handout whose inputs
    did not change since an earlier build comes from the cache (generator/cache.py)."""
    from generator import progress
    from generator.cache import Cache, FileDigests

    fiches = edition.fiches
    out = getattr(options, "out", None)
    cache = Cache.for_output(out, getattr(options, "cache", True)) if out else Cache(None)
    digest = FileDigests()
    keys = [_cache_key(f, edition, layout, fetcher, digest) if cache.enabled else None for f in fiches]
    results: list[tuple[str, bytes, list[str]] | None] = [None] * len(fiches)
    for i, k in enumerate(keys):
        found = cache.get("handout", k) if k else None
        if found is not None:
            results[i] = (fiches[i].id, found[0], list(found[1].get("warnings", [])))
    todo = [i for i, r in enumerate(results) if r is None]
    advance = progress.task("handouts", len(todo))
    jobs = max(1, min(getattr(options, "jobs", None) or os.cpu_count() or 1, len(todo)))
    written = []
    _JOB.update(edition=edition, layout=layout, fetcher=fetcher)
    try:
        with contextlib.ExitStack() as stack:
            if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
                done = map(_render_one, todo)
            else:
                pool = stack.enter_context(ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")))
                done = pool.map(_render_one, todo, chunksize=max(1, len(todo) // (jobs * 4)))
            for i, result in zip(todo, done):
                results[i] = result
                if keys[i]:
                    cache.put("handout", keys[i], result[1], {"warnings": result[2]})
                advance()
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
