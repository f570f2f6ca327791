"""One fiche as a Word package: its front matter, its body, and the edition's shared parts.

The parts every fiche of an edition shares (styles in the edition's language, settings,
font table and fonts, header with the publication's title, footer with « page X / Y ») are
made once by `shared_parts`; `fiche_package` adds what is the fiche's own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote

from generator.model import Fiche, Publication
from generator.render.filters import unbroken_text
from generator.render.word.body import EMU_PER_TWIP, BodyWriter, Ctx, in_language
from generator.render.word.fonts import EmbeddedFonts, font_table
from generator.render.word.package import (
    Part,
    app_properties,
    content_types,
    core_properties,
    package,
    part,
    relationships,
)
from generator.render.word.reference import Reference, styles_for_language
from generator.render.word.runs import Fmt, Styles, clean, paragraph, rpr, run

NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
      'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
      'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
      'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"')
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# twips; a build takes the page from the design tokens (design.page_size), these serve
# callers that give none
PAGE_SIZES = {"A4": (11906, 16838), "A5": (8391, 11906), "LETTER": (12240, 15840)}
DEFAULT_MARGINS = {"top": 1247, "right": 1247, "bottom": 1247, "left": 1247, "header": 624, "footer": 567}
# reference.docx's margins are an A4 page's (28 mm at the sides, as page-a4.css); on A5
# they would leave a 92 mm column. An A5 edition takes page-a5.css's margins instead.
A5_MARGINS = {"top": 907, "right": 794, "bottom": 1020, "left": 794}
LABELS = {
    "fr": {"partners": "Partenaires", "partner": "Partenaire", "role": "Rôle", "type": "Type",
           "contact": "Contact", "source": "La fiche en ligne", "page": "page ", "of": " / "},
    "en": {"partners": "Partners", "partner": "Partner", "role": "Role", "type": "Type",
           "contact": "Contact", "source": "This fiche online", "page": "page ", "of": " / "},
}
LANGUAGE_TAGS = {"fr": "fr-FR", "en": "en-GB", "de": "de-DE", "es": "es-ES", "it": "it-IT", "nl": "nl-NL",
                 "pt": "pt-PT", "ca": "ca-ES", "br": "br-FR", "oc": "oc-FR", "eu": "eu-ES"}


def language_tag(lang: str) -> str:
    """The tag Word's spelling checker knows: « fr » → « fr-FR »."""
    lang = re.sub(r"[^A-Za-z-]", "", lang or "fr")[:35] or "fr"
    return LANGUAGE_TAGS.get(lang.lower(), lang)


@dataclass(eq=False)
class SharedParts:
    before: list[Part]  # parts that come before a fiche's own in the package
    after: list[Part]  # fonts: last, the largest and the same for every fiche
    names: list[str]  # every part name, for [Content_Types].xml
    language: str
    labels: dict[str, str]
    styles: Styles
    sect: str  # w:sectPr of every fiche
    max_width: int  # EMU
    max_height: int
    date: str | None  # W3CDTF for the core properties


