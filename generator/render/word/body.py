"""A fiche's Markdown tree as WordprocessingML, with Word's own structures.

Lists are real numbered paragraphs (one w:num per ordered list, so each restarts at its
own start), footnotes are real Word footnotes, links are w:hyperlink elements pointing at
external relationships, tables are Word tables whose header row repeats. The tree is
already sanitised; links are checked once more here because a relationship target is the
one thing in a .docx that reaches outside it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from generator.read.markdown import SAFE_SCHEMES, Node
from generator.render.word.package import Part, part
from generator.render.word.reference import Reference
from generator.render.word.runs import Fmt, Styles, clean, esc, paragraph, rpr, run

EMU_PER_TWIP = 635
LIST_INDENT = 425  # twips per level, as in reference.docx's numbering: continuation paragraphs align with it
_KEEP = "/:?#[]@!$&'()*+,;=%~-._"  # what an URL may already hold, escaped or not
_IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif"}


def link_target(href: str | None) -> str | None:
    """An http(s) or mailto target, percent-encoded for the relationship; else None."""
    href = clean(href).strip()
    if not href.lower().startswith(SAFE_SCHEMES):
        return None
    return quote(href, safe=_KEEP)


@dataclass(frozen=True)
class Ctx:
    style: str | None  # the paragraph style of plain paragraphs here
    depth: int = -1  # list nesting level, -1 outside lists


class BodyWriter:
    """Walks trees into XML, collecting what the package must carry along with them."""

    def __init__(self, reference: Reference, styles: Styles, max_width_emu: int, max_height_emu: int):
        self.styles = styles
        self.bullet_num = reference.bullet_num
        self.number_abstract = reference.number_abstract
        self.next_num = reference.next_num
        self.max_w, self.max_h = max_width_emu, max_height_emu
        self.rels: list[tuple[str, str, str, bool]] = []
        self.media: list[Part] = []
        self.nums: list[str] = []  # w:num elements for this document's ordered lists
        self.footnotes: list[str] = []
        self._links: dict[str, str] = {}
        self._images: dict[Path, tuple[str, int, int] | None] = {}
        self._notes: dict[int, Node] = {}
        self._noted: set[int] = set()
        self._in_note = False
        self._nested: list[Node] = []
        self._drawings = 0
        self._note_base = 0
        self.outline_base: int | None = None  # in a booklet: headings sit below the fiche title

    # blocks -----------------------------------------------------------------------
    def blocks(self, nodes: list[Node], ctx: Ctx) -> str:
        return "".join(self.block(n, ctx) for n in nodes)

    def block(self, n: Node, ctx: Ctx) -> str:
        t, s = n.type, self.styles
        if t == "paragraph":
            if len(n.children) == 1 and n.children[0].type == "image":
                return paragraph(self.inlines(n.children, Fmt()), s["figure"])
            return paragraph(self.inlines(n.children, Fmt()), ctx.style)
        if t == "heading":
            level = n.attrs.get("level", 4)
            role = {2: "h1", 3: "h2"}.get(level, "h3")
            outline = "" if self.outline_base is None else \
                f'<w:outlineLvl w:val="{min(8, self.outline_base + max(0, level - 2))}"/>'
            return paragraph(self.inlines(n.children, Fmt()), s[role], outline)
        if t in ("bullet_list", "ordered_list"):
            return self.list(n, ctx)
        if t == "blockquote":
            return self.blocks(n.children, Ctx(s["quote"], ctx.depth))
        if t == "code_block":
            return paragraph(run(n.text, "<w:rPr><w:noProof/></w:rPr>"), s["code_block"])
        if t == "hr":
            return paragraph("", s["separator"])
        if t == "table":
            return self.table(n)
        return self.blocks(n.children, ctx)  # anything newer than this writer: keep its text

    def list(self, n: Node, ctx: Ctx) -> str:
        depth = min(ctx.depth + 1, 8)
        ordered = n.type == "ordered_list"
        style = self.styles["list_number" if ordered else "list_bullet"]
        num = self.bullet_num
        if ordered and self.number_abstract is not None:
            num = self.next_num
            self.next_num += 1
            start = max(0, int(n.attrs.get("start", 1) or 1))
            self.nums.append(f'<w:num w:numId="{num}"><w:abstractNumId w:val="{self.number_abstract}"/>'
                             f'<w:lvlOverride w:ilvl="{depth}"><w:startOverride w:val="{start}"/></w:lvlOverride>'
                             "</w:num>")
        numpr = f'<w:numPr><w:ilvl w:val="{depth}"/><w:numId w:val="{num}"/></w:numPr>' if num else ""
        indent = f'<w:ind w:left="{LIST_INDENT * (depth + 1)}"/>'
        inner = Ctx(self.styles["list_continue"], depth)
        out = []
        for item in n.children:
            kids = list(item.children)
            first = kids.pop(0) if kids and kids[0].type == "paragraph" else None
            content = self.inlines(first.children, Fmt()) if first else ""
            out.append(paragraph(content, style, numpr))
            for kid in kids:
                xml = self.block(kid, inner)
                if kid.type == "paragraph":  # a second paragraph of the item: under its text
                    xml = _with_indent(xml, indent)
                out.append(xml)
        return "".join(out)

    def table(self, n: Node) -> str:
        rows = [(tr, part_.type == "thead") for part_ in n.children for tr in part_.children if tr.type == "tr"]
        cols = max((len(tr.children) for tr, _ in rows), default=0)
        if not cols:
            return ""
        width = 5000 // cols  # fiftieths of a percent
        grid = "".join(f'<w:gridCol w:w="{self.max_w // EMU_PER_TWIP // cols}"/>' for _ in range(cols))
        table_style = self.styles["table"]
        out = ["<w:tbl><w:tblPr>", f'<w:tblStyle w:val="{table_style}"/>' if table_style else "",
               '<w:tblW w:w="5000" w:type="pct"/>',
               '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
               ' w:noHBand="0" w:noVBand="1"/>',
               f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>"]
        for tr, header in rows:
            out.append("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if header
                       else "<w:tr><w:trPr><w:cantSplit/></w:trPr>")
            cells = list(tr.children) + [None] * (cols - len(tr.children))
            for cell in cells:
                jc = {"center": "center", "right": "right"}.get(cell.attrs.get("align")) if cell else None
                content = self.inlines(cell.children, Fmt()) if cell else ""
                ppr = f'<w:jc w:val="{jc}"/>' if jc else ""
                out.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="pct"/></w:tcPr>'
                           f"{paragraph(content, self.styles['table_text'], ppr)}</w:tc>")
            out.append("</w:tr>")
        out.append("</w:tbl>")
        out.append(paragraph("", self.styles["after_table"]))
        return "".join(out)

    # inlines ----------------------------------------------------------------------
    def inlines(self, nodes: list[Node], fmt: Fmt) -> str:
        return "".join(self.inline(n, fmt) for n in nodes)

    def inline(self, n: Node, fmt: Fmt) -> str:
        t = n.type
        if t == "text":
            return run(n.text, rpr(fmt, self.styles))
        if t == "code":
            return run(n.text, rpr(fmt.with_(code=True), self.styles))
        if t == "softbreak":
            return run(" ", rpr(fmt, self.styles))
        if t == "hardbreak":
            return "<w:r><w:br/></w:r>"
        if t in ("strong", "em", "sup", "sub"):
            return self.inlines(n.children, fmt.with_(**{t: True}))
        if t == "link":
            inner = self.inlines(n.children, fmt.with_(link=True))
            rid = self.link(n.attrs.get("href"))
            return f'<w:hyperlink r:id="{rid}" w:history="1">{inner}</w:hyperlink>' if rid else inner
        if t == "image":
            return self.image(n.attrs.get("path"), n.attrs.get("alt"), fmt)
        if t == "footnote_ref":
            return self.note_ref(int(n.attrs.get("number", 0)))
        return self.inlines(n.children, fmt)

    def link(self, href: str | None) -> str | None:
        target = link_target(href)
        if target is None:
            return None
        if target not in self._links:
            rid = self._links[target] = f"rIdLink{len(self._links) + 1}"
            self.rels.append((rid, "hyperlink", target, True))
        return self._links[target]

    def text_link(self, text: str, href: str | None, fmt: Fmt = Fmt()) -> str:
        rid = self.link(href)
        if rid is None:
            return run(text, rpr(fmt, self.styles))
        return f'<w:hyperlink r:id="{rid}" w:history="1">{run(text, rpr(fmt.with_(link=True), self.styles))}</w:hyperlink>'

    # footnotes --------------------------------------------------------------------
    def use_notes(self, notes: list[Node]) -> None:
        """The footnotes of the tree about to be walked; in a booklet, numbered after the
        previous fiche's, since Word footnote ids are unique in a document."""
        self._note_base += max(self._notes, default=0)
        self._notes = {int(n.attrs.get("number", 0)): n for n in notes}
        self._noted = set()

    def note_ref(self, number: int) -> str:
        style = self.styles["footnote_ref"]
        props = f'<w:rPr><w:rStyle w:val="{style}"/></w:rPr>' if style else '<w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        note = self._notes.get(number)
        if note is None or number in self._noted or self._in_note:
            # Word gives each footnote one reference, and none inside a footnote: a second
            # call only repeats the number; a note called from a note follows its caller's
            # text inside the same Word footnote.
            if note is not None and number not in self._noted:
                self._noted.add(number)
                self._nested.append(note)
            return run(str(number), props)
        self._noted.add(number)
        marker = f"<w:r>{props}<w:footnoteRef/></w:r><w:r><w:t xml:space=\"preserve\"> </w:t></w:r>"
        self._in_note = True
        try:
            content = _lead(self.blocks(note.children, Ctx(self.styles["footnote_text"])), marker,
                            self.styles["footnote_text"])
            while self._nested:
                inner = self._nested.pop(0)
                lead = run(f"{inner.attrs.get('number')}. ", props)
                content += _lead(self.blocks(inner.children, Ctx(self.styles["footnote_text"])), lead,
                                 self.styles["footnote_text"])
        finally:
            self._in_note = False
        nid = self._note_base + number
        self.footnotes.append(f'<w:footnote w:id="{nid}">{content}</w:footnote>')
        return f'<w:r>{props}<w:footnoteReference w:id="{nid}"/></w:r>'

    # images -----------------------------------------------------------------------
    def image(self, path: Path | None, alt: str | None, fmt: Fmt = Fmt(), fill: bool = False,
              decorative: bool = False) -> str:
        """An inline picture at its own size, never wider than the text; `fill` (the
        fiche's photo, as on the printed fiche) takes the text's whole width. Its
        description (`descr`, what Word's accessibility checker asks for) is `alt`; a
        `decorative` one has none and says so, as Word's « Mark as decorative » does."""
        found = self._load_image(Path(path)) if path else None
        if found is None:  # no local image (remote, unreadable): its words stand in
            return run(alt or "", rpr(fmt.with_(em=True), self.styles))
        rid, cx, cy = found
        scale = min(self.max_w / cx, self.max_h / cy)
        if not fill:
            scale = min(1.0, scale)
        cx, cy = max(1, int(cx * scale)), max(1, int(cy * scale))
        self._drawings += 1
        n = self._drawings
        return (
            '<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
            f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
            f'<wp:docPr id="{n}" name="Image {n}" descr="{"" if decorative else esc(alt)}"{_DECORATIVE if decorative else "/>"}'
            '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
            f'<pic:pic><pic:nvPicPr><pic:cNvPr id="{n}" name="Image {n}" descr="{"" if decorative else esc(alt)}"/>'
            '<pic:cNvPicPr/></pic:nvPicPr>'
            f'<pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
            f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
            "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>")

    def _load_image(self, path: Path) -> tuple[str, int, int] | None:
        if path in self._images:
            return self._images[path]
        found = None
        try:
            found = self._read_image(path)
        except Exception:  # noqa: BLE001 - a broken image must not stop the document
            found = None
        self._images[path] = found
        return found

    def _read_image(self, path: Path) -> tuple[str, int, int] | None:
        from PIL import Image as PILImage  # only fiches with images pay for the import

        data = path.read_bytes()
        with PILImage.open(io.BytesIO(data)) as im:
            w, h = im.size
            dpi = im.info.get("dpi", (96, 96))[0] or 96
            ext = _IMAGE_FORMATS.get(im.format or "")
            if ext is None:  # WebP, TIFF...: Word reads PNG everywhere
                buffer = io.BytesIO()
                im.convert("RGBA").save(buffer, "PNG", optimize=False)
                data, ext = buffer.getvalue(), "png"
        if not w or not h:
            return None
        dpi = min(max(float(dpi), 72.0), 600.0)
        cx, cy = max(1, int(w / dpi * 914400)), max(1, int(h / dpi * 914400))
        n = len(self.media) + 1
        rid = f"rIdImage{n}"
        self.media.append(part(f"word/media/image{n}.{ext}", data))
        self.rels.append((rid, "image", f"media/image{n}.{ext}", False))
        return rid, cx, cy


