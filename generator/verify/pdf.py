"""What a PDF promises, checked from the file itself: `recueil preflight FILE.pdf`.

A print shop, an archive and a screen reader each ask something of a PDF; this reads a
PDF back and says, one line per problem, what stands in the way:

  always   not encrypted, every font embedded, a document /ID, a title, a language;
  ua       PDF/UA-1, the part of the Matterhorn protocol a program can decide: a
           structure tree that covers every painted mark (the rest is /Artifact), each
           marked-content id claimed by exactly one element of its page and by the
           ParentTree, standard (or role-mapped) element types, headings that start at
           H1 and skip no level, alternative text on figures, header cells in tables,
           list and table children where they belong, header cells with a scope or
           cells naming their headers, every element's /P its parent, IDs unique, the
           ParentTree naming the very element that claims each marked-content id and
           annotation, link annotations described and tagged (a Link element holding
           its annotation), tab order following the structure, fonts that map to
           Unicode, the PDF/UA identifier and the title shown in the window;
  pdfa     PDF/A: its identifier, an output intent with a colour profile, printable
           annotations, embedded files that say what they are and why they are there;
  print    a trim box and a bleed box on every page, the bleed around the trim.

This is no veraPDF: it checks structure, not every clause, and says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from generator.i18n import _, n_

STANDARD_TYPES = frozenset(
    "Document Part Art Sect Div BlockQuote Caption TOC TOCI Index NonStruct Private P H H1 H2 H3 H4 H5 H6 "
    "L LI Lbl LBody Table TR TH TD THead TBody TFoot Span Quote Note Reference BibEntry Code Link Annot "
    "Ruby RB RT RP Warichu WT WP Figure Formula Form".split())
ALLOWED_CHILDREN = {"TR": {"TH", "TD"}, "L": {"LI", "Caption", "L"}, "LI": {"Lbl", "LBody"}}
_SHOW_TEXT = {"Tj", "TJ", "'", '"'}
_PAINT = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "sh", "BI", "INLINE IMAGE"}


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    elements: Counter = field(default_factory=Counter)  # structure element types, for a summary

    def add(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)


def verify(path: Path, *, ua: bool = False, pdfa: bool = False, print_boxes: bool = False) -> Findings:
    """Everything in `path` that stands in the way of what was asked."""
    found = Findings()
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        found.add(_("the file is encrypted"))
        return found
    except (pikepdf.PdfError, OSError) as e:
        found.add(_("not a PDF that can be read: {problem}", problem=e))
        return found
    with pdf:
        _basics(pdf, found)
        if ua:
            _ua(pdf, found)
        if pdfa:
            _pdfa(pdf, found)
        if print_boxes:
            _boxes(pdf, found)
    return found


# --- always --------------------------------------------------------------------------

def _fonts(pdf: pikepdf.Pdf):
    """Every font dictionary the pages and their forms use, once, with where it was met."""
    seen = set()
    for number, page in enumerate(pdf.pages, 1):
        for resources in _all_resources(page.obj.get("/Resources")):
            for _name, font in (resources.get("/Font") or {}).items():
                if isinstance(font, Dictionary) and font.objgen not in seen:
                    seen.add(font.objgen if font.objgen != (0, 0) else id(font))
                    yield number, font


def _all_resources(resources, seen=None):
    seen = set() if seen is None else seen
    if not isinstance(resources, Dictionary):
        return
    yield resources
    for _name, xobject in (resources.get("/XObject") or {}).items():
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            yield from _all_resources(xobject.get("/Resources"), seen)


def _basics(pdf: pikepdf.Pdf, found: Findings) -> None:
    if "/ID" not in pdf.trailer:
        found.add(_("no document /ID in the trailer"))
    meta = pdf.open_metadata()
    if not (pdf.docinfo.get("/Title") or meta.get("dc:title")):
        found.add(_("no title in the document information or the XMP metadata"))
    if not str(pdf.Root.get("/Lang", "")).strip():
        found.add(_("no /Lang: the document's language is unknown to a screen reader"))
    for number, font in _fonts(pdf):
        for f in [font, *list(font.get("/DescendantFonts") or [])]:
            descriptor = f.get("/FontDescriptor")
            if f.get("/Subtype") == Name.Type3 or descriptor is None and f is font and "/DescendantFonts" in f:
                continue
            if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                found.add(_("font {font} (first on page {page}) is not embedded", font=f.get('/BaseFont'), page=number))


# --- PDF/UA ----------------------------------------------------------------------------

def _ua(pdf: pikepdf.Pdf, found: Findings) -> None:
    root = pdf.Root
    mark = root.get("/MarkInfo")
    if mark is None or not bool(mark.get("/Marked", False)):
        found.add(_("not tagged: /MarkInfo /Marked is not true"))
    elif bool(mark.get("/Suspects", False)):
        found.add(_("/MarkInfo /Suspects is true: the tags are not trusted"))
    prefs = root.get("/ViewerPreferences")
    if prefs is None or not bool(prefs.get("/DisplayDocTitle", False)):
        found.add(_("/ViewerPreferences /DisplayDocTitle is not true: a reader shows the file name, not the title"))
    meta = pdf.open_metadata()
    if str(meta.get("pdfuaid:part", "")) != "1":
        found.add(_("the XMP metadata does not say pdfuaid:part 1"))
    if not meta.get("dc:title"):
        found.add(_("no dc:title in the XMP metadata"))
    tree = root.get("/StructTreeRoot")
    if tree is None:
        found.add(_("no structure tree (/StructTreeRoot)"))
        return
    content = _marked_content(pdf, found)
    claimed = _walk_tree(pdf, tree, found)
    _parent_tree(pdf, tree, content, claimed, found)
    _annotations(pdf, found, claimed)
    for number, font in _fonts(pdf):
        if font.get("/Subtype") == Name.Type0 and "/ToUnicode" not in font:
            found.add(_("font {font} (first on page {page}) has no /ToUnicode map", font=font.get('/BaseFont'), page=number))


def _marked_content(pdf: pikepdf.Pdf, found: Findings) -> dict[int, list[int]]:
    """Page number -> the MCIDs its content marks; a problem for each painted mark
    outside marked content or an artifact."""
    mcids: dict[int, list[int]] = {}
    forms_seen: set = set()
    for number, page in enumerate(pdf.pages, 1):
        mcids[number] = []
        _scan(page, page.obj.get("/Resources"), number, False, mcids[number], forms_seen, found)
    return mcids


def _scan(holder, resources, number: int, marked: bool, mcids: list[int], forms_seen: set, found: Findings) -> None:
    stack: list[bool] = []
    properties = (resources or {}).get("/Properties") or {}
    xobjects = (resources or {}).get("/XObject") or {}
    for ins in pikepdf.parse_content_stream(holder):
        op, args = str(ins.operator), ins.operands
        inside = marked or any(stack)
        if op in ("BMC", "BDC"):
            props = args[1] if op == "BDC" and len(args) > 1 else None
            if isinstance(props, Name):
                props = properties.get(props)
            mcid = props.get("/MCID") if isinstance(props, Dictionary) else None
            if mcid is not None:
                mcids.append(int(mcid))
            stack.append(str(args[0]) == "/Artifact" or mcid is not None)
        elif op == "EMC":
            if stack:
                stack.pop()
        elif op == "Do":
            xobject = xobjects.get(args[0])
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == Name.Form:
                key = (xobject.objgen, inside)
                if key not in forms_seen:
                    forms_seen.add(key)
                    _scan(xobject, xobject.get("/Resources") or resources, number, inside, mcids, forms_seen, found)
            elif not inside:
                found.add(_("page {page}: an image is drawn outside tagged content or an artifact", page=number))
        elif not inside and op in _SHOW_TEXT:
            found.add(_("page {page}: text drawn outside tagged content or an artifact", page=number))
        elif not inside and op in ("BI", "INLINE IMAGE"):
            found.add(_("page {page}: an image is drawn outside tagged content or an artifact", page=number))
        elif not inside and op in _PAINT:
            found.add(_("page {page}: a path or shading drawn outside tagged content or an artifact", page=number))


@dataclass
class _Claimed:
    by_page: dict[int, Counter] = field(default_factory=dict)  # page number -> MCID -> elements claiming it
    page_numbers: dict = field(default_factory=dict)  # page objgen -> number
    owner: dict = field(default_factory=dict)  # (page number, MCID) -> the claiming element's objgen
    annots: dict = field(default_factory=dict)  # annotation objgen -> the element holding its OBJR


def _walk_tree(pdf: pikepdf.Pdf, tree, found: Findings) -> _Claimed:
    pages = {p.obj.objgen: n for n, p in enumerate(pdf.pages, 1)}
    claimed = _Claimed({n: Counter() for n in pages.values()}, pages)
    role_map = tree.get("/RoleMap") or {}
    for alias, target in role_map.items():
        if alias.lstrip("/") in STANDARD_TYPES:
            found.add(_("the role map remaps the standard type {type}", type=alias))
        elif str(target).lstrip("/") not in STANDARD_TYPES:
            found.add(_("the role map maps {type} to {target}, not to a standard type", type=alias, target=target))
    headings: list[int] = []
    kinds = {"numbered": False, "plain": False}
    ids: Counter = Counter()

    def kind(element) -> str:
        s = str(element.get("/S", "")).lstrip("/")
        return str(role_map.get("/" + s, "/" + s)).lstrip("/") if s not in STANDARD_TYPES else s

    def visit(element, page_number: int | None, depth: int, parent) -> None:
        if depth > 200:
            found.add(_("the structure tree is more than 200 levels deep"))
            return
        s = kind(element)
        found.elements[s] += 1
        holder = element.get("/P")
        if not isinstance(holder, Dictionary) or holder.objgen != parent.objgen:
            found.add(_("a /{type} element's /P is not the element that holds it", type=s))
        if "/ID" in element:
            ids[str(element.ID)] += 1
        if s not in STANDARD_TYPES:
            found.add(_("element type /{type} is neither standard nor role-mapped", type=s))
        if s == "H":
            kinds["plain"] = True
        elif s in ("H1", "H2", "H3", "H4", "H5", "H6"):
            kinds["numbered"] = True
            headings.append(int(s[1]))
        if s in ("Figure", "Formula") and not (element.get("/Alt") or element.get("/ActualText")):
            found.add(_("a {type} has no alternative text (/Alt)", type=s))
        pg = element.get("/Pg")
        if pg is not None:
            page_number = pages.get(pg.objgen)
        kids = element.get("/K")
        kids = list(kids) if isinstance(kids, Array) else ([] if kids is None else [kids])
        child_types = []
        for kid in kids:
            if isinstance(kid, int):
                if page_number is None:
                    found.add(_("a /{type} element marks content id {id} without a page", type=s, id=kid))
                else:
                    claimed.by_page[page_number][int(kid)] += 1
                    claimed.owner[page_number, int(kid)] = element.objgen
            elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
                number = pages.get(kid.Pg.objgen) if "/Pg" in kid else page_number
                if number is not None:
                    claimed.by_page[number][int(kid.MCID)] += 1
                    claimed.owner[number, int(kid.MCID)] = element.objgen
            elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR:
                child_types.append("OBJR")
                if isinstance(kid.get("/Obj"), Dictionary):
                    claimed.annots[kid.Obj.objgen] = element.objgen
            elif isinstance(kid, Dictionary):
                child_types.append(kind(kid))
                visit(kid, page_number, depth + 1, element)
        allowed = ALLOWED_CHILDREN.get(s)
        if allowed is not None:
            wrong = sorted({t for t in child_types if t not in allowed})
            if wrong:
                found.add(_("a /{type} holds {wrong}: it may hold only {allowed}", type=s,
                            wrong=", ".join("/" + t for t in wrong), allowed=", ".join("/" + a for a in sorted(allowed))))
        if s == "Table" and not _has(element, "TH", kind):
            found.add(_("a /Table has no header cell (/TH)"))
        if s == "Table":
            cells = [(t, _attributes(c)) for t, c in _cells(element, kind)]
            if (any(t == "TH" and "/Scope" not in a for t, a in cells)
                    and not any(t == "TD" and len(a.get("/Headers", ())) for t, a in cells)):
                found.add(_("a /Table's header cells (/TH) have no /Scope, and no cell names its headers (/Headers)"))
        if s == "Link" and "OBJR" not in child_types:
            found.add(_("a /Link element holds no link annotation (OBJR)"))

    top = tree.get("/K")
    for element in (list(top) if isinstance(top, Array) else [top] if top is not None else []):
        if isinstance(element, Dictionary):
            visit(element, None, 0, tree)
    for name, n in ids.items():
        if n > 1:
            found.add(_("the structure element ID {id} is used {n} times", id=name, n=n))
    if kinds["plain"] and kinds["numbered"]:
        found.add(_("the headings mix /H with /H1-/H6"))
    if headings and headings[0] != 1:
        found.add(_("the first heading is /H{level}, not /H1", level=headings[0]))
    for before, after in zip(headings, headings[1:]):
        if after > before + 1:
            found.add(_("a heading level is skipped: /H{before} then /H{after}", before=before, after=after))
            break
    return claimed


def _attributes(element) -> dict:
    """An element's attributes (/A: one dictionary or an array of them), merged."""
    a = element.get("/A")
    return {k: v for d in (list(a) if isinstance(a, Array) else [a]) if isinstance(d, Dictionary)
            for k, v in d.items()}


