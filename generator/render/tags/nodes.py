"""A structure tree as plain data, from WeasyPrint's render to the booklet's file.

Copying the parts' element objects into the booklet (pikepdf's copy_foreign) kept two
copies of every element in memory, the part's and the booklet's (some 35 MiB at 150
fiches), and numbering the tree read every element back through QPDF. So the tree is
data as soon as it is read back from the render WeasyPrint wrote (`export`), tidied as
data (part.py), stored in the part as one compressed JSON stream (`store`); the
booklet's roles work on it, and append.py writes it as PDF syntax after the booklet.

A node is a list `[S, pg, attrs, kids]`:
  S      the structure type, "/P"
  pg     the page it is on: an index into its document's pages (a part's, then, once
         joined, the booklet's)
  attrs  the element's other entries (/A, /Alt, /ID, /Lang...), JSON-encoded (`_enc`)
  kids   in reading order: an int (marked content on the node's page), ["m", pg, mcid]
         (marked content on another page), ["a", pg, i] (the i-th annotation of page
         pg: a link), or a node
"""

from __future__ import annotations

import json
import re
import zlib
from decimal import Decimal

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from generator.render.tags.elements import is_elem, kids

S, PG, ATTRS, KIDS = 0, 1, 2, 3
_STRUCTURE = {"/Type", "/S", "/K", "/P", "/Pg"}  # what the node's shape says already
KEY = "/RecueilTree"  # where a part keeps its exported tree


def is_node(k) -> bool:
    """A node, not marked content (an int) nor a reference (["m", ...], ["a", ...])."""
    return type(k) is list and k[0][0] == "/"


def new(s: str, pg: int, kids_: list | None = None, attrs: dict | None = None) -> list:
    return [s, pg, attrs or {}, kids_ or []]


def walk(node: list):
    """node and the nodes below it, depth first in reading order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed([k for k in n[KIDS] if type(k) is list and k[0][0] == "/"]))


def adopt(dst: list, items: list, src_pg: int) -> None:
    """Append `items`, kids of a node on page `src_pg`, to dst's kids: marked content
    of another page than dst's becomes a reference naming its page."""
    pg = dst[PG]
    dst[KIDS].extend(["m", src_pg, k] if isinstance(k, int) and src_pg != pg else k for k in items)


# --- from a tidied render --------------------------------------------------------------

def export(pdf: pikepdf.Pdf, tops: list[Dictionary]) -> list:
    """The tree under `tops` (pikepdf elements of `pdf`) as nodes."""
    pages = {p.obj.objgen: n for n, p in enumerate(pdf.pages)}
    annots = {a.objgen: [n, i] for n, p in enumerate(pdf.pages)
              for i, a in enumerate(p.obj.get("/Annots") or []) if isinstance(a, Dictionary)}

    def node(e: Dictionary, pg: int) -> list:
        pg = pages.get(e.Pg.objgen, pg) if "/Pg" in e else pg
        attrs = {k: _enc(v) for k, v in e.items() if k not in _STRUCTURE}
        out = []
        for k in kids(e):
            if isinstance(k, int):
                out.append(int(k))
            elif is_elem(k):
                out.append(node(k, pg))
            elif "/Obj" in k:
                where = annots.get(k.Obj.objgen)
                if where is not None:  # an annotation no page holds: gone
                    out.append(["a", *where])
            elif "/MCID" in k:
                out.append(["m", pages.get(k.Pg.objgen, pg) if "/Pg" in k else pg, int(k.MCID)])
        return [str(e.S), pg, attrs, out]

    return [node(t, 0) for t in tops]


_MCID = re.compile(rb"(<<\s*/MCID\s+)(\d+)(\s*>>\s*BDC)")


def compact(pdf: pikepdf.Pdf, tops: list) -> None:
    """Each page's marked-content ids numbered 0, 1, 2... in the order they are drawn.
    What became artifacts (running heads, the contents' dots: forty a line) left gaps,
    and the ParentTree holds an entry for every id up to a page's last: a booklet would
    carry tens of thousands of nulls (some 300 bytes each in QPDF at assembly).

    (Joining the marked content of one element's consecutive text boxes into one
    sequence was tried and left: WeasyPrint draws a line's closing space nowhere, so the
    text read from a joined paragraph runs the last word of a line into the next one's
    first, « enrégion ».)"""
    renumbered: dict[tuple[int, int], int] = {}
    for pg, page in enumerate(pdf.pages):
        data = _content(page.obj)
        if data is None or b"MCID" not in data:
            continue
        order: dict[int, int] = {}

        def number(m: re.Match) -> bytes:
            new = order.setdefault(int(m.group(2)), len(order))
            return m.group(1) + str(new).encode() + m.group(3)

        new_data = _MCID.sub(number, data)
        if any(old != new for old, new in order.items()):
            page.obj.Contents = pdf.make_stream(new_data)
            renumbered.update({(pg, old): new for old, new in order.items() if old != new})
    if not renumbered:
        return
    for top in tops:
        for n in walk(top):
            pg = n[PG]
            n[KIDS] = [renumbered.get((pg, k), k) if isinstance(k, int)
                       else ["m", k[1], renumbered.get((k[1], k[2]), k[2])] if isinstance(k, list) and k[0] == "m"
                       else k for k in n[KIDS]]


def _content(page) -> bytes | None:
    contents = page.get("/Contents")
    if isinstance(contents, Array):
        return b"\n".join(s.read_bytes() for s in contents)
    return None if contents is None else contents.read_bytes()


def store(pdf: pikepdf.Pdf, tops: list) -> None:
    """The exported tree kept in the part, the part's own tree dropped: its element
    objects are no longer written, its pages and annotations no longer numbered."""
    root = pdf.Root
    if "/StructTreeRoot" in root:
        del root["/StructTreeRoot"]
    for page in pdf.pages:
        if "/StructParents" in page.obj:
            del page.obj["/StructParents"]
        for a in page.obj.get("/Annots") or []:
            if isinstance(a, Dictionary) and "/StructParent" in a:
                del a["/StructParent"]
    data = json.dumps(tops, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    stream = pikepdf.Stream(pdf, b"")
    stream.write(zlib.compress(data, 6), filter=Name.FlateDecode)
    root[KEY] = stream


def load(pdf: pikepdf.Pdf) -> list | None:
    """The tree a part stored, or None (an untagged part)."""
    stream = pdf.Root.get(KEY)
    return None if stream is None else json.loads(stream.read_bytes())


# --- attribute values ------------------------------------------------------------------

def _enc(v):
    """A pikepdf value as JSON: names {"n": "/X"}, dictionaries {"d": {...}}."""
    if isinstance(v, Name):
        return {"n": str(v)}
    if isinstance(v, String):
        return str(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float, Decimal)):
        return int(v) if float(v) == int(v) else float(v)
    if isinstance(v, Array):
        return [_enc(x) for x in v]
    if isinstance(v, Dictionary):
        return {"d": {k: _enc(x) for k, x in v.items()}}
    return str(v)
