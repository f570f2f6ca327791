"""One structure tree for the booklet out of its parts' trees, and the making of a
finished tree (the booklet's, or a handout's own) as PDF objects.

Joining the parts page by page (booklet/join.py) leaves each part's exported tree
(nodes.py) pointing at the part's pages. The booklet's tree is made in two steps that
follow join.assemble_pdf:

  1. `TreeMerge(out, sources, pages)`, right after the pages were appended to `out`:
     each tagged part's nodes are read, their pages renumbered as the booklet's (nodes
     on a page the booklet leaves out are dropped), and the pages' annotations noted
     while the pages still hold them all. Whole pages of untagged parts (a blank page:
     its furniture alone) become artifacts.
  2. `finish(regions, describe, roles, langs, link_lang)` once join.py has drawn the
     furniture and resolved the links: the booklet's roles (roles.py) group the nodes
     by what the pages are, then `build` makes the tree.

`build` makes each element once, with its /P, and what refers to elements by number:
the pages' /StructParents and the annotations' /StructParent, the ParentTree, the
IDTree; it drops the references to annotations no page holds any more (a link to a page
that does not exist), what then holds nothing, turns a Link left without its annotation
into a Span, and gives every link its /Contents and every page with annotations
/Tabs /S.
"""

from __future__ import annotations

from typing import Callable, Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from generator.render.tags.content import wrap
from generator.render.tags.nodes import ATTRS, KIDS, PG, S, dec, is_node, load, walk

# Elements that may stay empty: table cells keep the table's grid.
_KEEP_EMPTY = {"/TD", "/TH", "/TR", "/Table", "/THead", "/TBody", "/TFoot", "/Figure", "/Formula"}

# describe(page, uri, kind): the /Contents of a link to page `page` (1-based) or to
# `uri`; `kind` is what the link had as /Contents (join.py leaves there what a link to a
# page names when it is not what starts on it: "section"). None leaves the default
# (« page N », or the address).
Describe = Callable[[int | None, str | None, str | None], str | None]


class TreeMerge:
    """The booklet's structure tree, from the parts' trees (see the module doc).

    `sources`: the parts, opened; `pages`: join.PageSource of every booklet page, in
    order, already appended to `out`."""

    def __init__(self, out: pikepdf.Pdf, sources: list[pikepdf.Pdf], pages: Sequence):
        self.out = out
        self.pages = [p.obj for p in out.pages]
        self.tops: list[list] = []
        used = {(ps.part, ps.page): i for i, ps in enumerate(pages)}
        tagged = set()
        for part in sorted({ps.part for ps in pages}):
            tree = load(sources[part])
            if tree is None:
                continue
            tagged.add(part)
            where = {p: used.get((part, p)) for p in range(len(sources[part].pages))}
            for top in tree:
                if _renumber(top, where):
                    self.tops.append(top)
        for n, ps in enumerate(pages):
            if ps.part not in tagged:
                wrap(out, self.pages[n])
        # Before join.py resolves the links (and drops some): a node names an annotation
        # by its place on its page.
        self.annots = {(n, i): a for n, page in enumerate(self.pages)
                       for i, a in enumerate(page.get("/Annots") or [])}
        self.tops.sort(key=lambda t: t[PG])  # stable: a page's elements keep their order

    def finish(self, regions: Sequence[str | None] | None = None, describe: Describe | None = None,
               roles: dict[str, Callable] | None = None, langs: dict[str, str] | None = None,
               link_lang: Callable[[int, int], str | None] | None = None) -> None:
        """Make the booklet's tree. `regions[n]`: what booklet page n (0-based) belongs to,
        "kind" or "kind:name" (consecutive pages of one label are one unit), the kinds
        being keys of `roles`. `langs`: a region label -> the language of its elements
        when it is not the document's (a fiche with `lang:`); `link_lang(page, target)`:
        the language of a link on `page` (0-based) to page `target` (1-based), when it
        differs (a contents line naming a fiche in English)."""
        tops = self._apply_roles(regions, roles or {}, langs or {}) if regions else self.tops
        build(self.out, tops, self.pages, self.annots, describe, link_lang)

    def _apply_roles(self, regions: Sequence[str | None], roles: dict[str, Callable],
                     langs: dict[str, str]) -> list[list]:
        result: list[list] = []
        group: list[list] = []

        def flush():
            if group:
                label = regions[group[0][PG]]
                kind = label.split(":", 1)[0] if label else None
                handler = roles.get(kind)
                made = handler(list(group)) if handler else list(group)
                if label in langs:
                    for node in made:
                        node[ATTRS]["/Lang"] = langs[label]
                result.extend(made)
                group.clear()

        for top in self.tops:
            if group and regions[top[PG]] != regions[group[-1][PG]]:
                flush()
            group.append(top)
        flush()
        return result


def _renumber(node: list, where: dict[int, int | None]) -> bool:
    """A part's node with its pages the booklet's; False when its page is not printed.
    What it holds on pages the booklet leaves out goes."""
    pg = where.get(node[PG])
    if pg is None:
        return False
    node[PG] = pg
    kept = []
    for k in node[KIDS]:
        if isinstance(k, int):
            kept.append(k)
        elif is_node(k):
            if _renumber(k, where):
                kept.append(k)
        elif where.get(k[1]) is not None:  # ["m", pg, mcid] or ["a", pg, i]
            kept.append([k[0], where[k[1]], k[2]])
    node[KIDS] = kept
    return True