def shared_parts(reference: Reference, fonts: EmbeddedFonts, pub: Publication, epoch: int | None,
                 labels: dict[str, str] | None = None, page: tuple[int, int] | None = None) -> SharedParts:
    """`labels` (the layout's words) override our own, key by key. `page`: the page's
    width and height in twips, from the design tokens (else publication's page_size);
    the margins are the reference document's (made from the same tokens, or the
    layout's own reference.docx's)."""
    language = language_tag(pub.lang)
    labels = {**LABELS.get((pub.lang or "fr").split("-")[0].lower(), LABELS["en"]), **(labels or {})}
    styles = Styles(reference.styles, reference.style_names)
    table_xml, font_rels = font_table(reference.font_table_xml, fonts)
    before = [
        part("word/styles.xml", styles_for_language(reference, language)),
        part("word/settings.xml", reference.settings_xml),
        part("word/fontTable.xml", table_xml),
        part("word/_rels/fontTable.xml.rels", relationships(font_rels)),
        part("word/header1.xml", _header(clean(pub.title), styles)),
        part("word/footer1.xml", _footer(labels, styles)),
        part("docProps/app.xml", app_properties()),
    ]
    if reference.theme_xml:
        before.append(part("word/theme/theme1.xml", reference.theme_xml))
    after = [f.part for f in fonts.fonts]
    width, height = page or PAGE_SIZES.get((pub.page_size or "A4").upper(), PAGE_SIZES["A4"])
    m = {**DEFAULT_MARGINS, **reference.margins}
    if page is None and (pub.page_size or "A4").upper() == "A5":
        m.update(A5_MARGINS)
    sect = ('<w:sectPr><w:headerReference w:type="default" r:id="rIdHeader"/>'
            '<w:footerReference w:type="default" r:id="rIdFooter"/>'
            f'<w:pgSz w:w="{width}" w:h="{height}"/>'
            f'<w:pgMar w:top="{m["top"]}" w:right="{m["right"]}" w:bottom="{m["bottom"]}" w:left="{m["left"]}"'
            f' w:header="{m["header"]}" w:footer="{m["footer"]}" w:gutter="0"/></w:sectPr>')
    text_w = max(1440, width - m["left"] - m["right"]) * EMU_PER_TWIP
    text_h = max(1440, height - m["top"] - m["bottom"]) * EMU_PER_TWIP
    date = None
    if epoch is not None:
        date = dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return SharedParts(before, after, [p.name for p in before + after], language, labels, styles, sect,
                       text_w, int(text_h * 0.45), date)


def fiche_package(fiche: Fiche, pub: Publication, reference: Reference, shared: SharedParts) -> bytes:
    body = BodyWriter(reference, shared.styles, shared.max_width, shared.max_height)
    xml = fiche_xml(fiche, body, shared)
    core = core_properties(
        title=fiche.title, subject=fiche.summary, keywords=", ".join(fiche.themes + fiche.keywords),
        creator=pub.publisher or pub.title, language=own_language(fiche, shared) or shared.language,
        date=shared.date)
    return document_package(xml, body, reference, shared, core)


def fiche_xml(fiche: Fiche, body: BodyWriter, shared: SharedParts, *, first_ppr: str = "",
              title_style: str | None = None, title_outline: int | None = None, bookmark: tuple[int, str] | None = None) -> str:
    """The fiche's paragraphs. A booklet starts it on a new page (`first_ppr`), gives its
    title a style and outline level of its own and a bookmark for the contents."""
    s = shared.styles
    body.use_notes(fiche.body.attrs.get("footnotes", []))
    notes_before = len(body.footnotes)
    own = own_language(fiche, shared)
    xml = _front(fiche, body, shared, first_ppr, title_style, title_outline, bookmark)
    xml += body.blocks(fiche.body.children, Ctx(s["body"]))
    if own:  # the fiche's own words in its language; the edition's labels stay in the edition's
        xml = in_language(xml, own)
        body.footnotes[notes_before:] = [in_language(n, own) for n in body.footnotes[notes_before:]]
    return xml + _back(fiche, body, shared)


def own_language(fiche: Fiche, shared: SharedParts) -> str | None:
    """The Word language tag of a fiche written in another language than the edition's."""
    tag = language_tag(fiche.lang) if fiche.lang else None
    return tag if tag and tag != shared.language else None


def document_package(xml: str, body: BodyWriter, reference: Reference, shared: SharedParts, core: bytes,
                     settings: Part | None = None, sect: str | None = None) -> bytes:
    """A whole .docx around the body `xml`: the edition's shared parts and what the
    walk collected (links, images, lists, footnotes)."""
    document = f"{XML_HEAD}<w:document {NS}><w:body>{xml}{sect or shared.sect}</w:body></w:document>"
    footnotes = (f'{XML_HEAD}<w:footnotes {NS}>'
                 '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240"'
                 ' w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
                 '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0"'
                 ' w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
                 f"{''.join(body.footnotes)}</w:footnotes>")
    numbering = reference.numbering_head + "".join(body.nums).encode() + b"</w:numbering>"
    rels = [("rIdStyles", "styles", "styles.xml", False), ("rIdNumbering", "numbering", "numbering.xml", False),
            ("rIdSettings", "settings", "settings.xml", False), ("rIdFontTable", "fontTable", "fontTable.xml", False),
            ("rIdFootnotes", "footnotes", "footnotes.xml", False), ("rIdHeader", "header", "header1.xml", False),
            ("rIdFooter", "footer", "footer1.xml", False)]
    if reference.theme_xml:
        rels.append(("rIdTheme", "theme", "theme/theme1.xml", False))
    own = [part("word/document.xml", document.encode("utf-8")),
           part("word/_rels/document.xml.rels", relationships(rels + body.rels)),
           part("word/numbering.xml", numbering),
           part("word/footnotes.xml", footnotes.encode("utf-8")),
           part("docProps/core.xml", core)]
    before = shared.before
    if settings is not None:
        before = [settings if p.name == settings.name else p for p in before]
    names = ["_rels/.rels", *shared.names, *(p.name for p in own), *(p.name for p in body.media)]
    head = [part("[Content_Types].xml", content_types(names)), _ROOT_RELS]
    return package(head + own + before + body.media + shared.after)


