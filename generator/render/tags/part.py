"""What a worker does to one tagged render, a booklet part or a handout, before it is
cached: the tidy-up that depends on the render alone. Done there, it runs in parallel
and is paid once per render, not at every assembly.

The tree WeasyPrint wrote is read back as nodes (nodes.py, `written_tree`) and the
written one dropped. `tidy` changes it:
  - margin boxes: WeasyPrint gives their text marked-content ids and elements it never
    links into the tree. Those "orphan" ids are running heads and folios (a handout's
    « 1 / 2 », the contents' and the indexes' folios): artifacts;
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
    less for the booklet to write;
  - TH cells get a /Scope; element IDs (WeasyPrint numbers table headers after its own
    object numbers, so two parts collide) get a prefix unique to the render.
It returns, per page, the ids that must become artifacts; `finish_part` rewrites them
and stores the tree in the part (nodes.store), which the booklet joins (tree.py).
"""

from __future__ import annotations

import pikepdf
from pikepdf import Array, Dictionary

from generator.render.tags.content import marked_texts, to_artifacts
from generator.render.tags.elements import is_elem, kids
from generator.render.tags.nodes import (
    ATTRS,
    KIDS,
    PG,
    S,
    compact,
    export,
    is_node,
    new,
    store,
    walk,
)

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


def written_tree(pdf: pikepdf.Pdf) -> tuple[list, dict[int, set[int]]]:
    """The tree WeasyPrint wrote into `pdf`, as nodes, and the orphan ids of each page
    (those its ParentTree gives an element the tree does not hold); the written tree
    itself dropped."""
    root = pdf.Root.StructTreeRoot
    tops = export(pdf, top_elements(pdf))
    held: set = set()
    stack = top_elements(pdf)
    while stack:
        e = stack.pop()
        if e.objgen not in held:
            held.add(e.objgen)
            stack += [k for k in kids(e) if is_elem(k)]
    parent_tree = root.get("/ParentTree")
    by_key = dict(pikepdf.NumberTree(parent_tree).items()) if parent_tree is not None else {}
    orphans: dict[int, set[int]] = {}
    for pg, page in enumerate(pdf.pages):
        entries = by_key.get(int(page.obj.get("/StructParents", -1)))
        if isinstance(entries, Array):
            lost = {i for i, e in enumerate(entries) if not isinstance(e, Dictionary) or e.objgen not in held}
            if lost:
                orphans[pg] = lost
    del pdf.Root["/StructTreeRoot"]
    return tops, orphans


def finish_part(pdf: pikepdf.Pdf, id_prefix: str) -> None:
    """A booklet part, tidied where it is rendered: the artifacts rewritten, its tree
    stored as data (nodes.store: the booklet writes its own). `id_prefix` makes its
    element IDs unique in any booklet (a digest of the render)."""
    tops, orphans = written_tree(pdf)
    tops, artifacts = tidy(pdf, tops, orphans, id_prefix)
    for pg, page in enumerate(pdf.pages):
        to_artifacts(pdf, page.obj, artifacts.get(pg, set()))
    compact(pdf, tops)
    store(pdf, tops)


def tidy(pdf: pikepdf.Pdf, tops: list, orphans: dict[int, set[int]], id_prefix: str = "") -> tuple[list, dict]:
    """Tidy a render's tree (see the module doc); returns it and, per page index, the
    ids whose marked content must become an artifact. Annotations joined into another
    leave their page's /Annots."""
    work = _Tidy(pdf, id_prefix)
    for pg, lost in orphans.items():
        work.artifacts.setdefault(pg, set()).update(lost)
    kept = []
    for top in tops:
        if work.decorative(top):  # an image straight under <body>
            work.to_artifact(top)
            continue
        # Nothing is folded into a top-level element: its children are what the
        # booklet's roles work with (a footnote area's Spans are its notes).
        work.element(top, None, fold=False)
        kept.append(top)
    work.drop_fillers()
    work.drop_annotations(kept)
    return kept, work.artifacts


def _rect(annot: Dictionary) -> list[float]:
    x1, y1, x2, y2 = (float(v) for v in annot.Rect)
    return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]