# Word's « Mark as decorative » (Office 2019+): a drawing a screen reader skips.
_DECORATIVE = ('><a:extLst><a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
               '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" val="1"/>'
               "</a:ext></a:extLst></wp:docPr>")
_RPR_END = re.compile(r"</w:rPr>")
_BARE_RUN = re.compile(r"<w:r>(?!<w:rPr>)")


def in_language(xml: str, tag: str) -> str:
    """WordprocessingML whose every run is in the language `tag` (« en-GB »): w:lang
    on each run's properties, which Word's proofing and hyphenation follow. w:lang is
    the last property Recueil writes in a w:rPr (EG_RPrBase's order)."""
    lang = f'<w:lang w:val="{esc(tag)}"/>'
    xml = _RPR_END.sub(lang + "</w:rPr>", xml)
    return _BARE_RUN.sub(f"<w:r><w:rPr>{lang}</w:rPr>", xml)


def _lead(content: str, runs: str, style: str | None) -> str:
    """`runs` put at the start of the first paragraph of `content` (or of a new one)."""
    if content.startswith("<w:p>"):
        cut = content.index("</w:pPr>") + 8 if content.startswith("<w:p><w:pPr>") else 5
        return content[:cut] + runs + content[cut:]
    return paragraph(runs, style) + content


def _with_indent(xml: str, indent: str) -> str:
    # pPr children order: pStyle ... spacing, ind: a continuation paragraph holds only
    # pStyle, so the indent goes right after it.
    if xml.startswith("<w:p><w:pPr>"):
        cut = xml.index("</w:pPr>")
        return xml[:cut] + indent + xml[cut:]
    return xml.replace("<w:p>", f"<w:p><w:pPr>{indent}</w:pPr>", 1)
