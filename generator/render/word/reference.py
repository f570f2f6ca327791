"""The layout's reference.docx: where every generated Word fiche takes its styles from.

Like Pandoc's reference document, it is an ordinary Word file: a user restyles every
fiche by editing it in Word. Styles are found by *name*, never by id, because Word in
French saves « heading 1 » under the id « Titre1 ». Only data parts are reused (styles,
numbering, settings, font table, theme); relationships a reference may carry (an attached
template on a network share, picture bullets) are dropped, so nothing external follows.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_W = f"{{{W}}}"

# role -> (names Word may show, lower case; the id our own reference.docx gives it)
ROLES = {
    "title": (("title",), "Title"),
    "subtitle": (("subtitle",), "Subtitle"),
    "part_title": (("titre de partie", "part title"), "TitreDePartie"),
    "fiche_title": (("titre de fiche", "fiche title"), "TitreDeFiche"),
    "toc_heading": (("toc heading",), "TOCHeading"),
    "toc1": (("toc 1",), "TOC1"),
    "toc2": (("toc 2",), "TOC2"),
    "h1": (("heading 1",), "Heading1"),
    "h2": (("heading 2",), "Heading2"),
    "h3": (("heading 3",), "Heading3"),
    "body": (("body text",), "BodyText"),
    "list_bullet": (("list bullet",), "ListBullet"),
    "list_number": (("list number",), "ListNumber"),
    "list_continue": (("list continue",), "ListContinue"),
    "quote": (("quote",), "Quote"),
    "caption": (("caption",), "Caption"),
    "chapo": (("chapô", "chapo", "lead"), "Chapo"),
    "meta": (("métadonnées", "metadata"), "Metadonnees"),
    "figure_value": (("chiffre clé", "key figure"), "ChiffreCle"),
    "figure_label": (("chiffre clé – libellé", "key figure label"), "ChiffreCleLibelle"),
    "box_heading": (("encadré – titre", "box heading"), "EncadreTitre"),
    "box": (("encadré", "box"), "Encadre"),
    "source": (("source",), "Source"),
    "table_text": (("texte de tableau", "table text"), "TexteTableau"),
    "code_block": (("code source", "source code"), "CodeSource"),
    "figure": (("figure",), "Figure"),
    "separator": (("séparateur", "separator"), "Separateur"),
    "after_table": (("après tableau", "after table"), "ApresTableau"),
    "header": (("header",), "Header"),
    "footer": (("footer",), "Footer"),
    "footnote_text": (("footnote text",), "FootnoteText"),
    "footnote_ref": (("footnote reference",), "FootnoteReference"),
    "strong": (("strong",), "Strong"),
    "emphasis": (("emphasis",), "Emphasis"),
    "hyperlink": (("hyperlink",), "Hyperlink"),
    "code_char": (("code en ligne", "inline code", "verbatim char"), "CodeEnLigne"),
    "credit": (("crédit image", "image credit"), "CreditImage"),
    "table": (("recueil table",), "RecueilTable"),
    "figures_table": (("recueil chiffres clés", "recueil key figures"), "RecueilChiffresCles"),
    "partners_table": (("recueil partenaires", "recueil partners"), "RecueilPartenaires"),
}

SETTINGS_ORDER = ("writeProtection view zoom removePersonalInformation removeDateAndTime "
                  "doNotDisplayPageBoundaries displayBackgroundShape printPostScriptOverText "
                  "printFractionalCharacterWidth printFormsData embedTrueTypeFonts embedSystemFonts "
                  "saveSubsetFonts saveFormsData mirrorMargins alignBordersAndEdges "
                  "bordersDoNotSurroundHeader bordersDoNotSurroundFooter gutterAtTop hideSpellingErrors "
                  "hideGrammaticalErrors activeWritingStyle proofState formsDesign attachedTemplate linkStyles "
                  "stylePaneFormatFilter stylePaneSortMethod documentType mailMerge revisionView trackRevisions "
                  "doNotTrackMoves doNotTrackFormatting documentProtection autoFormatOverride styleLockTheme "
                  "styleLockQFSet defaultTabStop autoHyphenation consecutiveHyphenLimit hyphenationZone "
                  "doNotHyphenateCaps showEnvelope summaryLength clickAndTypeStyle defaultTableStyle "
                  "evenAndOddHeaders bookFoldRevPrinting bookFoldPrinting bookFoldPrintingSheets "
                  "drawingGridHorizontalSpacing drawingGridVerticalSpacing displayHorizontalDrawingGridEvery "
                  "displayVerticalDrawingGridEvery doNotUseMarginsForDrawingGridOrigin "
                  "drawingGridHorizontalOrigin drawingGridVerticalOrigin doNotShadeFormData "
                  "noPunctuationKerning characterSpacingControl printTwoOnOne strictFirstAndLastChars "
                  "noLineBreaksAfter noLineBreaksBefore savePreviewPicture doNotValidateAgainstSchema "
                  "saveInvalidXml ignoreMixedContent alwaysShowPlaceholderText doNotDemarcateInvalidXml "
                  "saveXmlDataOnly useXSLTWhenSaving saveThroughXslt showXMLTags alwaysMergeEmptyNamespace "
                  "updateFields hdrShapeDefaults footnotePr endnotePr compat docVars rsids attachedSchema "
                  "themeFontLang clrSchemeMapping doNotIncludeSubdocsInStats doNotAutoCompressPictures "
                  "forceUpgrade captions readModeInkLockDown smartTagType schemaLibrary shapeDefaults "
                  "doNotEmbedSmartTags decimalSymbol listSeparator").split()
RPR_ORDER = ("rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
             "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
             "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath").split()


@dataclass(eq=False)  # identity hash: a loaded reference is a cache key for its variants
class Reference:
    path: Path
    digest: str
    styles_xml: bytes
    settings_xml: bytes  # already made ready for embedded fonts and footnotes
    font_table_xml: bytes
    theme_xml: bytes | None
    numbering_head: bytes  # numbering.xml up to where a fiche's own w:num go
    next_num: int  # the first free w:numId
    bullet_num: int | None  # the w:numId « List Bullet » is linked to
    number_abstract: int | None  # the w:abstractNumId behind « List Number »
    styles: dict[str, str | None]  # role -> style id
    style_names: dict[str, str] = field(default_factory=dict)  # role -> name, as the reference writes it
    margins: dict[str, int] = field(default_factory=dict)  # twips: top, right, bottom, left, header, footer
    list_separator: str = ","  # what separates items in field codes (w:listSeparator), « ; » in French


def reference_path(layout) -> Path | None:
    """The reference.docx the layout ships (its own folder's, or a layout's it extends),
    or None: Recueil then makes one from the design tokens (design_reference.py)."""
    found = layout.file("reference.docx") if layout is not None else None
    return Path(found) if found else None


class ReferenceError(ValueError):
    """A reference.docx Recueil cannot take styles from; the message says why, for users."""


# A reference document comes with the project, maybe from a partner: no entity expansion,
# no DTD, no network, so its XML cannot pull a local file into every fiche.
PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


def parse(data: bytes):
    root = etree.fromstring(data, PARSER)
    if root.getroottree().docinfo.doctype:  # OPC forbids DTDs in parts: never from Word
        raise ReferenceError("a part of it declares a DTD, which Word documents never do")
    return root


def load_reference(path: Path, data: bytes | None = None) -> Reference:
    """The reference document at `path`, or made of `data` (then `path` only names it)."""
    try:
        return _load(Path(path), data)
    except ReferenceError:
        raise
    except (OSError, zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError) as e:
        raise ReferenceError(f"not a Word document Recueil can take styles from ({e}); "
                             "save it again from Word as .docx, or delete it to use the built-in one") from e


def _load(path: Path, data: bytes | None = None) -> Reference:
    import io

    raw = path.read_bytes() if data is None else data
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        names = set(z.namelist())
        read = lambda n: z.read(n) if n in names else None  # noqa: E731
        styles_xml = read("word/styles.xml")
        if styles_xml is None:
            raise ReferenceError("a Word document has its styles in word/styles.xml, and this one has none")
        styles = parse(styles_xml)
        numbering = parse(read("word/numbering.xml") or f'<w:numbering xmlns:w="{W}"/>'.encode())
        settings = parse(read("word/settings.xml") or f'<w:settings xmlns:w="{W}"/>'.encode())
        font_table = read("word/fontTable.xml") or f'<w:fonts xmlns:w="{W}"/>'.encode()
        parse(font_table)
        theme = read("word/theme/theme1.xml")
        if theme is not None:
            parse(theme)
        document = parse(read("word/document.xml") or f'<w:document xmlns:w="{W}"/>'.encode())

    ids, names = _style_ids(styles)
    bullet_num = _style_num(styles, ids["list_bullet"])
    number_num = _style_num(styles, ids["list_number"])
    head, next_num, abstract_of = _numbering_head(numbering)
    margins = {}
    mar = document.find(f".//{_W}body/{_W}sectPr/{_W}pgMar")
    if mar is not None:
        for k in ("top", "right", "bottom", "left", "header", "footer"):
            value = mar.get(_W + k)
            if value and re.fullmatch(r"-?\d+", value):
                margins[k] = abs(int(value))
    separator = settings.find(_W + "listSeparator")
    list_separator = (separator.get(_W + "val") if separator is not None else None) or ","
    return Reference(
        list_separator=list_separator[:1],
        path=Path(path), digest=hashlib.sha256(raw).hexdigest(), styles_xml=styles_xml,
        settings_xml=_settings(settings), font_table_xml=font_table, theme_xml=theme,
        numbering_head=head, next_num=next_num,
        bullet_num=bullet_num if bullet_num in abstract_of else None,
        number_abstract=abstract_of.get(number_num), styles=ids, style_names=names, margins=margins)


def styles_for_language(reference: Reference, lang: str) -> bytes:
    """styles.xml with `lang` where Word reads it: the document defaults and every style
    that names a language, so that spelling and hyphenation follow the edition."""
    root = parse(reference.styles_xml)
    defaults = _child(root, "docDefaults", first=True)
    rpr_default = _child(defaults, "rPrDefault", first=True)
    rpr = _child(rpr_default, "rPr")
    if rpr.find(_W + "lang") is None:
        insert_ordered(rpr, etree.Element(_W + "lang"), RPR_ORDER)
    for el in root.iter(_W + "lang"):
        el.set(_W + "val", lang)
        el.set(_W + "eastAsia", lang)
        el.set(_W + "bidi", lang)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def insert_ordered(parent, child, order: list[str]) -> None:
    """Insert `child` where the schema's sequence `order` wants it."""
    rank = order.index(etree.QName(child).localname)
    for i, sibling in enumerate(parent):
        if not isinstance(sibling.tag, str):
            continue
        name = etree.QName(sibling).localname
        if name in order and order.index(name) > rank:
            parent.insert(i, child)
            return
    parent.append(child)