def _cells(element, kind):
    """(type, cell) of the TH and TD cells below a table element."""
    kids = element.get("/K")
    for kid in (list(kids) if isinstance(kids, Array) else [kids] if kids is not None else []):
        if isinstance(kid, Dictionary) and kid.get("/Type") not in (Name.MCR, Name.OBJR) and "/S" in kid:
            t = kind(kid)
            if t in ("TH", "TD"):
                yield t, kid
            elif t != "Table":
                yield from _cells(kid, kind)


def _has(element, wanted: str, kind) -> bool:
    kids = element.get("/K")
    for kid in (list(kids) if isinstance(kids, Array) else [kids] if kids is not None else []):
        if isinstance(kid, Dictionary) and kid.get("/Type") not in (Name.MCR, Name.OBJR):
            if kind(kid) == wanted or _has(kid, wanted, kind):
                return True
    return False


def _parent_tree(pdf: pikepdf.Pdf, tree, content: dict[int, list[int]], claimed: _Claimed, found: Findings) -> None:
    for number, ids in content.items():
        counts = claimed.by_page[number]
        for mcid, n in Counter(ids).items():
            if n > 1:
                found.add(_("page {page}: content id {id} is marked {n} times", page=number, id=mcid, n=n))
            if counts[mcid] != 1:
                found.add(n_("page {page}: content id {id} is claimed by {n} structure element, not one", "page {page}: content id {id} is claimed by {n} structure elements, not one", counts[mcid], page=number, id=mcid))
        for mcid in sorted(set(counts) - set(ids)):
            found.add(_("page {page}: a structure element claims content id {id}, which the page does not mark", page=number, id=mcid))
    if "/ParentTree" not in tree:
        found.add(_("the structure tree has no /ParentTree"))
        return
    parents = pikepdf.NumberTree(tree.ParentTree)
    for number, page in enumerate(pdf.pages, 1):
        if not content[number]:
            continue
        key = page.obj.get("/StructParents")
        if key is None:
            found.add(_("page {page} marks content but has no /StructParents", page=number))
            continue
        entry = parents.get(int(key))
        if not isinstance(entry, Array):
            found.add(_("page {page}: the ParentTree has no array for /StructParents {key}", page=number, key=int(key)))
            continue
        for mcid in set(content[number]):
            if mcid >= len(entry) or not isinstance(entry[mcid], Dictionary):
                found.add(_("page {page}: the ParentTree does not name the element of content id {id}", page=number, id=mcid))
            elif claimed.owner.get((number, mcid)) not in (None, entry[mcid].objgen):
                found.add(_("page {page}: the ParentTree names another element than the one claiming content id {id}",
                            page=number, id=mcid))


