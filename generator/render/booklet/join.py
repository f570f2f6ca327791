"""Putting the rendered parts together into the one booklet PDF, with pikepdf.

What it does that a plain concatenation would not:
  - lays each fiche page over its furniture page (running heads, folio), as a Form
    XObject drawn first;
  - gives each face one font dictionary and one font program, cut to the glyphs the
    booklet uses (parts come font-stripped, see fontinfo.py);
  - turns the placeholder links of the contents and indexes
    (`https://recueil.invalid/page/N`) into GoTo destinations to physical page N;
  - builds the outline, the document information, XMP metadata and /Lang;
  - with `Tagging`, merges the parts' structure trees into one (render/tags/tree.py):
    the furniture drawn as a pagination artifact, links described, PDF/UA-1;
  - saves deterministically: same parts, same bytes, with an /ID derived from content.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from generator.render.booklet.fontmerge import FontMerger
from generator.render.tags.content import ARTIFACT_PAGINATION

PAGE_LINK = "https://recueil.invalid/page/"
_PAGE_LINK = re.compile(re.escape(PAGE_LINK) + r"(\d+)(?:#(\w+))?$")
SECTION = "section"  # a link to a page that names the section starting there


def page_link(page: int, kind: str | None = None) -> str:
    """The placeholder URL a part uses for a link to physical page `page`; `kind` says
    what the link names there when it is not what starts on the page (a SECTION)."""
    return f"{PAGE_LINK}{page}" + (f"#{kind}" if kind else "")


@dataclass(frozen=True)
class PageSource:
    part: int  # index into the parts list
    page: int  # 0-based page in that part
    under: tuple[int, int] | None = None  # (part, page) drawn first, under this one


@dataclass
class Bookmark:
    title: str
    page: int  # physical, 1-based
    children: list[Bookmark] = field(default_factory=list)


@dataclass
class Metadata:
    title: str
    author: str | None
    subject: str | None
    keywords: list[str]
    lang: str
    epoch: int  # creation and modification date, seconds since 1970 (UTC)


@dataclass
class Tagging:
    """How to tag the booklet made of tagged parts (render/tags/): what each page belongs
    to (tags/roles.py's regions), the /Contents of a link (tags/tree.Describe), the language of a region that has its own (« fiche:ID » -> « en ») and of
    a link to a page (a contents line naming that fiche)."""

    regions: list[str | None]
    describe: Callable[[int | None, str | None, str | None], str | None]
    langs: dict[str, str] = field(default_factory=dict)
    link_langs: dict[int, str] = field(default_factory=dict)  # a contents line's target page -> its language

    def link_lang(self, on: int, target: int) -> str | None:
        """The language of a link on page `on` (0-based) to page `target`: a contents line
        names the fiche there, in the fiche's language; an index's page number has none."""
        return self.link_langs.get(target) if self.regions[on] == "contents" else None


class FaceFiles(Protocol):
    """The vendored faces the parts name by sha256 (see fontmerge.py)."""

    def advances(self, face: str) -> list[int]:
        """The widths of the face's glyphs, from its file (fontmerge.face_metrics)."""

    def space_glyph(self, face: str) -> int | None:
        """The glyph id of the face's space."""

    def cut(self, glyphs: dict[str, set[int]]) -> dict[str, bytes]:
        """Face sha256 -> glyph ids gives face sha256 -> its file cut to them (fontmerge.cut_font)."""


def assemble_pdf(parts: list[bytes], pages: list[PageSource], faces: FaceFiles,
                 outline: list[Bookmark], meta: Metadata, target: Path | io.BytesIO,
                 tagging: Tagging | None = None, finish: Callable[[pikepdf.Pdf], None] | None = None) -> None:
    """Join the parts into `target`; `finish(pdf)`, when given, last changes the booklet
    before it is saved (the archive's PDF/A-3 finishing)."""
    from generator.render.tags.roles import BOOKLET_ROLES
    from generator.render.tags.tree import TreeMerge
    from generator.render.tags.ua import PDF_VERSION, mark_ua

    sources = [pikepdf.open(io.BytesIO(b)) for b in parts]
    try:
        out = pikepdf.new()
        for ps in pages:
            out.pages.append(sources[ps.part].pages[ps.page])
        # After the pages: the copied tree then points at the booklet's pages.
        tree = TreeMerge(out, sources, pages) if tagging else None
        # Indexing out.pages costs a walk of the page tree (~60 µs at 1300 pages): the
        # pages are walked once here, and in _resolve_links.
        for page, ps in zip(out.pages, pages):
            if ps.under is not None:
                _underlay(out, page, sources, ps.under, tagged=tree is not None)
        fonts = FontMerger(faces)
        fonts.collect(out)
        fonts.write(out, faces.cut(fonts.glyphs()))
        _share_images(out)
        _resolve_links(out)
        pending = None
        if tree is not None:
            pending = tree.finish(tagging.regions, tagging.describe, BOOKLET_ROLES, tagging.langs,
                                  tagging.link_lang)
        _outline(out, outline)
        _metadata(out, meta)
        if tree is not None:
            mark_ua(out, meta.title)
        if finish is not None:
            finish(out)
        in_memory = isinstance(target, io.BytesIO)
        saved = io.BytesIO() if in_memory else target
        out.save(saved, deterministic_id=True, compress_streams=True, min_version=PDF_VERSION if tree else "",
                 object_stream_mode=pikepdf.ObjectStreamMode.generate, linearize=False)
        out.close()
    finally:
        for s in sources:
            s.close()
    if pending is None:
        if in_memory:
            target.write(saved.getvalue())
        return
    # The parts are closed and their memory given back before the tree is written
    # after the booklet (tags/append.py).
    from generator.memory import release

    release()
    if in_memory:
        target.write(pending.append(saved.getvalue()))
    else:
        pending.append_to(Path(target))


def _underlay(out: pikepdf.Pdf, page: pikepdf.Page, sources, under: tuple[int, int], tagged: bool = False) -> None:
    src = sources[under[0]]
    fpage = src.pages[under[1]]
    contents = fpage.obj.Contents
    if isinstance(contents, pikepdf.Stream):  # WeasyPrint's one stream: copied compressed as it is
        form = pikepdf.Stream(src, contents.read_raw_bytes())
        for k in ("/Filter", "/DecodeParms"):
            if k in contents:
                form[Name(k)] = contents[k]
    else:
        fpage.contents_coalesce()
        form = pikepdf.Stream(src, fpage.obj.Contents.read_bytes())
    form.Type = Name.XObject
    form.Subtype = Name.Form
    form.BBox = fpage.obj.MediaBox
    form.Resources = fpage.obj.Resources
    local = out.copy_foreign(form)
    # Parts share one /Resources dictionary between their pages: give this page its own
    # before adding its furniture to it.
    resources = Dictionary({k: v for k, v in page.obj.Resources.items()})
    xobjects = Dictionary({k: v for k, v in resources.get("/XObject", Dictionary()).items()})
    xobjects[Name("/RecueilFurniture")] = local
    resources[Name.XObject] = xobjects
    page.obj.Resources = resources
    draw = b"q /RecueilFurniture Do Q"
    if tagged:  # running heads, folio, crop marks: pagination artifacts, whatever the form holds
        draw = ARTIFACT_PAGINATION[0] + draw + ARTIFACT_PAGINATION[1]
    page.contents_add(pikepdf.Stream(out, draw + b"\n"), prepend=True)


def _image_key(image: pikepdf.Object, memo: dict) -> str:
    if image.objgen in memo:
        return memo[image.objgen]
    h = hashlib.sha256(image.read_raw_bytes())
    for k in sorted(image.keys()):
        if k == "/Length":
            continue
        v = image[k]
        h.update(k.encode() + (_image_key(v, memo).encode() if k == "/SMask" else repr(v).encode()))
    memo[image.objgen] = h.hexdigest()
    return memo[image.objgen]


def _share_images(out: pikepdf.Pdf) -> None:
    """One copy of each image: a photo used by several fiches arrives once per part."""
    memo: dict = {}
    canonical: dict[str, pikepdf.Object] = {}
    seen: set = set()

    def visit(resources) -> None:
        xobjects = resources.get("/XObject") if resources is not None else None
        if xobjects is None or xobjects.objgen in seen and xobjects.objgen != (0, 0):
            return
        seen.add(xobjects.objgen)
        for name in list(xobjects.keys()):
            xobj = xobjects[name]
            if xobj.get("/Subtype") == Name.Image:
                xobjects[name] = canonical.setdefault(_image_key(xobj, memo), xobj)
            elif xobj.get("/Subtype") == Name.Form:
                visit(xobj.get("/Resources"))

    for page in out.pages:
        visit(page.obj.get("/Resources"))


def _resolve_links(out: pikepdf.Pdf) -> None:
    """Placeholder links become GoTo destinations (those to a page that does not exist
    are dropped); a link that names a section keeps that in its /Contents, which the
    structure tree's numbering turns into its description (tags/tree.py)."""
    targets = [page.obj for page in out.pages]
    count = len(targets)
    for page in out.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = Array()
        for annot in annots:
            action = annot.get("/A")
            if action is not None and action.get("/S") == Name.URI:
                m = _PAGE_LINK.match(str(action.get("/URI", "")))
                if m:
                    number = int(m.group(1))
                    if 1 <= number <= count:
                        del annot["/A"]
                        annot.Dest = Array([targets[number - 1], Name.Fit])
                        # The placeholder is no description; what the link names is.
                        if m.group(2):
                            annot.Contents = String(m.group(2))
                        elif "/Contents" in annot:
                            del annot["/Contents"]
                        kept.append(annot)
                    continue  # a link to a page that does not exist: dropped
            elif action is not None and action.get("/S") == Name.GoTo:
                continue  # a part's named destination does not survive assembly
            kept.append(annot)
        page.obj.Annots = kept


def _outline(out: pikepdf.Pdf, items: list[Bookmark]) -> None:
    def make(item: Bookmark) -> pikepdf.OutlineItem:
        node = pikepdf.OutlineItem(item.title, item.page - 1, pikepdf.PageLocation.Fit)
        node.children.extend(make(c) for c in item.children)
        return node

    with out.open_outline() as outline:
        outline.root.extend(make(i) for i in items)
    out.Root.PageMode = Name.UseOutlines


def pdf_date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'")


def _metadata(out: pikepdf.Pdf, meta: Metadata) -> None:
    info = {"/Title": meta.title, "/Creator": "Recueil", "/Producer": "Recueil (WeasyPrint, pikepdf)",
            "/CreationDate": pdf_date(meta.epoch), "/ModDate": pdf_date(meta.epoch)}
    if meta.author:
        info["/Author"] = meta.author
    if meta.subject:
        info["/Subject"] = meta.subject
    if meta.keywords:
        info["/Keywords"] = ", ".join(meta.keywords)
    out.docinfo = out.make_indirect(Dictionary({k: String(v) for k, v in info.items()}))
    out.Root.Lang = String(meta.lang)
    out.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    # No editor stamp: pikepdf would write the clock's time into the XMP.
    with out.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp.load_from_docinfo(out.docinfo)
        xmp["dc:language"] = [meta.lang]
