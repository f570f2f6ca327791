"""What a worker does to one tagged WeasyPrint render, a booklet part or a handout, before
it is cached: the tidy-up that depends on the render alone. Done there, it runs in
parallel and is paid once per render, not at every assembly.

`tidy(pdf, id_prefix)` changes the tree in place:
  - margin boxes: WeasyPrint gives their text MCIDs and elements it never links into the
    tree. Those "orphan" MCIDs are running heads and folios (a handout's « 1 / 2 », the
    contents' and the indexes' folios): artifacts;
  - a Link inside a Link (an <a>'s ::after, the leader() in it) is one link: merged, its
    annotations overlapping on one line joined into one (one tab stop, not three), and
    what the pseudo-elements print only as dots and spaces (the leader) an artifact;
  - an L holds only LI and Caption, an LI only Lbl and LBody: the whitespace between
    inline list items (the chips) joins the neighbouring item;
  - a Figure without /Alt is decoration (a fiche's `decorative: true` image, written
    with alt="", and the QR code, whose address is printed beside it): its content
    becomes an artifact and the element goes;
  - a Span or NonStruct holding nothing but marked content (WeasyPrint wraps every text
    box in one) is folded into its parent: fewer elements, the same meaning, and much
    less for the booklet to copy;
  - TH cells get a /Scope; element IDs (WeasyPrint numbers table headers after its own
    object numbers, so two parts collide) get a prefix unique to the render.
It returns, per page, the MCIDs that must become artifacts; `finish_part` rewrites them
and exports the tree as data (nodes.py), which the booklet joins (tree.py).
"""

from __future__ import annotations

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from generator.render.tags.content import marked_texts, to_artifacts
from generator.render.tags.elements import (
    adopt,
    is_elem,
    is_objr,
    kids,
    marked,
    new_elem,
    same,
    set_kids,
)
from generator.render.tags.nodes import compact, export, store

# What a leader prints: dots and spaces of every width.
_FILLER = ". \u00a0\u2002\u2003\u2009\u202f\u2026\u00b7"
# Attributes that make a Span or NonStruct mean something.
_MEANINGFUL = frozenset(("/A", "/Alt", "/ActualText", "/E", "/Lang", "/ID", "/T", "/C"))
_MEANINGFUL_IN_LINK = _MEANINGFUL - {"/A"}
# What a link's inner boxes are tagged as when they only carry its text (a table cell's
# /A, its layout attributes, says nothing once the cell is part of a link's text).
_FLAT = {"/Link", "/Span", "/NonStruct", "/Div", "/P", "/Table", "/TR", "/TD", "/THead", "/TBody", "/TFoot"}


def top_elements(pdf: pikepdf.Pdf) -> list[Dictionary]:
    """The elements under the tree's /Document (or its own top elements)."""
    found = []
    for k in kids(pdf.Root.StructTreeRoot):
        if is_elem(k) and str(k.S) == "/Document":
            found += [c for c in kids(k) if is_elem(c)]
        elif is_elem(k):
            found.append(k)
    return found


def finish_part(pdf: pikepdf.Pdf, id_prefix: str) -> None:
    """A booklet part, tidied where it is rendered: the artifacts rewritten, then its
    tree exported as data and its element objects dropped (nodes.py: the booklet makes
    its own, once). `id_prefix` makes its element IDs unique in any booklet (a digest
    of the render)."""
    artifacts = tidy(pdf, id_prefix)
    for page in pdf.pages:
        to_artifacts(pdf, page.obj, artifacts.get(page.obj.objgen, set()))
    tops = export(pdf, top_elements(pdf))
    compact(pdf, tops)
    store(pdf, tops)