def _overlap(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _target(annot: Dictionary) -> str:
    action = annot.get("/A")
    return repr(annot.get("/Dest")) + (repr(action.get("/URI")) if isinstance(action, Dictionary) else "")


class _Tidy:
    """The tidying of one render's tree, on plain data: no call into QPDF but for the
    annotations joined and the text of a leader."""

    def __init__(self, pdf: pikepdf.Pdf, id_prefix: str):
        self.pdf, self.prefix = pdf, id_prefix
        self.artifacts: dict[int, set[int]] = {}
        self.generated: dict[int, list] = {}  # page -> (Link, id) of pseudo-elements' content
        self.dropped: set[tuple[int, int]] = set()  # annotations joined into another
        self._annots: dict[int, list] = {}

    @staticmethod
    def decorative(n) -> bool:
        return (is_node(n) and n[S] == "/Figure"
                and not any(str(n[ATTRS].get(x, "")).strip() for x in ("/Alt", "/ActualText")))

    def to_artifact(self, node: list) -> None:
        for n in walk(node):
            for k in n[KIDS]:
                if isinstance(k, int):
                    self.artifacts.setdefault(n[PG], set()).add(k)
                elif isinstance(k, list) and k[0] == "m":
                    self.artifacts.setdefault(k[1], set()).add(k[2])

    def element(self, e: list, parent_type: str | None, fold: bool = True) -> None:
        """Tidy e's children first (a parent sees them tidied), then e."""
        for k in e[KIDS]:
            if is_node(k):
                self.element(k, e[S])
        s = e[S]
        if s == "/Link":
            self.flatten_links(e)
        elif s == "/L":
            self.fix_list(e)
        elif s == "/LI":
            self.fix_item(e)
        elif s == "/TR":
            self.scope_headers(e, parent_type == "/THead")
        if self.prefix and s in ("/TH", "/TD"):  # WeasyPrint gives IDs to header cells only
            attrs = e[ATTRS]
            if "/ID" in attrs:
                attrs["/ID"] = self.prefix + attrs["/ID"]
            a = attrs.get("/A")
            if isinstance(a, dict) and "/Headers" in a.get("d", {}):
                a["d"]["/Headers"] = [self.prefix + h for h in a["d"]["/Headers"]]
        items, changed = [], False
        for k in e[KIDS]:
            if not is_node(k):
                items.append(k)
            elif self.decorative(k):
                self.to_artifact(k)
                changed = True
            elif fold and k[S] in ("/Span", "/NonStruct") and self.foldable(k, e[PG]):
                items.extend(k[KIDS])
                changed = True
            else:
                items.append(k)
        if changed:
            e[KIDS] = items

    @staticmethod
    def foldable(k: list, pg: int | None) -> bool:
        """A Span or NonStruct of bare ids on its parent's page (None: any), saying
        nothing else."""
        return ((pg is None or k[PG] == pg) and all(isinstance(c, int) for c in k[KIDS])
                and _MEANINGFUL.isdisjoint(k[ATTRS]))

    def flatten_links(self, link: list) -> None:
        """WeasyPrint makes an <a>'s pseudo-elements (::after, a leader()) Links of their
        own, and every box inside an <a> that is not plain text an element holding an
        annotation of its own: one link, one element holding its text and every
        annotation. What the inner boxes print is remembered: a leader's dots are read
        by drop_fillers. An element that means something of its own inside a link (an
        image, a word in another language) stays."""
        if not any(is_node(k) for k in link[KIDS]):
            return  # WeasyPrint's plain link: its text and its annotation
        pg = link[PG]
        content, objrs, inner = [], [], []

        def gather(kids_: list, where: int, nested: bool) -> None:
            for k in kids_:
                if isinstance(k, int):
                    if where != pg:
                        content.append(["m", where, k])
                        continue
                    content.append(k)
                    if nested:
                        inner.append(k)
                elif not is_node(k):
                    (objrs if k[0] == "a" else content).append(k)
                elif k[S] in _FLAT and _MEANINGFUL_IN_LINK.isdisjoint(k[ATTRS]):
                    gather(k[KIDS], k[PG], True)
                else:
                    content.append(k)

        gather(link[KIDS], pg, False)
        if inner:
            self.generated.setdefault(pg, []).extend((link, c) for c in inner)
        link[KIDS] = content + objrs
        self.join_annotations(link)

    def annots(self, pg: int) -> list:
        if pg not in self._annots:
            self._annots[pg] = [a for a in (self.pdf.pages[pg].obj.get("/Annots") or [])]
        return self._annots[pg]

    def join_annotations(self, link: list) -> None:
        """The annotations of an <a> and of its pseudo-elements overlap on one line and go
        to one target: three tab stops for one link. Overlapping ones become one, over
        their union; a link broken across lines keeps one annotation per line."""
        refs = [k for k in link[KIDS] if isinstance(k, list) and k[0] == "a"]
        if len(refs) < 2:
            return
        kept: list = []
        for ref in refs:
            annot = self.annots(ref[1])[ref[2]]
            box = _rect(annot)
            into = next((o for o in kept if _target(o[1]) == _target(annot) and _overlap(_rect(o[1]), box)), None)
            if into is not None:
                r = _rect(into[1])
                into[1].Rect = Array([min(r[0], box[0]), min(r[1], box[1]), max(r[2], box[2]), max(r[3], box[3])])
                self.dropped.add((ref[1], ref[2]))
            else:
                kept.append((ref, annot))
        link[KIDS] = [k for k in link[KIDS] if not (isinstance(k, list) and k[0] == "a" and (k[1], k[2]) in self.dropped)]

    def drop_annotations(self, tops: list) -> None:
        """Annotations joined into another leave their page; references are renumbered."""
        if not self.dropped:
            return
        moved: dict[tuple[int, int], int] = {}
        pages = {pg for pg, _ in self.dropped}
        for pg in sorted(pages):
            page = self.pdf.pages[pg].obj
            annots, keep = list(page.Annots), []
            for i, a in enumerate(annots):
                if (pg, i) not in self.dropped:
                    moved[pg, i] = len(keep)
                    keep.append(a)
            page.Annots = Array(keep)
        for top in tops:
            for n in walk(top):
                if any(isinstance(k, list) and k[0] == "a" and k[1] in pages for k in n[KIDS]):
                    n[KIDS] = [["a", k[1], moved.get((k[1], k[2]), k[2])] if isinstance(k, list) and k[0] == "a" else k
                               for k in n[KIDS]]

    def drop_fillers(self) -> None:
        """A link's generated content that prints only dots and spaces (the contents'
        leader, the thin spaces around it) is layout: an artifact, not read. It stays
        text on the page, which keeps each contents line one line for text extraction."""
        for pg, found in self.generated.items():
            texts = marked_texts(self.pdf.pages[pg].obj, {m for _, m in found})
            fillers = {m for m, t in texts.items() if t is not None and not t.strip(_FILLER)}
            if not fillers:
                continue
            self.artifacts.setdefault(pg, set()).update(fillers)
            for link in {id(link): link for link, _ in found}.values():
                link[KIDS] = [k for k in link[KIDS] if not (isinstance(k, int) and k in fillers)]

    def fix_list(self, lst: list) -> None:
        """Whatever an L holds besides LI and Caption (the whitespace between inline list
        items) joins the LBody of the item before it (or after it, for the first)."""
        items = lst[KIDS]
        if all(is_node(k) and k[S] in ("/LI", "/Caption") for k in items):
            return
        pg, out, pending = lst[PG], [], []
        for k in items:
            if is_node(k) and k[S] in ("/LI", "/Caption"):
                if k[S] == "/LI" and pending:
                    body = self.body(k)
                    body[KIDS][0:0] = self.unwrap(pending, pg, body[PG])
                    pending = []
                out.append(k)
            elif out and out[-1][S] == "/LI":
                body = self.body(out[-1])
                body[KIDS].extend(self.unwrap([k], pg, body[PG]))
            else:
                pending.append(k)
        if pending:
            out.append(new("/LI", pg, [new("/LBody", pg, self.unwrap(pending, pg, pg))]))
        lst[KIDS] = out

    def fix_item(self, item: list) -> None:
        items = item[KIDS]
        if all(is_node(k) and k[S] in ("/Lbl", "/LBody") for k in items):
            return
        others = [k for k in items if not (is_node(k) and k[S] in ("/Lbl", "/LBody"))]
        item[KIDS] = [k for k in items if is_node(k) and k[S] in ("/Lbl", "/LBody")]
        body = self.body(item)
        body[KIDS].extend(self.unwrap(others, item[PG], body[PG]))

    @staticmethod
    def body(item: list) -> list:
        """The LBody of a list item, made if it has none."""
        body = next((k for k in item[KIDS] if is_node(k) and k[S] == "/LBody"), None)
        if body is None:
            body = new("/LBody", item[PG])
            item[KIDS].append(body)
        return body

    def unwrap(self, items: list, src_pg: int, dst_pg: int) -> list:
        """Items moved into an LBody: a foldable Span (the whitespace) gives its content;
        ids of another page than the LBody's become references naming theirs."""
        out = []
        for k in items:
            if is_node(k) and k[S] in ("/Span", "/NonStruct") and self.foldable(k, None):
                out += [c if k[PG] == dst_pg else ["m", k[PG], c] for c in k[KIDS]]
            elif isinstance(k, int):
                out.append(k if src_pg == dst_pg else ["m", src_pg, k])
            else:
                out.append(k)
        return out

    @staticmethod
    def scope_headers(row: list, head: bool) -> None:
        """TH cells with a /Scope (WeasyPrint relates cells to headers by /Headers only):
        Column in a THead, Row for the first cell of a body row with data cells beside it."""
        cells = [k for k in row[KIDS] if is_node(k)]
        has_data = any(c[S] == "/TD" for c in cells)
        for i, cell in enumerate(cells):
            if cell[S] != "/TH":
                continue
            a = cell[ATTRS].setdefault("/A", {"d": {"/O": {"n": "/Table"}}})
            if isinstance(a, dict) and "d" in a and "/Scope" not in a["d"]:
                a["d"]["/Scope"] = {"n": "/Row" if (not head and i == 0 and has_data) else "/Column"}