_ROOT_RELS = part("_rels/.rels", relationships([
    ("rId1", "document", "word/document.xml", False), ("rId2", "core", "docProps/core.xml", False),
    ("rId3", "app", "docProps/app.xml", False)]))


def _front(fiche: Fiche, body: BodyWriter, shared: SharedParts, first_ppr: str, title_style: str | None,
           title_outline: int | None, bookmark: tuple[int, str] | None) -> str:
    s = shared.styles
    # As on the printed fiche: where, then what, then the title.
    t = fiche.territory
    place = " · ".join(x for x in (t.label(), t.region_shown) if x)
    title = run(unbroken_text(fiche.title))
    if bookmark:
        title = f'<w:bookmarkStart w:id="{bookmark[0]}" w:name="{bookmark[1]}"/>{title}<w:bookmarkEnd w:id="{bookmark[0]}"/>'
    outline = f'<w:outlineLvl w:val="{title_outline}"/>' if title_outline is not None else ""
    out = [paragraph(run(unbroken_text(" — ".join(x for x in (place, ", ".join(fiche.themes)) if x))), s["meta"], first_ppr),
           paragraph(title, title_style or s["title"], outline)]
    if fiche.subtitle:
        out.append(paragraph(run(fiche.subtitle), s["subtitle"]))
    if fiche.key_figures:
        out.append(_lede(fiche, shared) + paragraph("", s["after_table"]))
    else:
        out.append(paragraph(run(fiche.summary), s["chapo"]))
    if fiche.image:
        img = fiche.image
        out.append(paragraph(body.image(img.path, img.alt, fill=True, decorative=img.decorative), s["figure"]))
        caption = run(img.caption or "")
        if img.credit:
            credit_style = s["credit"]
            props = f'<w:rPr><w:rStyle w:val="{credit_style}"/></w:rPr>' if credit_style else ""
            caption += run(("\u2003" if img.caption else "") + img.credit, props)
        if caption:
            out.append(paragraph(caption, s["caption"]))
    return "".join(out)


