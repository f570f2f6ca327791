"""The naive baseline: booklet.html rendered as one WeasyPrint document.

Recueil never renders a whole edition as one document (it grows superlinearly in time
and memory: see the README's Performance section); the benchmark compares the booklet
with this, and a test checks that booklet.html paginates as the booklet does.
"""

from __future__ import annotations

import hashlib

from generator.context import BuildContext
from generator.model import Edition
from generator.render import html as H
from generator.render.booklet import BookletInfo, booklet_html


def render_single(edition: Edition, layout, ctx: BuildContext, **write_pdf_options) -> BookletInfo:
    """booklet.html rendered as one WeasyPrint document into ctx.stage's booklet.pdf
    (`write_pdf_options` go to WeasyPrint's write_pdf). Raises RuntimeError if the
    single document does not paginate as the booklet's plan says."""
    import weasyprint

    from generator.render.fetcher import fetcher_for

    html, booklet = booklet_html(edition, layout, ctx)
    ctx.stage.path("booklet.html").write_text(html, encoding="utf-8")
    fetcher = fetcher_for(ctx.fetch, ctx.warn)
    document = weasyprint.HTML(string=html, base_url=ctx.out.resolve().as_uri() + "/", url_fetcher=fetcher).render()
    found = {}
    for number, page in enumerate(document.pages, 1):
        for name in page.anchors:
            found.setdefault(name, number)
    for f in edition.fiches:
        if found.get(H.anchor(f.id)) != booklet.pages[f.id][0]:
            raise RuntimeError(f"single-document render puts {f.id} on page {found.get(H.anchor(f.id))}, "
                               f"not {booklet.pages[f.id][0]}")
    options = {"pdf_identifier": hashlib.sha256(html.encode()).hexdigest()[:32].encode(), **write_pdf_options}
    document.write_pdf(ctx.stage.path("booklet.pdf"), **options)
    return booklet