def tidy(pdf: pikepdf.Pdf, id_prefix: str = "") -> dict[tuple[int, int], set[int]]:
    """Tidy a WeasyPrint render's tree in place (see the module doc); returns, per page
    (its objgen), the MCIDs whose marked content must become an artifact. The render's
    ParentTree is left stale: whoever numbers the tree rebuilds it (tree.Numbering)."""
    root = pdf.Root.StructTreeRoot
    work = _Tidy(pdf, id_prefix)
    tops = top_elements(pdf)
    order = [e for top in tops for e in work.read(top)]
    # Orphans: MCIDs the ParentTree gives an element that the tree does not hold.
    parent_tree = root.get("/ParentTree")
    by_key = dict(pikepdf.NumberTree(parent_tree).items()) if parent_tree is not None else {}
    for page in pdf.pages:
        entries = by_key.get(int(page.obj.get("/StructParents", -1)))
        if isinstance(entries, Array):
            lost = {i for i, e in enumerate(entries) if not isinstance(e, Dictionary) or e.objgen not in work.kids}
            if lost:
                work.artifacts.setdefault(page.obj.objgen, set()).update(lost)
    # Children before parents (the reverse of a depth-first order): a parent sees its
    # children tidied. Nothing is folded into a top-level element: its children are what
    # the booklet's roles work with (a footnote area's Spans are its notes).
    top_level = {t.objgen for t in tops}
    for e in reversed(order):
        work.element(e, fold=e.objgen not in top_level)
    decorative = [t for t in tops if work.decorative(t)]
    if decorative:  # an image straight under <body>: the Document itself loses it
        document = next((k for k in kids(root) if is_elem(k) and str(k.S) == "/Document"), None)
        gone = {t.objgen for t in decorative}
        for t in decorative:
            work.to_artifact(t, None)
        if document is not None:
            set_kids(document, [k for k in kids(document) if not (is_elem(k) and k.objgen in gone)])
    work.drop_fillers()
    if work.dropped:
        for page in pdf.pages:
            if "/Annots" in page.obj:
                page.obj.Annots = Array([a for a in page.obj.Annots if a.objgen not in work.dropped])
    return work.artifacts


def _rect(annot: Dictionary) -> list[float]:
    x1, y1, x2, y2 = (float(v) for v in annot.Rect)
    return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]


