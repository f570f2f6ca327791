"""What each region of the booklet is, in its structure tree.

A role takes the top-level elements of one region (consecutive pages of one label, in
page order; WeasyPrint makes one element per page for a box split across pages) and
returns the elements that stand for it in the booklet's /Document. The roles know the
brochure's templates (layouts/brochure/*.html): which HTML makes which WeasyPrint
elements. A layout whose templates differ still gets a valid tree, only a plainer one:
a role that does not find what it expects leaves the elements as they are.

  cover       as WeasyPrint tags it (a Sect: publisher, title, subtitle, themes)
  contents    a Sect holding its heading and one TOC; each line a TOCI whose Reference
              holds the Link (title, then page number, in reading order)
  fiche       one Art per fiche, its footnotes as Notes where the page prints them
  index       an Index; each page number's Link inside a Reference
  colophon    its <dl> as a list whose items are a term (Lbl) and its text (LBody)
"""

from __future__ import annotations

from typing import Callable

import pikepdf
from pikepdf import Dictionary, Name

from generator.render.tags.elements import (
    adopt,
    is_elem,
    kids,
    new_elem,
    same,
    set_kids,
    walk,
)

# Elements that a page break splits in two when their box is split: the second page's
# piece starts with the continuation of the first page's last one. Paragraphs and list
# items are left apart: a page that ends with one and a page that starts with the next
# look just the same, and reading two paragraphs for one loses nothing.
_CONTAINERS = {"/Art", "/Div", "/Sect", "/NonStruct", "/Part", "/L", "/BlockQuote", "/Index", "/TOC"}


def _continue(dst: Dictionary, items: list, pg) -> None:
    """Append `items` (the kids of dst's piece on page `pg`) to dst, joining the chain of
    containers split at the page boundary: dst's last kid and the first item, if they
    are the same container on two pages, are one box."""
    current = kids(dst)
    # The previous page's notes (fiche_role) come after its text: look past them.
    last = len(current) - 1
    while last >= 0 and is_elem(current[last]) and str(current[last].S) == "/Note":
        last -= 1
    if (last >= 0 and items and is_elem(current[last]) and is_elem(items[0])
            and str(current[last].S) == str(items[0].S) in _CONTAINERS
            and not same(current[last].get("/Pg"), items[0].get("/Pg"))):
        _continue(current[last], kids(items[0]), items[0].get("/Pg"))
        items = items[1:]
    adopt(dst, items, pg)


def _merge_pages(pdf: pikepdf.Pdf, elems: list[Dictionary]) -> Dictionary:
    """The page-by-page pieces of one element, as one: the first, holding all the kids."""
    first = elems[0]
    for other in elems[1:]:
        _continue(first, kids(other), other.get("/Pg"))
    return first


def fiche_role(pdf: pikepdf.Pdf, elems: list[Dictionary]) -> list[Dictionary]:
    """One Art per fiche. A fiche page's other top-level elements are its footnote area
    (WeasyPrint lays it out beside the page's content): each note becomes a Note, read
    where the page prints it, at the end of that page's part of the Art."""
    art = next((e for e in elems if str(e.S) == "/Art"), None)
    if art is None:
        return elems
    for e in elems:
        if e.objgen == art.objgen:
            continue
        if str(e.S) == "/Art":
            _continue(art, kids(e), e.get("/Pg"))
        else:
            notes = []
            for k in kids(e):
                if is_elem(k):
                    k.S = Name.Note
                    notes.append(k)
                else:
                    notes.append(new_elem(pdf, "/Note", e.get("/Pg"), [k]))
            adopt(art, notes, e.get("/Pg"))
    return [art]


def contents_role(pdf: pikepdf.Pdf, elems: list[Dictionary]) -> list[Dictionary]:
    """The contents (<nav>: NonStruct) as a Sect holding its heading and one TOC: each
    row a TOCI whose Reference holds the Link (an <li><a>: LI > LBody > Link)."""
    nav = _merge_pages(pdf, elems)
    nav.S = Name.Sect
    for e in walk(nav):
        s = str(e.S)
        if s == "/L":
            e.S = Name.TOC
        elif s == "/LI":
            e.S = Name.TOCI
        elif s == "/LBody":
            e.S = Name.Reference
    return [nav]


def index_role(pdf: pikepdf.Pdf, elems: list[Dictionary]) -> list[Dictionary]:
    """An index (<section>: Sect) as an Index; each page number's Link in a Reference."""
    index = _merge_pages(pdf, elems)
    index.S = Name.Index
    for e in list(walk(index)):
        new, changed = [], False
        for k in kids(e):
            if is_elem(k) and str(k.S) == "/Link" and str(e.S) != "/Reference":
                new.append(new_elem(pdf, "/Reference", k.get("/Pg"), [k]))
                changed = True
            else:
                new.append(k)
        if changed:
            set_kids(e, new)
    return [index]


def colophon_role(pdf: pikepdf.Pdf, elems: list[Dictionary]) -> list[Dictionary]:
    """The colophon's <dl>: WeasyPrint makes each <dt> and each <dd> an LI of its own
    (LI > LBody); here each term and its description are one LI, the term its Lbl."""
    colophon = _merge_pages(pdf, elems)
    for e in walk(colophon):
        items = kids(e)
        if str(e.S) != "/L" or len(items) % 2 or not all(_is_plain_item(i) for i in items):
            continue
        pairs = []
        for term, desc in zip(items[::2], items[1::2]):
            label, body = kids(term)[0], kids(desc)[0]
            label.S = Name.Lbl
            set_kids(term, [label, body])
            pairs.append(term)
        set_kids(e, pairs)
    return [colophon]


def _is_plain_item(k) -> bool:
    return is_elem(k) and str(k.S) == "/LI" and len(kids(k)) == 1 and str(kids(k)[0].S) == "/LBody"


BOOKLET_ROLES: dict[str, Callable] = {
    "fiche": fiche_role,
    "contents": contents_role,
    "index": index_role,
    "colophon": colophon_role,
}


def regions_from_anchors(pages: int, anchors: dict[str, int], first: str | None) -> list[str | None]:
    """Labels of a part's pages from the pages its anchors fall on: each page belongs to
    the last anchor at or before it (`first` before any)."""
    at = sorted((page, name) for name, page in anchors.items())
    labels, current, k = [], first, 0
    for n in range(pages):
        while k < len(at) and at[k][0] <= n:
            current = at[k][1]
            k += 1
        labels.append(current)
    return labels


__all__ = ["BOOKLET_ROLES", "regions_from_anchors", "fiche_role", "contents_role", "index_role", "colophon_role"]