def _child(parent, name: str, first: bool = False):
    found = parent.find(_W + name)
    if found is None:
        found = etree.Element(_W + name)
        if first:
            parent.insert(0, found)
        else:
            parent.append(found)
    return found


def _style_ids(styles) -> tuple[dict[str, str | None], dict[str, str]]:
    by_name, known_ids, name_of = {}, set(), {}
    for style in styles.findall(_W + "style"):
        sid = style.get(_W + "styleId")
        name = style.find(_W + "name")
        known_ids.add(sid)
        if name is not None:
            by_name.setdefault((name.get(_W + "val") or "").casefold(), sid)
            name_of.setdefault(sid, name.get(_W + "val") or "")
    ids = {}
    for role, (names, default_id) in ROLES.items():
        found = next((by_name[n] for n in names if n in by_name), None)
        ids[role] = found or (default_id if default_id in known_ids else None)
    return ids, {role: name_of[sid] for role, sid in ids.items() if sid in name_of}


def _style_num(styles, style_id: str | None) -> int | None:
    if not style_id:
        return None
    for style in styles.findall(_W + "style"):
        if style.get(_W + "styleId") == style_id:
            num = style.find(f"{_W}pPr/{_W}numPr/{_W}numId")
            value = num.get(_W + "val") if num is not None else None
            return int(value) if value and value.isdigit() else None
    return None