def _lede(fiche: Fiche, shared: SharedParts) -> str:
    """The chapô and, on its right behind a hairline, the key figures one under the other:
    as on the printed fiche (booklet.css .lede-figures), and no band across the page."""
    s = shared.styles
    total = shared.max_width // EMU_PER_TWIP
    right = total * 30 // 100
    left = total - right
    gap = 283  # 5 mm
    nil = "".join(f'<w:{side} w:val="nil"/>' for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    figures = "".join(paragraph(run(k.value), s["figure_value"], '<w:spacing w:before="140"/>' if i else "")
                      + paragraph(run(k.label), s["figure_label"]) for i, k in enumerate(fiche.key_figures))
    chapo = paragraph(run(fiche.summary), s["chapo"], '<w:spacing w:before="0" w:after="0"/>')
    return (f'<w:tbl><w:tblPr><w:tblW w:w="{total}" w:type="dxa"/><w:tblInd w:w="0" w:type="dxa"/>'
            f'<w:tblBorders>{nil}</w:tblBorders><w:tblLayout w:type="fixed"/>'
            '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="0" w:type="dxa"/>'
            '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar>'
            '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
            f' w:noHBand="1" w:noVBand="1"/></w:tblPr><w:tblGrid><w:gridCol w:w="{left}"/><w:gridCol w:w="{right}"/>'
            '</w:tblGrid><w:tr><w:trPr><w:cantSplit/></w:trPr>'
            f'<w:tc><w:tcPr><w:tcW w:w="{left}" w:type="dxa"/>'
            '<w:tcBorders><w:right w:val="single" w:sz="4" w:space="0" w:color="D2CDC3"/></w:tcBorders>'
            f'<w:tcMar><w:right w:w="{gap}" w:type="dxa"/></w:tcMar></w:tcPr>{chapo}</w:tc>'
            f'<w:tc><w:tcPr><w:tcW w:w="{right}" w:type="dxa"/>'
            f'<w:tcMar><w:left w:w="{gap}" w:type="dxa"/></w:tcMar></w:tcPr>{figures}</w:tc></w:tr></w:tbl>')


def _back(fiche: Fiche, body: BodyWriter, shared: SharedParts) -> str:
    s, labels = shared.styles, shared.labels
    out = []
    if fiche.partners:
        out.append(paragraph(run(labels["partners"]), s["box_heading"]))
        header = [labels["partner"], labels["role"], labels["type"]]
        rows = [[body.text_link(p.name, p.url) if p.url else run(p.name), run(p.role or ""), run(p.type or "")]
                for p in fiche.partners]
        out.append(_table(header, rows, s["partners_table"] or s["table"], s, shared.max_width // EMU_PER_TWIP))
        out.append(paragraph("", s["after_table"]))
    c = fiche.contact
    if c and any((c.name, c.organisation, c.email, c.phone, c.url)):
        out.append(paragraph(run(labels["contact"]), s["box_heading"]))
        who = " — ".join(x for x in (c.name, c.organisation) if x)
        if who:
            out.append(paragraph(run(who, rpr(Fmt(strong=True), s)), s["box"]))
        if c.email:
            # Only the address: a "?attach=..." pasted after it must not become part of the link.
            out.append(paragraph(body.text_link(c.email, "mailto:" + quote(c.email.strip(), safe="@.+-_~")), s["box"]))
        if c.phone:
            out.append(paragraph(run(c.phone), s["box"]))
        if c.url:
            out.append(paragraph(body.text_link(c.url, c.url), s["box"]))
    if fiche.source:
        out.append(paragraph(run(labels["source"]), s["box_heading"]))
        out.append(paragraph(body.text_link(fiche.source, fiche.source), s["source"]))
    return "".join(out)


def _table(header: list[str], rows: list[list[str]], table_style: str | None, s: Styles, text_width: int) -> str:
    cols = len(header)
    width = 5000 // cols
    style = f'<w:tblStyle w:val="{table_style}"/>' if table_style else ""

    def cells(contents):
        return "".join(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="pct"/></w:tcPr>'
                       f'{paragraph(c, s["table_text"])}</w:tc>' for c in contents)

    out = [f'<w:tbl><w:tblPr>{style}<w:tblW w:w="5000" w:type="pct"/>'
           '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
           ' w:noHBand="0" w:noVBand="1"/></w:tblPr>',
           f"<w:tblGrid>{_grid(text_width // cols, cols)}</w:tblGrid>",
           f"<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>{cells(run(h) for h in header)}</w:tr>"]
    out += [f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{cells(r)}</w:tr>" for r in rows]
    out.append("</w:tbl>")
    return "".join(out)


def _grid(width: int, n: int) -> str:
    return f'<w:gridCol w:w="{width}"/>' * n


def _header(title: str, s: Styles) -> bytes:
    return (f'{XML_HEAD}<w:hdr {NS}>{paragraph(run(title), s["header"])}</w:hdr>').encode("utf-8")


def _field(instruction: str) -> str:
    # A complex field with a cached result: shown as is until Word or LibreOffice lays
    # the page out and updates it, which both do on their own for PAGE and NUMPAGES.
    return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> {instruction} '
            '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def _footer(labels: dict[str, str], s: Styles) -> bytes:
    content = run(labels["page"]) + _field("PAGE") + run(labels["of"]) + _field("NUMPAGES")
    return f'{XML_HEAD}<w:ftr {NS}>{paragraph(content, s["footer"])}</w:ftr>'.encode("utf-8")
