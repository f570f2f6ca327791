"""What PDF/UA-1 asks beyond the tree: the catalog and the XMP metadata; and a handout,
a document of its own, finished as PDF/UA-1 in its worker.

PDF/UA-1 (ISO 14289-1) is built on PDF 1.7: the catalog says /MarkInfo /Marked true,
/ViewerPreferences /DisplayDocTitle true (a reader shows the title, not the file name),
/Lang; the XMP metadata identifies the file as pdfuaid:part 1 and carries dc:title.
WeasyPrint writes that claim only with `pdf_variant="pdf/ua-1"`, which the booklet's
parts cannot use (a part is no document) and which would leave a handout's margin boxes
untagged: the claim is written here, for every PDF, once its tree is right.
"""

from __future__ import annotations

import pikepdf
from pikepdf import Dictionary

from generator.render.tags.content import to_artifacts
from generator.render.tags.nodes import ATTRS, S, compact
from generator.render.tags.part import tidy, written_tree
from generator.render.tags.roles import fiche_role
from generator.render.tags.tree import Pending, plan

PDF_VERSION = "1.7"  # PDF/UA-1 is ISO 32000-1


def mark_ua(pdf: pikepdf.Pdf, title: str | None = None) -> None:
    """The PDF/UA-1 claim in the catalog and the XMP metadata. The XMP is made from the
    document information (title, author, dates: they must say the same), without the
    editor stamp pikepdf would date with the clock."""
    pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    pdf.Root.MarkInfo = Dictionary(Marked=True)
    with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
        if "/Title" in pdf.docinfo or title:
            xmp.load_from_docinfo(pdf.docinfo)
        if title:
            xmp["dc:title"] = title
        lang = str(pdf.Root.get("/Lang", "")).strip()
        if lang:
            xmp["dc:language"] = [lang]
        xmp["pdfuaid:part"] = "1"


def finish_document(pdf: pikepdf.Pdf, lang: str | None = None) -> Pending:
    """A tagged WeasyPrint document (a handout) made PDF/UA-1: its tree (read back from
    the PDF) tidied (part.py: the folio and the running
    title are artifacts, the QR code too), its article one Art over its pages with its
    footnotes as Notes (roles.fiche_role), that Art in `lang` when the fiche has a
    language of its own, planned as the booklet's is (tree.plan) and the claim written.
    Save the document, then write the tree after it with the Pending this returns."""
    tops, orphans = written_tree(pdf)
    tops, artifacts = tidy(pdf, tops, orphans)
    for pg, page in enumerate(pdf.pages):
        to_artifacts(pdf, page.obj, artifacts.get(pg, set()))
    compact(pdf, tops)
    tops = fiche_role(tops)
    if lang:
        for top in tops:
            if top[S] == "/Art":
                top[ATTRS]["/Lang"] = lang
    pages = [p.obj for p in pdf.pages]
    annots = {(n, i): a for n, page in enumerate(pages) for i, a in enumerate(page.get("/Annots") or [])}
    pending = plan(pdf, tops, pages, annots)
    title = pdf.docinfo.get("/Title")
    mark_ua(pdf, str(title) if title is not None else None)
    return pending
