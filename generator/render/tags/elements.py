"""Small helpers on structure elements as pikepdf objects: what the tidy-up of a render
(part.py) and the export of its tree (nodes.py) work with.

An element's /K is one kid or an array of them; a kid is a marked-content id (an int,
"on the element's /Pg"), a marked-content reference (MCR: /Pg and /MCID), an object
reference (OBJR: an annotation) or another element.
"""

from __future__ import annotations

from typing import Iterable

import pikepdf
from pikepdf import Array, Dictionary, Name


def kids(e: Dictionary) -> list:
    """An element's /K as a list: MCIDs (int), MCR/OBJR dictionaries, elements."""
    k = e.get("/K")
    return [] if k is None else list(k) if isinstance(k, Array) else [k]


def is_elem(k) -> bool:
    return isinstance(k, Dictionary) and "/S" in k


def is_objr(k) -> bool:
    return isinstance(k, Dictionary) and k.get("/Type") == Name.OBJR


def is_mcr(k) -> bool:
    return isinstance(k, Dictionary) and "/MCID" in k and "/S" not in k


def same(a, b) -> bool:
    """The same indirect object (pages are compared so: a direct copy is never a page)."""
    return a is not None and b is not None and a.objgen == b.objgen


def new_elem(pdf: pikepdf.Pdf, s: str, pg, children: list) -> Dictionary:
    """A new indirect element of type `s` on page `pg` holding `children` (from `pg`)."""
    e = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name(s), K=Array([])))
    if pg is not None:
        e.Pg = pg
    adopt(e, children, pg)
    return e


def adopt(dst: Dictionary, items: list, src_pg, at: int | None = None) -> None:
    """Append (or insert at `at`) `items` to dst's kids. A bare MCID means "on the page
    of the element that holds it": moved to an element of another page, it becomes a
    marked-content reference naming its page. A moved element gets dst as its /P."""
    pg = dst.get("/Pg")
    moved = []
    for k in items:
        if isinstance(k, int):
            if src_pg is not None and not same(pg, src_pg):
                k = Dictionary(Type=Name.MCR, Pg=src_pg, MCID=k)
        elif "/S" in k:
            k.P = dst  # an element moved: its parent is its new holder
        moved.append(k)
    current = kids(dst)
    where = len(current) if at is None else at
    current[where:where] = moved
    dst.K = Array(current)


def set_kids(e: Dictionary, items: list) -> None:
    """e's kids become `items`; each element among them gets e as its /P (an element
    new or moved here; the one pass over the finished tree does not set /P again)."""
    for k in items:
        if not isinstance(k, int) and "/S" in k:
            k.P = e
    e.K = Array(items)


def marked(e: Dictionary, pg=None) -> Iterable[tuple[object, int]]:
    """(page, MCID) of the marked content of e and its descendants."""
    pg = e.get("/Pg", pg)
    for k in kids(e):
        if isinstance(k, int):
            yield pg, int(k)
        elif is_mcr(k):
            yield k.get("/Pg", pg), int(k.MCID)
        elif is_elem(k):
            yield from marked(k, pg)