def _overlap(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _target(annot: Dictionary) -> str:
    action = annot.get("/A")
    return repr(annot.get("/Dest")) + (repr(action.get("/URI")) if isinstance(action, Dictionary) else "")


class _Tidy:
    """The tidying of one render's tree; each element's /K and /S are read once (every
    read through pikepdf is a call into QPDF)."""

    def __init__(self, pdf: pikepdf.Pdf, id_prefix: str):
        self.pdf, self.prefix = pdf, id_prefix
        self.kids: dict[tuple[int, int], list] = {}  # objgen -> kids, as read or as changed
        self.type: dict[tuple[int, int], str] = {}
        self.artifacts: dict[tuple[int, int], set[int]] = {}
        self.generated: dict[tuple[int, int], list] = {}  # page -> (Link, MCID) of pseudo-elements
        self.dropped: set[tuple[int, int]] = set()  # annotations joined into another

    def read(self, top: Dictionary) -> list[Dictionary]:
        """The elements under top (included), depth first."""
        order, stack = [], [top]
        while stack:
            e = stack.pop()
            if e.objgen in self.kids:
                continue
            items = kids(e)
            self.kids[e.objgen], self.type[e.objgen] = items, str(e.S)
            order.append(e)
            stack.extend(reversed([k for k in items if not isinstance(k, int) and "/S" in k]))
        return order

    def s(self, e) -> str | None:
        """The type of an element read (None for marked content and references)."""
        return None if isinstance(e, int) else self.type.get(e.objgen)

    def set_kids(self, e: Dictionary, items: list) -> None:
        self.kids[e.objgen] = items
        set_kids(e, items)

    def new(self, s: str, pg, items: list) -> Dictionary:
        e = new_elem(self.pdf, s, pg, items)
        self.kids[e.objgen], self.type[e.objgen] = kids(e), s
        return e

    def decorative(self, e) -> bool:
        return self.s(e) == "/Figure" and not any(str(e.get(x, "")).strip() for x in ("/Alt", "/ActualText"))

    def to_artifact(self, e: Dictionary, pg) -> None:
        for page, mcid in marked(e, pg):
            if page is not None:
                self.artifacts.setdefault(page.objgen, set()).add(mcid)

    def element(self, e: Dictionary, fold: bool) -> None:
        s = self.type[e.objgen]
        if s == "/Link":
            self.flatten_links(e)
        elif s == "/L":
            self.fix_list(e)
        elif s == "/LI":
            self.fix_item(e)
        elif s == "/TR":
            self.scope_headers(e)
        if self.prefix and s in ("/TH", "/TD"):  # WeasyPrint gives IDs to header cells only
            if "/ID" in e:
                e.ID = String(self.prefix + str(e.ID))
            a = e.get("/A")
            if isinstance(a, Dictionary) and "/Headers" in a:
                a.Headers = Array([String(self.prefix + str(h)) for h in a.Headers])
        items, changed = [], False
        for k in self.kids[e.objgen]:
            ks = self.s(k)
            if ks == "/Figure" and self.decorative(k):
                self.to_artifact(k, e.get("/Pg"))
                changed = True
            elif ks in ("/Span", "/NonStruct") and fold and self.foldable(k, e):
                items.extend(self.kids[k.objgen])
                changed = True
            else:
                items.append(k)
        if changed:
            self.set_kids(e, items)

    def foldable(self, k: Dictionary, parent: Dictionary | None) -> bool:
        """A Span or NonStruct of bare MCIDs on its parent's page (None: the same page,
        known), saying nothing else."""
        return (all(isinstance(c, int) for c in self.kids[k.objgen]) and _MEANINGFUL.isdisjoint(k.keys())
                and (parent is None or "/Pg" not in k or same(k.get("/Pg"), parent.get("/Pg"))))

    def flatten_links(self, link: Dictionary) -> None:
        """WeasyPrint makes an <a>'s pseudo-elements (::after, a leader()) Links of their
        own, and every box inside an <a> that is not plain text (a table cell of the
        contents line, a leader) an element holding an annotation of its own: one link,
        one element holding its text and every annotation. What the inner boxes print
        is remembered: a leader's dots are read by drop_fillers. An element that means
        something of its own inside a link (an image, a word in another language) stays."""
        items = self.kids[link.objgen]
        if not any(self.s(k) is not None for k in items):
            return  # WeasyPrint's plain link: its text and its annotation
        pg = link.get("/Pg")
        content, objrs, inner = [], [], []

        def gather(kids_: list, where, nested: bool) -> None:
            for k in kids_:
                if isinstance(k, int):
                    if where is not pg and not same(where, pg):
                        content.append(Dictionary(Type=Name.MCR, Pg=where, MCID=k))
                        continue
                    content.append(k)
                    if nested:
                        inner.append(k)
                    continue
                s = self.type.get(k.objgen)
                if s in _FLAT and _MEANINGFUL_IN_LINK.isdisjoint(k.keys()):  # one call, not one a key
                    gather(self.kids[k.objgen], k.get("/Pg", where), True)
                elif is_objr(k):
                    objrs.append(k)
                else:
                    content.append(k)

        gather(items, pg, False)
        if inner:
            self.generated.setdefault(pg.objgen, []).extend((link, c) for c in inner)
        self.set_kids(link, content + objrs)
        self.join_annotations(link)

    def join_annotations(self, link: Dictionary) -> None:
        """The annotations of an <a> and of its pseudo-elements overlap on one line and go
        to one target: three tab stops for one link. Overlapping ones become one, over
        their union; a link broken across lines keeps one annotation per line."""
        kept: list[Dictionary] = []
        items = []
        for k in self.kids[link.objgen]:
            if is_objr(k):
                annot = k.Obj
                box = _rect(annot)
                into = next((o for o in kept if _target(o.Obj) == _target(annot) and _overlap(_rect(o.Obj), box)), None)
                if into is not None:
                    r = _rect(into.Obj)
                    into.Obj.Rect = Array([min(r[0], box[0]), min(r[1], box[1]), max(r[2], box[2]), max(r[3], box[3])])
                    self.dropped.add(annot.objgen)
                    continue
                kept.append(k)
            items.append(k)
        if len(items) != len(self.kids[link.objgen]):
            self.set_kids(link, items)

    def drop_fillers(self) -> None:
        """A link's generated content that prints only dots and spaces (the contents'
        leader, the thin spaces around it) is layout: an artifact, not read. It stays
        text on the page, which keeps each contents line one line for text extraction."""
        for page in self.pdf.pages:
            found = self.generated.get(page.obj.objgen)
            if not found:
                continue
            texts = marked_texts(page.obj, {m for _, m in found})
            fillers = {m for m, t in texts.items() if t is not None and not t.strip(_FILLER)}
            if not fillers:
                continue
            self.artifacts.setdefault(page.obj.objgen, set()).update(fillers)
            for link in {link.objgen: link for link, _ in found}.values():
                self.set_kids(link, [k for k in self.kids[link.objgen] if not (isinstance(k, int) and k in fillers)])

    def fix_list(self, lst: Dictionary) -> None:
        """Whatever an L holds besides LI and Caption (the whitespace between inline list
        items) joins the LBody of the item before it (or after it, for the first)."""
        items = self.kids[lst.objgen]
        if all(self.s(k) in ("/LI", "/Caption") for k in items):
            return
        pg, out, pending = lst.get("/Pg"), [], []
        for k in items:
            if self.s(k) in ("/LI", "/Caption"):
                if self.s(k) == "/LI" and pending:
                    self.adopt(self.body(k), pending, pg, at=0)
                    pending = []
                out.append(k)
            elif out and self.s(out[-1]) == "/LI":
                self.adopt(self.body(out[-1]), [k], pg)
            else:
                pending.append(k)
        if pending:
            out.append(self.new("/LI", pg, [self.new("/LBody", pg, self.unwrap(pending))]))
        self.set_kids(lst, out)

    def fix_item(self, item: Dictionary) -> None:
        items = self.kids[item.objgen]
        if all(self.s(k) in ("/Lbl", "/LBody") for k in items):
            return
        keep = [k for k in items if self.s(k) in ("/Lbl", "/LBody")]
        self.set_kids(item, keep)
        self.adopt(self.body(item), [k for k in items if self.s(k) not in ("/Lbl", "/LBody")], item.get("/Pg"))

    def body(self, item: Dictionary) -> Dictionary:
        """The LBody of a list item, made if it has none."""
        body = next((k for k in self.kids[item.objgen] if self.s(k) == "/LBody"), None)
        if body is None:
            body = self.new("/LBody", item.get("/Pg"), [])
            self.set_kids(item, self.kids[item.objgen] + [body])
        return body

    def adopt(self, dst: Dictionary, items: list, pg, at: int | None = None) -> None:
        adopt(dst, self.unwrap(items), pg, at)
        self.kids[dst.objgen] = kids(dst)

    def unwrap(self, items: list) -> list:
        """Items moved into an LBody: a foldable Span (the whitespace) gives its content."""
        return [c for k in items
                for c in (self.kids[k.objgen] if self.s(k) in ("/Span", "/NonStruct")
                          and self.foldable(k, None) else [k])]

    def scope_headers(self, row: Dictionary) -> None:
        """TH cells with a /Scope (WeasyPrint relates cells to headers by /Headers only):
        Column in a THead, Row for the first cell of a body row with data cells beside it."""
        cells = [k for k in self.kids[row.objgen] if is_elem(k)]
        head = str((row.get("/P") or {}).get("/S", "")) == "/THead"
        has_data = any(self.s(c) == "/TD" for c in cells)
        for i, cell in enumerate(cells):
            if self.s(cell) != "/TH":
                continue
            if "/A" not in cell:
                cell.A = Dictionary(O=Name.Table)
            a = cell.A
            if isinstance(a, Dictionary) and "/Scope" not in a:
                a.Scope = Name.Row if (not head and i == 0 and has_data) else Name.Column
