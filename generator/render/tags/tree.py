"""One structure tree for the booklet out of its parts' trees, and the planning of a
finished tree (the booklet's, or a handout's own) in its document.

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
     by what the pages are, then `plan` numbers what refers to the tree.

`plan` drops the references to annotations no page holds any more (a link to a page
that does not exist), what then holds nothing, turns a Link left without its annotation
into a Span, gives Notes their IDs, numbers the pages' /StructParents and the
annotations' /StructParent, gives every link its /Contents and every page with
annotations /Tabs /S. The document is then saved, and the tree written after it
(append.py: its elements never exist as QPDF objects).
"""

from __future__ import annotations

from typing import Callable, Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from generator.render.tags.append import ANNOTS, FIRST_KEY, Pending
from generator.render.tags.content import wrap
from generator.render.tags.nodes import ATTRS, KIDS, PG, S, is_node, load, walk

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
               link_lang: Callable[[int, int], str | None] | None = None) -> Pending:
        """Plan the booklet's tree (`plan`); the Pending it returns writes it after the
        saved booklet. `regions[n]`: what booklet page n (0-based) belongs to,
        "kind" or "kind:name" (consecutive pages of one label are one unit), the kinds
        being keys of `roles`. `langs`: a region label -> the language of its elements
        when it is not the document's (a fiche with `lang:`); `link_lang(page, target)`:
        the language of a link on `page` (0-based) to page `target` (1-based), when it
        differs (a contents line naming a fiche in English)."""
        tops = self._apply_roles(regions, roles or {}, langs or {}) if regions else self.tops
        return plan(self.out, tops, self.pages, self.annots, describe, link_lang)

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


def plan(pdf: pikepdf.Pdf, tops: list[list], pages: list, annots: dict[tuple[int, int], Dictionary],
         describe: Describe | None = None, link_lang: Callable[[int, int], str | None] | None = None) -> Pending:
    """Number `pdf`'s pages and annotations for the tree of `tops` (nodes on `pages`,
    0-based; ["a", pg, i] names `annots[pg, i]`), describe its links, and point its
    catalog at a placeholder /StructTreeRoot; the tree itself is written after the
    saved document (append.py): see the module doc."""
    alive = {a.objgen for page in pages for a in (page.get("/Annots") or []) if isinstance(a, Dictionary)}
    live = {key: a for key, a in annots.items() if isinstance(a, Dictionary) and a.objgen in alive}
    tops = [t for t in tops if _prune(t, live)]
    # One walk: the pages marked content is claimed on, the annotations referred to,
    # the Notes' IDs (PDF/UA), the IDs' uniqueness (a part's carry its digest).
    claimed, linked, seen, notes = set(), {}, set(), 0
    for top in tops:
        for n in walk(top):
            for k in n[KIDS]:
                if type(k) is int:
                    claimed.add(n[PG])
                elif k[0] == "m":
                    claimed.add(k[1])
                elif k[0] == "a":
                    linked[k[1], k[2]] = n
            if n[S] == "/Note" and "/ID" not in n[ATTRS]:
                notes += 1
                n[ATTRS]["/ID"] = f"note-{notes}"
            name = n[ATTRS].get("/ID")
            if name is not None:
                if name in seen:
                    raise ValueError(f"structure element ID {name} twice")
                seen.add(name)
    page_keys = {pg: key for key, pg in enumerate(sorted(claimed))}
    for pg, page in enumerate(pages):
        if pg in page_keys:
            page.StructParents = page_keys[pg]
        elif "/StructParents" in page:
            del page["/StructParents"]
    where = {a.objgen: key for key, a in live.items()}
    number = {page.objgen: n for n, page in enumerate(pages)}
    key, annot_keys = len(page_keys), {}
    for pg, page in enumerate(pages):
        page_annots = [a for a in (page.get("/Annots") or []) if isinstance(a, Dictionary)]
        if page_annots:
            page.Tabs = Name.S  # tab order: the structure's
        for a in page_annots:
            at = where.get(a.objgen)
            if at not in linked:
                if "/StructParent" in a:
                    del a["/StructParent"]
                continue
            a.StructParent = key
            annot_keys[at] = key
            key += 1
            if a.get("/Subtype") == Name.Link:
                _describe(a, linked[at], pg, number, describe, link_lang)
    pdf.Root.StructTreeRoot = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    pdf.Root.MarkInfo = Dictionary(Marked=True)
    # The annotations the tree refers to, in key order, where append.py finds their
    # numbers in the saved file without reading a page.
    listed = sorted(annot_keys.items(), key=lambda item: item[1])
    pdf.Root[ANNOTS] = Array([live[at] for at, _ in listed])
    pdf.Root[FIRST_KEY] = len(page_keys)
    return Pending(tops, page_keys, annot_keys, key)


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


def _describe(annot: Dictionary, node: list, on: int, number: dict, describe: Describe | None,
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
    if lang and "/Lang" not in node[ATTRS]:
        node[ATTRS]["/Lang"] = lang
