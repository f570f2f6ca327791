"""WeasyPrint's structure tree taken as nodes (nodes.py) while it writes a PDF, instead
of written into the PDF.

WeasyPrint tags a document at the end of `write_pdf` (weasyprint/pdf/tags.py,
`add_tags`): it builds a pydyf object for every element, writes them all, and Recueil
then read them back through QPDF to tidy them, only to drop them from the part. For a
run of three fiches that was a quarter of what tagging cost a worker. `capturing()`
replaces `add_tags` for the length of one `write_pdf`: WeasyPrint's own box walk
(`_build_box_tree`, the same elements, the same marked-content ids, drawn the same) is
run against a stand-in for the PDF that keeps the elements apart, and they become nodes
at once; nothing of the tree is written. Pages and annotations are the PDF's own.

It leans on WeasyPrint's internals (a private function and how it calls the PDF). If
they are not what it expects, `capturing()` yields None and WeasyPrint tags the PDF as
it always does: part.written_tree reads that tree back instead, slower, the same nodes.
"""

from __future__ import annotations

from contextlib import contextmanager

_result: list = []  # what the stand-in add_tags made during the current write_pdf


class _Stand:
    """What `_build_box_tree` asks of the PDF: a place for objects, the pages' references.
    Its objects are numbered on their own (they are never written; a table header's ID
    is made of its table's number)."""

    def __init__(self, pdf):
        self.page_references = pdf.page_references  # a property WeasyPrint recomputes at every call
        self.objects: dict[bytes, object] = {}
        self.number = 0

    def add_object(self, obj) -> None:
        self.number += 1
        obj.number = self.number
        self.objects[obj.reference] = obj


def _add_tags(pdf, document, pdf_version, page_streams) -> None:
    """The stand-in for weasyprint.pdf.add_tags: the tree as nodes, and the orphan
    marked-content ids of each page (margin boxes: elements linked nowhere)."""
    import pydyf
    from weasyprint.pdf import tags

    stand = _Stand(pdf)
    top = pydyf.Dictionary({"Type": "/StructElem", "S": "/Document", "K": pydyf.Array()})
    stand.add_object(top)
    annotations: list = []
    claims: list[dict] = []
    for page_number, (page, stream) in enumerate(zip(document.pages, page_streams)):
        nums: dict = {}
        for element in tags._build_box_tree(page._page_box, top, stand, page_number, nums, annotations,
                                            stream._tags):
            top["K"].append(element.reference)
        claims.append(nums)
    pages = {ref: i for i, ref in enumerate(stand.page_references)}
    annots = {}
    for i, ref in enumerate(stand.page_references):
        page = pdf.objects[int(ref.split()[0])]
        for j, annot in enumerate(page.get("Annots") or []):
            annots[annot if isinstance(annot, bytes) else annot.reference] = [i, j]
    held: set = set()
    tops = [_node(stand.objects[ref], stand, pages, annots, held) for ref in top["K"]]
    orphans: dict[int, set[int]] = {}
    for page_number, nums in enumerate(claims):
        lost = {mcid for mcid, ref in nums.items() if ref not in held}
        if lost:
            orphans[page_number] = lost
    _result.append((tops, orphans))


def _node(element, stand: _Stand, pages: dict, annots: dict, held: set) -> list:
    held.add(element.reference)
    pg = pages[element["Pg"]]
    attrs = {"/" + key: _enc(value) for key, value in element.items()
             if key not in ("Type", "S", "K", "P", "Pg")}
    out = []
    for k in element["K"]:
        if isinstance(k, int):
            out.append(k)
            continue
        child = stand.objects[k]
        if child.get("Type") == "/OBJR":
            where = annots.get(child["Obj"])
            if where is not None:
                out.append(["a", *where])
        else:
            out.append(_node(child, stand, pages, annots, held))
    return [element["S"], pg, attrs, out]


def _enc(v):
    """A pydyf value as nodes encode attributes (nodes._enc): names are str with "/"."""
    import pydyf

    if isinstance(v, pydyf.String):
        return str(v.string)
    if isinstance(v, str):
        return {"n": v} if v.startswith("/") else v
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return int(v) if float(v) == int(v) else float(v)
    if isinstance(v, dict):
        return {"d": {"/" + k: _enc(x) for k, x in v.items()}}
    if isinstance(v, (list, tuple)):
        return [_enc(x) for x in v]
    return str(v)


@contextmanager
def capturing():
    """For one write_pdf(pdf_tags=True): yields a function that gives (tops, orphans)
    once it is written, or None when WeasyPrint's internals are not what this expects."""
    try:
        import weasyprint.pdf as weasy_pdf
        from weasyprint.pdf import tags

        if not hasattr(tags, "_build_box_tree") or getattr(weasy_pdf, "add_tags", None) is not tags.add_tags:
            raise AttributeError
    except (ImportError, AttributeError):
        yield None
        return
    _result.clear()
    weasy_pdf.add_tags = _add_tags
    try:
        yield lambda: _result[-1] if _result else None
    finally:
        weasy_pdf.add_tags = tags.add_tags
        _result.clear()