def _annotations(pdf: pikepdf.Pdf, found: Findings, claimed: _Claimed) -> None:
    tree = pdf.Root.StructTreeRoot
    parents = pikepdf.NumberTree(tree.ParentTree) if "/ParentTree" in tree else None
    for number, page in enumerate(pdf.pages, 1):
        # A popup belongs to its parent annotation; a hidden one is not shown or read.
        annots = [a for a in (page.obj.get("/Annots") or [])
                  if a.get("/Subtype") != Name.Popup and not int(a.get("/F", 0)) & 2]
        if not annots:
            continue
        if page.obj.get("/Tabs") != Name.S:
            found.add(_("page {page} has annotations but its tab order (/Tabs) is not the structure's (/S)", page=number))
        for annot in annots:
            subtype = str(annot.get("/Subtype", "")).lstrip("/")
            if subtype == "Link" and not str(annot.get("/Contents", "")).strip():
                found.add(_("page {page}: a link has no description (/Contents)", page=number))
            key = annot.get("/StructParent")
            parent = parents.get(int(key)) if parents is not None and key is not None else None
            if not isinstance(parent, Dictionary):
                found.add(_("page {page}: a {type} annotation is not in the structure tree (no /StructParent)", page=number, type=subtype))
            elif subtype == "Link" and str(parent.get("/S", "")).lstrip("/") != "Link":
                found.add(_("page {page}: a link annotation is tagged /{type}, not /Link", page=number, type=str(parent.get('/S', '')).lstrip('/')))
            elif not _objr_in(parent, annot):
                found.add(_("page {page}: the element of a {type} annotation does not reference it (OBJR)", page=number, type=subtype))
            elif claimed.annots.get(annot.objgen) not in (None, parent.objgen):
                found.add(_("page {page}: the ParentTree names another element than the one holding a {type} annotation",
                            page=number, type=subtype))


