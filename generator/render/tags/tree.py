"""One structure tree for the booklet out of its parts' trees, and the pass that numbers a
finished tree (the booklet's, or a handout's own).

Joining the parts page by page (booklet/join.py) leaves each part's tree pointing at the
part. The booklet's tree is built in two steps that follow join.assemble_pdf:

  1. `TreeMerge(out, sources, pages)`, right after the pages were appended to `out`:
     each tagged part's top-level elements are copied. pikepdf (QPDF) copies a foreign
     object once per source Pdf and reuses the copy, so the elements' /Pg and the Link
     elements' OBJRs point at the booklet's own pages and annotations (a page met
     before it is appended is reserved, then filled in; one never appended stays null:
     elements of pages the booklet leaves out are not copied). Their /P is cut first,
     or the copy climbs to the part's StructTreeRoot and takes all of it along. A part
     not tidied in its worker (part.tidy) is tidied here; whole pages of untagged parts
     (a blank page: its furniture alone) become artifacts.
  2. `finish(regions, describe, langs)` once join.py has drawn the furniture and
     resolved the links: the booklet's roles (roles.py) group the elements by what the
     pages are, then `Numbering` makes the tree whole.

`Numbering` is the one pass over a finished tree: it numbers the pages'
/StructParents and the annotations' /StructParent, rebuilds the ParentTree and the
IDTree, drops the OBJRs of annotations that no page holds any more, and gives every link
its /Contents and every page with annotations /Tabs /S.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from generator.render.tags.content import to_artifacts, wrap
from generator.render.tags.elements import set_kids
from generator.render.tags.part import TIDIED, tidy, top_elements

# Elements that may stay empty: table cells keep the table's grid.
_KEEP_EMPTY = {"/TD", "/TH", "/TR", "/Table", "/THead", "/TBody", "/TFoot", "/Figure", "/Formula"}

# describe(page, uri, kind): the /Contents of a link to page `page` (1-based) or to
# `uri`; `kind` is what the link had as /Contents (join.py leaves there what a link to a
# page names when it is not what starts on it: "section"). None leaves the default
# (« page N », or the address).
Describe = Callable[[int | None, str | None, str | None], str | None]


@dataclass
class _Top:
    page: int  # 0-based page of the booklet
    elem: Dictionary


class TreeMerge:
    """The booklet's structure tree, from the parts' trees (see the module doc).

    `sources`: the parts, opened (they are modified: tidied, their top elements detached);
    `pages`: join.PageSource of every booklet page, in order, already appended to `out`."""

    def __init__(self, out: pikepdf.Pdf, sources: list[pikepdf.Pdf], pages: Sequence):
        self.out = out
        self.tops: list[_Top] = []
        self.rolemap: dict[str, str] = {}
        out_pages = [p.obj for p in out.pages]
        used = {(ps.part, ps.page): i for i, ps in enumerate(pages)}
        tagged = {i for i, src in enumerate(sources) if "/StructTreeRoot" in src.Root}
        for part in sorted({ps.part for ps in pages} & tagged):
            src = sources[part]
            src_pages = {p.obj.objgen: n for n, p in enumerate(src.pages)}
            root = src.Root.StructTreeRoot
            if not bool(root.get(TIDIED, False)):
                for objgen, mcids in tidy(src, f"p{part}-").items():
                    n = used.get((part, src_pages.get(objgen)))
                    if n is not None:
                        to_artifacts(out, out_pages[n], mcids)
            for k, v in (root.get("/RoleMap") or {}).items():
                if self.rolemap.setdefault(str(k), str(v)) != str(v):
                    raise ValueError(f"parts map the structure type {k} differently")
            for top in top_elements(src):
                n = used.get((part, src_pages.get(getattr(top.get("/Pg"), "objgen", None))))
                if n is None:
                    # On a page the booklet does not print: copying it would copy the page.
                    continue
                if "/P" in top:
                    del top["/P"]  # else copy_foreign follows it up to the part's whole tree
                self.tops.append(_Top(n, out.copy_foreign(top)))
        for n, ps in enumerate(pages):
            if ps.part not in tagged:
                wrap(out, out_pages[n])
        self.tops.sort(key=lambda t: t.page)  # stable: a page's elements keep their order

    def finish(self, regions: Sequence[str | None] | None = None, describe: Describe | None = None,
               roles: dict[str, Callable] | None = None, langs: dict[str, str] | None = None,
               link_lang: Callable[[int, int], str | None] | None = None) -> None:
        """Build the booklet's tree. `regions[n]`: what booklet page n (0-based) belongs to,
        "kind" or "kind:name" (consecutive pages of one label are one unit), the kinds
        being keys of `roles`. `langs`: a region label -> the language of its elements
        when it is not the document's (a fiche with `lang:`); `link_lang(page, target)`:
        the language of a link on `page` (0-based) to page `target` (1-based), when it
        differs (a contents line naming a fiche in English)."""
        tops = self._apply_roles(regions, roles or {}, langs or {}) if regions else [t.elem for t in self.tops]
        out = self.out
        document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array([])))
        set_kids(document, tops)
        root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=document))
        document.P = root
        Numbering(out, root, document, describe, link_lang).run()
        if self.rolemap:
            root.RoleMap = Dictionary({k: Name(v) for k, v in sorted(self.rolemap.items())})
        out.Root.StructTreeRoot = root
        out.Root.MarkInfo = Dictionary(Marked=True)

    def _apply_roles(self, regions: Sequence[str | None], roles: dict[str, Callable],
                     langs: dict[str, str]) -> list[Dictionary]:
        result: list[Dictionary] = []
        group: list[_Top] = []

        def flush():
            if group:
                label = regions[group[0].page]
                kind = label.split(":", 1)[0] if label else None
                handler = roles.get(kind)
                elems = [t.elem for t in group]
                made = handler(self.out, elems) if handler else elems
                if label in langs:
                    for e in made:
                        e.Lang = String(langs[label])
                result.extend(made)
                group.clear()

        for t in self.tops:
            if group and regions[t.page] != regions[group[-1].page]:
                flush()
            group.append(t)
        flush()
        return result


class Numbering:
    """The one pass over a finished tree: parents, MCIDs and OBJRs by page, IDs."""

    def __init__(self, out: pikepdf.Pdf, root: Dictionary, document: Dictionary,
                 describe: Describe | None = None, link_lang: Callable[[int, int], str | None] | None = None):
        self.out, self.root, self.document = out, root, document
        self.describe, self.link_lang = describe, link_lang
        self.pages = [p.obj for p in self.out.pages]
        self.number = {p.objgen: n for n, p in enumerate(self.pages)}
        self.alive = {a.objgen for p in self.pages for a in (p.get("/Annots") or []) if isinstance(a, Dictionary)}
        self.mcids: dict[tuple[int, int], dict[int, Dictionary]] = {}
        self.annots: dict[tuple[int, int], Dictionary] = {}
        self.ids: dict[str, Dictionary] = {}
        self.notes = 0

    def run(self) -> None:
        self._visit(self.document, None)
        pages_known = set(self.number)
        stray = [objgen for objgen in self.mcids if objgen not in pages_known]
        if stray:
            raise ValueError(f"marked content claimed on {len(stray)} page(s) the document does not have")
        out = self.out
        nums = pikepdf.NumberTree.new(out)
        key = 0
        for page in self.pages:
            found = self.mcids.get(page.objgen)
            if found:
                page.StructParents = key
                nums[key] = Array([found.get(i) for i in range(max(found) + 1)])
                key += 1
            elif "/StructParents" in page:
                del page["/StructParents"]
        for n, page in enumerate(self.pages):
            annots = [a for a in (page.get("/Annots") or []) if isinstance(a, Dictionary)]
            if annots:
                page.Tabs = Name.S  # tab order: the structure's
            for a in annots:
                elem = self.annots.get(a.objgen)
                if elem is None:
                    if "/StructParent" in a:
                        del a["/StructParent"]
                    continue
                a.StructParent = key
                nums[key] = elem
                key += 1
                if str(a.get("/Subtype")) == "/Link":
                    self._describe(a, elem, n)
        self.root.ParentTree = nums.obj
        self.root.ParentTreeNextKey = key
        if self.ids:
            ids = pikepdf.NameTree.new(out)
            for k in sorted(self.ids):
                ids[k] = self.ids[k]
            self.root.IDTree = ids.obj
        elif "/IDTree" in self.root:
            del self.root["/IDTree"]

    def _describe(self, annot: Dictionary, elem: Dictionary, on: int) -> None:
        """A link's /Contents (PDF/UA: what a screen reader says of it): « page 12 : its
        title » for a link inside the document, the address for another."""
        dest, uri, page = annot.get("/Dest"), None, None
        if isinstance(dest, Array) and len(dest) and isinstance(dest[0], Dictionary):
            page = self.number.get(dest[0].objgen)
            page = None if page is None else page + 1
        action = annot.get("/A")
        if isinstance(action, Dictionary) and action.get("/S") == Name.URI:
            uri = str(action.URI)
        before = str(annot.get("/Contents", "")) or None
        text = self.describe(page, uri, before) if self.describe else None
        text = text or before or uri or (f"page {page}" if page else None)
        if text:
            annot.Contents = String(text)
        lang = self.link_lang(on, page) if self.link_lang and page else None
        if lang and "/Lang" not in elem:
            elem.Lang = String(lang)

    def _visit(self, e: Dictionary, pg) -> bool:
        """Fill the maps below e; False when e ends up holding nothing (then dropped).
        The hot loop of a booklet's assembly (one call per element, tens of thousands):
        every read through pikepdf is a call into QPDF, so each kid is told apart with
        as few as possible. /P is not written: whoever placed an element set it."""
        pg = e.get("/Pg", pg)
        items = e.get("/K")
        items = [] if items is None else list(items) if isinstance(items, Array) else [items]
        new, changed, links = [], False, 0
        mcids = self.mcids
        for k in items:
            if isinstance(k, int):
                if pg is None:
                    raise ValueError(f"marked content {k} of a {e.S} on no page")
                mcids.setdefault(pg.objgen, {})[int(k)] = e
            elif "/S" in k:
                if not self._visit(k, pg):
                    changed = True
                    continue
            elif "/Obj" in k:  # an OBJR: an annotation
                if k.Obj.objgen not in self.alive:  # a link join.py dropped
                    changed = True
                    continue
                self.annots[k.Obj.objgen] = e
                links += 1
            elif "/MCID" in k:  # an MCR: marked content on another page
                where = k.get("/Pg", pg)
                if where is None:
                    raise ValueError(f"marked content {k.MCID} of a {e.S} on no page")
                mcids.setdefault(where.objgen, {})[int(k.MCID)] = e
            new.append(k)
        if changed:
            e.K = Array(new)
        s = str(e.S)
        if s == "/Link" and not links:
            e.S = Name.Span  # its target is gone: text, no longer a link
        elif s == "/Note" and "/ID" not in e:  # PDF/UA: a note has an ID
            self.notes += 1
            e.ID = String(f"note-{self.notes}")
        if s in ("/TH", "/Note") and "/ID" in e:  # the only elements given IDs
            if str(e.ID) in self.ids:
                raise ValueError(f"structure element ID {e.ID} twice")
            self.ids[str(e.ID)] = e
        return bool(new) or s in _KEEP_EMPTY