def build(pdf: pikepdf.Pdf, tops: list[list], pages: list, annots: dict[tuple[int, int], Dictionary],
          describe: Describe | None = None, link_lang: Callable[[int, int], str | None] | None = None) -> None:
    """Make the tree of `tops` (nodes on `pages`, 0-based; ["a", pg, i] names
    `annots[pg, i]`) as pdf's StructTreeRoot, with its ParentTree, IDTree and /MarkInfo;
    see the module doc. The hot part of a booklet's assembly: each element is made with
    all its entries at once, nothing is read back through QPDF."""
    alive = {a.objgen for page in pages for a in (page.get("/Annots") or []) if isinstance(a, Dictionary)}
    live = {key: a for key, a in annots.items() if isinstance(a, Dictionary) and a.objgen in alive}
    tops = [t for t in tops if _prune(t, live)]
    _number_notes(tops)
    ids: dict[str, Dictionary] = {}
    MCR, OBJR = Name.MCR, Name.OBJR
    root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root))
    root.K = document
    mcids: dict[int, dict[int, Dictionary]] = {}
    by_annot: dict[tuple[int, int], Dictionary] = {}

    names: dict[str, Name] = {}  # one Name object a type: QPDF shares it, not a copy an element

    def make(node: list, parent: Dictionary) -> Dictionary:
        pg = node[PG]
        s = names.get(node[S]) or names.setdefault(node[S], Name(node[S]))
        # No /Type: it is optional for a structure element, and a booklet has tens of
        # thousands of them.
        e = pdf.make_indirect(Dictionary(S=s, P=parent, Pg=pages[pg]))
        for key, value in node[ATTRS].items():
            e[key] = dec(value)
        if "/ID" in node[ATTRS]:
            ids[node[ATTRS]["/ID"]] = e
        kids = []
        for k in node[KIDS]:
            if isinstance(k, int):
                kids.append(k)
                mcids.setdefault(pg, {})[k] = e
            elif is_node(k):
                kids.append(make(k, e))
            elif k[0] == "m":
                kids.append(Dictionary(Type=MCR, Pg=pages[k[1]], MCID=k[2]))
                mcids.setdefault(k[1], {})[k[2]] = e
            else:
                annot = live[k[1], k[2]]
                kids.append(Dictionary(Type=OBJR, Obj=annot, Pg=pages[k[1]]))
                by_annot[annot.objgen] = e
        if kids:
            e.K = kids[0] if len(kids) == 1 else Array(kids)
        return e

    made = [make(t, document) for t in tops]
    document.K = Array(made)
    nums: list = []
    key = 0
    for pg, page in enumerate(pages):
        found = mcids.get(pg)
        if found:
            page.StructParents = key
            nums += [key, Array([found.get(i) for i in range(max(found) + 1)])]
            key += 1
        elif "/StructParents" in page:
            del page["/StructParents"]
    number = {page.objgen: n for n, page in enumerate(pages)}
    for pg, page in enumerate(pages):
        page_annots = [a for a in (page.get("/Annots") or []) if isinstance(a, Dictionary)]
        if page_annots:
            page.Tabs = Name.S  # tab order: the structure's
        for a in page_annots:
            elem = by_annot.get(a.objgen)
            if elem is None:
                if "/StructParent" in a:
                    del a["/StructParent"]
                continue
            a.StructParent = key
            nums += [key, elem]
            key += 1
            if a.get("/Subtype") == Name.Link:
                _describe(a, elem, pg, number, describe, link_lang)
    # One flat node of each tree: valid at any size, and written in one go.
    root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(nums)))
    root.ParentTreeNextKey = key
    if ids:
        names: list = []
        for name in sorted(ids):
            names += [String(name), ids[name]]
        root.IDTree = Dictionary(Names=Array(names))
    pdf.Root.StructTreeRoot = root
    pdf.Root.MarkInfo = Dictionary(Marked=True)


def _prune(node: list, live: dict) -> bool:
    """Drop references to annotations gone and what then holds nothing; a Link left
    without its annotation is text (a Span). False when the node itself goes."""
    kept, links = [], 0
    for k in node[KIDS]:
        if is_node(k):
            if _prune(k, live):
                kept.append(k)
        elif isinstance(k, list) and k[0] == "a":
            if (k[1], k[2]) in live:
                kept.append(k)
                links += 1
        else:
            kept.append(k)
    node[KIDS] = kept
    if node[S] == "/Link" and not links:
        node[S] = "/Span"
    return bool(kept) or node[S] in _KEEP_EMPTY


def _number_notes(tops: list[list]) -> None:
    """Every Note gets an ID (PDF/UA); IDs must be unique (a part's carry its digest)."""
    seen: set[str] = set()
    notes = 0
    for top in tops:
        for n in walk(top):
            if n[S] == "/Note" and "/ID" not in n[ATTRS]:
                notes += 1
                n[ATTRS]["/ID"] = f"note-{notes}"
            name = n[ATTRS].get("/ID")
            if name is not None:
                if name in seen:
                    raise ValueError(f"structure element ID {name} twice")
                seen.add(name)


def _describe(annot: Dictionary, elem: Dictionary, on: int, number: dict, describe: Describe | None,
              link_lang) -> None:
    """A link's /Contents (PDF/UA: what a screen reader says of it): « page 12 : its
    title » for a link inside the document, the address for another."""
    dest, uri, page = annot.get("/Dest"), None, None
    if isinstance(dest, Array) and len(dest) and isinstance(dest[0], Dictionary):
        page = number.get(dest[0].objgen)
        page = None if page is None else page + 1
    action = annot.get("/A")
    if isinstance(action, Dictionary) and action.get("/S") == Name.URI:
        uri = str(action.URI)
    before = str(annot.get("/Contents", "")) or None
    text = describe(page, uri, before) if describe else None
    text = text or before or uri or (f"page {page}" if page else None)
    if text:
        annot.Contents = String(text)
    lang = link_lang(on, page) if link_lang and page else None
    if lang and "/Lang" not in elem:
        elem.Lang = String(lang)