def _objr_in(element, annot) -> bool:
    kids = element.get("/K")
    for kid in (list(kids) if isinstance(kids, Array) else [kids] if kids is not None else []):
        if isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR and kid.Obj.objgen == annot.objgen:
            return True
    return False


# --- PDF/A ---------------------------------------------------------------------------

def _pdfa(pdf: pikepdf.Pdf, found: Findings) -> None:
    meta = pdf.open_metadata()
    part, conformance = str(meta.get("pdfaid:part", "")), str(meta.get("pdfaid:conformance", ""))
    if not part or not conformance:
        found.add(_("the XMP metadata does not identify a PDF/A part and conformance"))
    intents = pdf.Root.get("/OutputIntents")
    if not intents or not any("/DestOutputProfile" in i for i in intents):
        found.add(_("no output intent with an ICC colour profile"))
    for number, page in enumerate(pdf.pages, 1):
        for annot in page.obj.get("/Annots") or []:
            flags = int(annot.get("/F", 0))
            if not flags & 4 or flags & (1 | 2 | 32):
                found.add(_("page {page}: an annotation is not marked printable (or is hidden)", page=number))
    listed = {spec.objgen for spec in pdf.Root.get("/AF") or []}
    for name, spec in pdf.attachments.items():
        stream = spec.obj.get("/EF", {}).get("/F")
        if stream is None or "/Subtype" not in stream:
            found.add(_("embedded file {name} has no MIME type", name=name))
        if "/AFRelationship" not in spec.obj:
            found.add(_("embedded file {name} has no /AFRelationship", name=name))
        if spec.obj.objgen not in listed:
            found.add(_("embedded file {name} is not listed in the catalog's /AF", name=name))


# --- print ---------------------------------------------------------------------------

def _boxes(pdf: pikepdf.Pdf, found: Findings) -> None:
    for number, page in enumerate(pdf.pages, 1):
        trim, bleed = page.obj.get("/TrimBox"), page.obj.get("/BleedBox")
        if trim is None or bleed is None:
            found.add(_("page {page} has no {box}", page=number, box="/TrimBox" if trim is None else "/BleedBox"))
            continue
        t, b = [float(v) for v in trim], [float(v) for v in bleed]
        media = [float(v) for v in page.obj.MediaBox]
        if not (b[0] <= t[0] and b[1] <= t[1] and b[2] >= t[2] and b[3] >= t[3]):
            found.add(_("page {page}: the bleed box does not surround the trim box", page=number))
        if not (media[0] <= b[0] and media[1] <= b[1] and media[2] >= b[2] and media[3] >= b[3]):
            found.add(_("page {page}: the bleed box reaches outside the page", page=number))