def _numbering_head(numbering) -> tuple[bytes, int, dict[int, int]]:
    # Picture bullets point at images through numbering.xml's own relationships, which
    # are not copied: their levels fall back to the font bullet Word always has.
    for el in numbering.findall(_W + "numPicBullet"):
        numbering.remove(el)
    for el in numbering.iter(_W + "lvlPicBulletId"):
        el.getparent().remove(el)
    for el in numbering.findall(_W + "numIdMacAtCleanup"):
        numbering.remove(el)
    abstract_of = {}
    for num in numbering.findall(_W + "num"):
        a = num.find(_W + "abstractNumId")
        if a is not None and (num.get(_W + "numId") or "").isdigit():
            abstract_of[int(num.get(_W + "numId"))] = int(a.get(_W + "val"))
    text = etree.tostring(numbering, xml_declaration=True, encoding="UTF-8", standalone=True)
    if text.endswith(b"/>"):  # an empty <w:numbering/>: open it
        text = text[:-2] + b">"
    else:
        text = text[: text.rindex(b"</")]
    return text, max(abstract_of, default=0) + 1, abstract_of


def _settings(settings) -> bytes:
    for name in ("attachedTemplate", "mailMerge", "updateFields", "embedTrueTypeFonts", "saveSubsetFonts",
                 "embedSystemFonts", "footnotePr", "endnotePr"):
        for el in settings.findall(_W + name):
            settings.remove(el)
    for el in list(settings.iter()):  # anything else pointing through a relationship
        if isinstance(el.tag, str) and any(k.startswith(f"{{{R}}}") for k in el.attrib) and el is not settings:
            el.getparent().remove(el)
    insert_ordered(settings, etree.Element(_W + "embedTrueTypeFonts"), SETTINGS_ORDER)
    # Word re-saving a fiche keeps only the characters used, not the whole face.
    insert_ordered(settings, etree.Element(_W + "saveSubsetFonts"), SETTINGS_ORDER)
    notes = etree.Element(_W + "footnotePr")
    for nid in ("-1", "0"):
        etree.SubElement(notes, _W + "footnote", {_W + "id": nid})
    insert_ordered(settings, notes, SETTINGS_ORDER)
    return etree.tostring(settings, xml_declaration=True, encoding="UTF-8", standalone=True)
