"""What each region of the booklet is, in its structure tree.

A role takes the top-level nodes (nodes.py) of one region (consecutive pages of one
label, in page order; WeasyPrint makes one element per page for a box split across
pages) and returns the nodes that stand for it in the booklet's /Document. The roles
know the brochure's templates (layouts/brochure/*.html): which HTML makes which
WeasyPrint elements. A layout whose templates differ still gets a valid tree, only a
plainer one: a role that does not find what it expects leaves the nodes as they are.

  cover       as WeasyPrint tags it (a Sect: publisher, title, subtitle, themes)
  contents    a Sect holding its heading and one TOC; each line a TOCI whose Reference
              holds the Link (title), then the page number
  fiche       one Art per fiche, its footnotes as Notes where the page prints them
  index       an Index; each page number's Link inside a Reference
  colophon    its <dl> as a list whose items are a term (Lbl) and its text (LBody)
"""

from __future__ import annotations

from typing import Callable

from generator.render.tags.nodes import KIDS, PG, S, adopt, is_node, new, walk

# Elements that a page break splits in two when their box is split: the second page's
# piece starts with the continuation of the first page's last one. Paragraphs and list
# items are left apart: a page that ends with one and a page that starts with the next
# look just the same, and reading two paragraphs for one loses nothing.
_CONTAINERS = {"/Art", "/Div", "/Sect", "/NonStruct", "/Part", "/L", "/BlockQuote", "/Index", "/TOC"}


def _continue(dst: list, items: list, pg: int) -> None:
    """Append `items` (the kids of dst's piece on page `pg`) to dst, joining the chain of
    containers split at the page boundary: dst's last kid and the first item, if they
    are the same container on two pages, are one box."""
    current = dst[KIDS]
    # The previous page's notes (fiche_role) come after its text: look past them.
    last = len(current) - 1
    while last >= 0 and is_node(current[last]) and current[last][S] == "/Note":
        last -= 1
    if (last >= 0 and items and is_node(current[last]) and is_node(items[0])
            and current[last][S] == items[0][S] and items[0][S] in _CONTAINERS
            and current[last][PG] != items[0][PG]):
        _continue(current[last], items[0][KIDS], items[0][PG])
        items = items[1:]
    adopt(dst, items, pg)


def _merge_pages(elems: list[list]) -> list:
    """The page-by-page pieces of one element, as one: the first, holding all the kids."""
    first = elems[0]
    for other in elems[1:]:
        _continue(first, other[KIDS], other[PG])
    return first


def fiche_role(elems: list[list]) -> list[list]:
    """One Art per fiche. A fiche page's other top-level elements are its footnote area
    (WeasyPrint lays it out beside the page's content): each note becomes a Note, read
    where the page prints it, at the end of that page's part of the Art."""
    art = next((e for e in elems if e[S] == "/Art"), None)
    if art is None:
        return elems
    for e in elems:
        if e is art:
            continue
        if e[S] == "/Art":
            _continue(art, e[KIDS], e[PG])
        else:
            notes = []
            for k in e[KIDS]:
                if is_node(k):
                    k[S] = "/Note"
                    notes.append(k)
                else:
                    notes.append(new("/Note", e[PG], [k]))
            adopt(art, notes, e[PG])
    return [art]


def contents_role(elems: list[list]) -> list[list]:
    """The contents (<nav>: NonStruct) as a Sect holding its heading and one TOC: each
    row a TOCI whose Reference holds the Link (an <li><a>: LI > LBody > Link)."""
    nav = _merge_pages(elems)
    nav[S] = "/Sect"
    renamed = {"/L": "/TOC", "/LI": "/TOCI", "/LBody": "/Reference"}
    for e in walk(nav):
        e[S] = renamed.get(e[S], e[S])
    return [nav]


def index_role(elems: list[list]) -> list[list]:
    """An index (<section>: Sect) as an Index; each page number's Link in a Reference."""
    index = _merge_pages(elems)
    index[S] = "/Index"
    for e in list(walk(index)):
        if e[S] != "/Reference":
            e[KIDS] = [new("/Reference", k[PG], [k]) if is_node(k) and k[S] == "/Link" else k for k in e[KIDS]]
    return [index]


def colophon_role(elems: list[list]) -> list[list]:
    """The colophon's <dl>: WeasyPrint makes each <dt> and each <dd> an LI of its own
    (LI > LBody); here each term and its description are one LI, the term its Lbl."""
    colophon = _merge_pages(elems)
    for e in walk(colophon):
        items = e[KIDS]
        if e[S] != "/L" or len(items) % 2 or not all(_is_plain_item(i) for i in items):
            continue
        pairs = []
        for term, desc in zip(items[::2], items[1::2]):
            label, body = term[KIDS][0], desc[KIDS][0]
            label[S] = "/Lbl"
            term[KIDS] = [label, body]
            pairs.append(term)
        e[KIDS] = pairs
    return [colophon]


def _is_plain_item(k) -> bool:
    return is_node(k) and k[S] == "/LI" and len(k[KIDS]) == 1 and is_node(k[KIDS][0]) and k[KIDS][0][S] == "/LBody"


BOOKLET_ROLES: dict[str, Callable[[list[list]], list[list]]] = {
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
